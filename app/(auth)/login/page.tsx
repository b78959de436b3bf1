import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { Suspense } from "react";
import { getDb } from "@/lib/runtime";
import { currentActor } from "@/app/_lib/session";
import { needsSetup } from "@/lib/auth";
import { LoginForm } from "./login-form";

export const metadata: Metadata = { title: "Sign in" };

export default async function LoginPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { setup } = await searchParams;
  if (await needsSetup(await getDb())) redirect("/setup");
  if (await currentActor()) redirect("/");
  return (
    <>
      <h1 className="mb-4 text-lg font-medium">Sign in</h1>
      {setup === "done" && (
        <p role="status" className="mb-4 rounded bg-green-50 p-2 text-sm text-green-800">
          Administrator created. Sign in to continue.
        </p>
      )}
      <Suspense>
        <LoginForm />
      </Suspense>
    </>
  );
}
