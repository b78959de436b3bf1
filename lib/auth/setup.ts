import { count, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { users } from "@/db/schema";
import { recordAudit } from "@/lib/audit";
import { AppError } from "@/lib/errors";
import type { Actor } from "./actor";
import { hashPassword } from "./password";

export async function needsSetup(db: Database): Promise<boolean> {
  const [row] = await db.select({ n: count() }).from(users);
  return (row?.n ?? 0) === 0;
}

export interface FirstAdminInput {
  email: string;
  name: string;
  password: string;
}

/**
 * Creates the first administrator. Two set-up requests at once must not both
 * win: a transaction-level advisory lock serialises them and the check runs
 * under it.
 */
export async function createFirstAdmin(db: Database, input: FirstAdminInput): Promise<Actor> {
  const passwordHash = await hashPassword(input.password);
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext('liftoff:first-admin'))`);
    if (!(await needsSetup(tx))) {
      throw new AppError(
        "conflict",
        "setup_done",
        "This instance is already set up. Sign in instead.",
      );
    }
    const [admin] = await tx
      .insert(users)
      .values({ email: input.email.trim(), name: input.name.trim(), passwordHash, role: "admin" })
      .returning({ id: users.id, email: users.email, name: users.name, role: users.role });
    if (!admin) throw new Error("insert returned no row");
    await recordAudit(tx, {
      actorId: admin.id,
      action: "setup.first_admin",
      targetType: "user",
      targetId: admin.id,
    });
    return admin;
  });
}
