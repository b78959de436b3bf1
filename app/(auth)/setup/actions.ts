"use server";

import { redirect } from "next/navigation";
import { z } from "zod";
import { getDb } from "@/lib/runtime";
import type { ActionResult } from "@/app/_lib/action";
import { createFirstAdmin } from "@/lib/auth";
import { AppError } from "@/lib/errors";
import { email, password } from "@/lib/users";

const setupInput = z
  .object({
    name: z.string().trim().min(1, "is required").max(200),
    email,
    password,
    confirm: z.string(),
  })
  .refine((v) => v.password === v.confirm, { message: "does not match", path: ["confirm"] });

/**
 * The one action that runs without a session: it only works while the
 * instance has no user at all (checked under a lock in createFirstAdmin).
 */
export async function setupFirstAdmin(
  _previous: ActionResult<null> | null,
  formData: FormData,
): Promise<ActionResult<null>> {
  const parsed = setupInput.safeParse(Object.fromEntries(formData));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      ok: false,
      error: { code: "invalid:input", message: `${issue?.path.join(".")} ${issue?.message}` },
    };
  }
  try {
    await createFirstAdmin(await getDb(), parsed.data);
  } catch (error) {
    if (error instanceof AppError)
      return { ok: false, error: { code: error.code, message: error.message } };
    throw error;
  }
  redirect("/login?setup=done");
}
