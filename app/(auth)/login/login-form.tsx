"use client";

import { signIn } from "next-auth/react";
import { useRouter, useSearchParams } from "next/navigation";
import { useState, type FormEvent } from "react";

const messages: Record<string, string> = {
  CredentialsSignin: "Wrong email or password.",
  RateLimited: "Too many failed sign-ins. Wait 15 minutes, then try again.",
  Inactive: "This account has been deactivated. Ask an administrator.",
};

/** Only same-site paths: a callback URL from the query string must not send users elsewhere. */
function safeCallback(value: string | null): string {
  return value && value.startsWith("/") && !value.startsWith("//") ? value : "/";
}

function textField(form: FormData, name: string): string {
  const value = form.get(name);
  return typeof value === "string" ? value : "";
}

export function LoginForm() {
  const router = useRouter();
  const params = useSearchParams();
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setPending(true);
    setError(null);
    const result = await signIn("credentials", {
      email: textField(form, "email"),
      password: textField(form, "password"),
      redirect: false,
    });
    setPending(false);
    if (result?.ok && !result.error) {
      router.replace(safeCallback(params.get("callbackUrl")));
      router.refresh();
    } else {
      setError(messages[result?.error ?? ""] ?? "Sign-in failed. Try again.");
    }
  }

  return (
    <form onSubmit={(event) => void submit(event)} data-testid="login-form">
      <label className="mb-3">
        Email
        <input name="email" type="email" autoComplete="username" required />
      </label>
      <label className="mb-4">
        Password
        <input name="password" type="password" autoComplete="current-password" required />
      </label>
      <button
        type="submit"
        disabled={pending}
        className="w-full rounded-md bg-indigo-600 px-3 py-2 text-sm font-medium text-white hover:bg-indigo-500 disabled:opacity-50"
      >
        {pending ? "Signing in…" : "Sign in"}
      </button>
      {error && (
        <p role="alert" className="mt-3 text-sm text-red-700" data-testid="login-error">
          {error}
        </p>
      )}
    </form>
  );
}
