import { and, eq } from "drizzle-orm";
import type { Database } from "@/db/client";
import { users, type UserRole } from "@/db/schema";
import { AppError } from "@/lib/errors";

/** Who is acting: never carries the password hash. */
export interface Actor {
  id: number;
  email: string;
  name: string;
  role: UserRole;
}

export const actorColumns = {
  id: users.id,
  email: users.email,
  name: users.name,
  role: users.role,
};

/** Loads a signed-in user fresh from the database, so deactivation and role changes apply at once. */
export async function loadActiveActor(db: Database, userId: number): Promise<Actor | null> {
  const [row] = await db
    .select(actorColumns)
    .from(users)
    .where(and(eq(users.id, userId), eq(users.active, true)))
    .limit(1);
  return row ?? null;
}

export function assertAdmin(actor: Actor): void {
  if (actor.role !== "admin") {
    throw new AppError("forbidden", "admin", "Only administrators can do that.");
  }
}
