import { and, count, eq, ne, sql } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "@/db/client";
import { userRoles, users, type UserRole } from "@/db/schema";
import { recordAudit } from "@/lib/audit";
import { assertAdmin, hashPassword, type Actor } from "@/lib/auth";
import { AppError, isUniqueViolation, notFound } from "@/lib/errors";

export const email = z.string().trim().toLowerCase().email("is not an email address").max(320);
export const password = z.string().min(10, "must be at least 10 characters").max(200);

export const userInput = z.object({
  email,
  name: z.string().trim().min(1, "is required").max(200),
  password,
  role: z.enum(userRoles),
});
export type UserInput = z.infer<typeof userInput>;

export async function createUser(db: Database, actor: Actor, input: UserInput) {
  assertAdmin(actor);
  const passwordHash = await hashPassword(input.password);
  try {
    return await db.transaction(async (tx) => {
      const [row] = await tx
        .insert(users)
        .values({ email: input.email, name: input.name, role: input.role, passwordHash })
        .returning({ id: users.id });
      if (!row) throw new Error("insert returned no row");
      await recordAudit(tx, {
        actorId: actor.id,
        action: "user.create",
        targetType: "user",
        targetId: row.id,
        details: { email: input.email, role: input.role },
      });
      return row;
    });
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new AppError("conflict", "user_email", "A user with that email already exists.");
    }
    throw error;
  }
}

/**
 * Changes a role or deactivates. The instance must keep one active admin, or
 * nobody could ever administer it again; the check runs under a lock so two
 * admins demoting each other at once cannot both succeed.
 */
export async function updateUserAccess(
  db: Database,
  actor: Actor,
  userId: number,
  change: { role?: UserRole; active?: boolean },
) {
  assertAdmin(actor);
  await db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext('liftoff:admins'))`);
    const [target] = await tx
      .select({ id: users.id, role: users.role, active: users.active })
      .from(users)
      .where(eq(users.id, userId));
    if (!target) throw notFound("user");
    const losesAdmin =
      target.role === "admin" &&
      target.active &&
      (change.role === "user" || change.active === false);
    if (losesAdmin) {
      const [others] = await tx
        .select({ n: count() })
        .from(users)
        .where(and(eq(users.role, "admin"), eq(users.active, true), ne(users.id, userId)));
      if ((others?.n ?? 0) === 0) {
        throw new AppError(
          "conflict",
          "last_admin",
          "This is the last active administrator: make someone else an administrator first.",
        );
      }
    }
    await tx.update(users).set(change).where(eq(users.id, userId));
    await recordAudit(tx, {
      actorId: actor.id,
      action: change.active === undefined ? "user.change_role" : "user.set_active",
      targetType: "user",
      targetId: userId,
      details: change,
    });
  });
}
