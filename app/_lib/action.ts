import "server-only";
import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import type { z } from "zod";
import type { Database } from "@/db/client";
import { getDb } from "@/lib/runtime";
import type { Actor } from "@/lib/auth";
import { AppError } from "@/lib/errors";
import { log } from "@/lib/log";
import { isReadOnlyError, localReadOnlyState, readOnlyRefusal } from "@/lib/read-only";
import { currentActor } from "./session";

export type ActionResult<T = unknown> =
  { ok: true; data: T } | { ok: false; error: { code: string; message: string } };

export type FormAction<T = unknown> = (
  previous: ActionResult<T> | null,
  formData: FormData,
) => Promise<ActionResult<T>>;

interface ActionOptions<S extends z.ZodType> {
  name: string;
  role: "user" | "admin";
  input: S;
  /** Only for what must work while writes are frozen (switching maintenance mode off). */
  allowInReadOnly?: boolean;
}

/** What happens after success; a third argument so that T is inferred from `run` first. */
interface AfterSuccess<S extends z.ZodType, T> {
  revalidate?: (data: T, input: z.output<S>) => string[];
  redirectTo?: (data: T, input: z.output<S>) => string;
}

function fail(
  code: string,
  message: string,
): { ok: false; error: { code: string; message: string } } {
  return { ok: false, error: { code, message } };
}

function formDataToObject(formData: FormData): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of formData.entries()) {
    if (key.startsWith("$ACTION")) continue;
    out[key] = typeof value === "string" ? value : value.name;
  }
  return out;
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const field = issue.path.map(String).join(".");
      return field
        ? `${field.replace(/([A-Z])/g, " $1").toLowerCase()} ${issue.message}`
        : issue.message;
    })
    .join("; ");
}

/**
 * Every server action goes through here: authenticate → authorize → validate
 * → run the use case → revalidate. Only AppError messages reach the browser;
 * anything else is logged and answered with a generic message.
 */
export function defineAction<S extends z.ZodType, T>(
  options: ActionOptions<S>,
  run: (context: { actor: Actor; db: Database; input: z.output<S> }) => Promise<T>,
  after: AfterSuccess<S, T> = {},
): FormAction<T> {
  return async (_previous, formData) => {
    const actor = await currentActor();
    if (!actor) return fail("unauthorized:session", "Your session has ended. Sign in again.");
    if (options.role === "admin" && actor.role !== "admin") {
      return fail("forbidden:admin", "Only administrators can do that.");
    }
    const parsed = options.input.safeParse(formDataToObject(formData));
    if (!parsed.success) return fail("invalid:input", describeIssues(parsed.error));
    // A fast answer from what this node heard; the database guard decides anyway.
    if (!options.allowInReadOnly && localReadOnlyState().enabled) {
      const refusal = readOnlyRefusal();
      return fail(refusal.code, refusal.message);
    }
    let data: T;
    try {
      data = await run({ actor, db: await getDb(), input: parsed.data });
    } catch (error) {
      if (error instanceof AppError) return fail(error.code, error.message);
      if (isReadOnlyError(error)) {
        const refusal = readOnlyRefusal();
        return fail(refusal.code, refusal.message);
      }
      log.error({ err: error, action: options.name, actorId: actor.id }, "action failed");
      return fail("internal:error", "Something went wrong; the error was logged.");
    }
    for (const path of after.revalidate?.(data, parsed.data) ?? []) revalidatePath(path);
    if (after.redirectTo) redirect(after.redirectTo(data, parsed.data));
    return { ok: true, data };
  };
}
