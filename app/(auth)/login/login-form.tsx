"use client";

import { signIn } from "next-auth/react";
import { useRouter, useSearchParams } from "next/navigation";
import { useState, type FormEvent } from "react";
import { sameOriginCallbackUrl } from "@/lib/auth/callback-url";

const messages: Record<string, string> = {
  CredentialsSignin: "Wrong email or password.",
  Inactive: "This account has been deactivated. Ask an administrator.",
};

/** The server's words for a failed sign-in, as a sentence; `RateLimited:<seconds>` says how long to wait. */
function errorMessage(code: string | undefined): string {
  const throttled = /^RateLimited:(\d+)$/.exec(code ?? "");
  if (throttled) {
    const seconds = Number(throttled[1]);
    const wait =
      seconds < 90
        ? `${seconds} second${seconds === 1 ? "" : "s"}`
        : `${Math.ceil(seconds / 60)} minutes`;
    return `Too many failed sign-ins. Try again in ${wait}.`;
  }
  return messages[code ?? ""] ?? "Sign-in failed. Try again.";
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
      // A callback URL from the query string must not send anyone off this site.
      router.replace(sameOriginCallbackUrl(params.get("callbackUrl"), window.location.origin));
      router.refresh();
    } else {
      setError(errorMessage(result?.error ?? undefined));
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
