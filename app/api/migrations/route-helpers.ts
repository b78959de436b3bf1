import "server-only";
import { currentActor } from "@/app/_lib/session";
import { assertAdmin, type Actor } from "@/lib/auth";
import { AppError } from "@/lib/errors";

/** Route handlers answer 401/403 as JSON, where pages would redirect. */
export async function requireAdminForRoute(): Promise<Actor> {
  const actor = await currentActor();
  if (!actor) throw new AppError("unauthorized", "session", "Sign in first.");
  assertAdmin(actor);
  return actor;
}

export function parseId(raw: string): number {
  const id = Number(raw);
  if (!Number.isSafeInteger(id) || id <= 0) {
    throw new AppError("invalid", "migration_id", "A migration id is a positive whole number.");
  }
  return id;
}
