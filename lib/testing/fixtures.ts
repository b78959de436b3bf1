import type { Database } from "@/db/client";
import { users, type UserRole } from "@/db/schema";
import type { Actor } from "@/lib/auth/actor";
import { hashPassword } from "@/lib/auth/password";

let counter = 0;

/** A user straight in the table, for tests that need an actor. */
export async function insertUser(
  db: Database,
  options: { role?: UserRole; password?: string; active?: boolean; email?: string } = {},
): Promise<Actor> {
  counter += 1;
  const email = options.email ?? `user${counter}-${Date.now()}@example.test`;
  const [row] = await db
    .insert(users)
    .values({
      email,
      name: `Test User ${counter}`,
      role: options.role ?? "user",
      active: options.active ?? true,
      passwordHash: await hashPassword(options.password ?? "a-long-password"),
    })
    .returning({ id: users.id, email: users.email, name: users.name, role: users.role });
  if (!row) throw new Error("insert returned no row");
  return row;
}
