import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { getDb } from "@/lib/runtime";
import { ActionForm } from "@/app/_components/action-form";
import { needsSetup } from "@/lib/auth";
import { setupFirstAdmin } from "./actions";

export const metadata: Metadata = { title: "Set up" };

export default async function SetupPage() {
  if (!(await needsSetup(await getDb()))) redirect("/login");
  return (
    <>
      <h1 className="mb-1 text-lg font-medium">Welcome</h1>
      <p className="mb-4 text-sm text-slate-600">
        Create the first administrator of this instance.
      </p>
      <ActionForm action={setupFirstAdmin} submitLabel="Create administrator" testId="setup-form">
        <label className="mb-3">
          Name
          <input name="name" required autoComplete="name" />
        </label>
        <label className="mb-3">
          Email
          <input name="email" type="email" required autoComplete="username" />
        </label>
        <label className="mb-3">
          Password (10+ characters)
          <input
            name="password"
            type="password"
            required
            minLength={10}
            autoComplete="new-password"
          />
        </label>
        <label className="mb-4">
          Confirm password
          <input name="confirm" type="password" required autoComplete="new-password" />
        </label>
      </ActionForm>
    </>
  );
}
