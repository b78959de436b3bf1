import { asc } from "drizzle-orm";
import type { Database } from "@/db/client";
import { users } from "@/db/schema";
import { assertAdmin, type Actor } from "@/lib/auth/actor";

/**
 * Users as an admin sees them, never the password hash. Takes the actor and
 * checks the role itself: the page that calls it cannot forget to.
 */
export async function listUsersForAdmin(db: Database, actor: Actor) {
  assertAdmin(actor);
  return db
    .select({
      id: users.id,
      email: users.email,
      name: users.name,
      role: users.role,
      active: users.active,
      lastLoginAt: users.lastLoginAt,
      createdAt: users.createdAt,
    })
    .from(users)
    .orderBy(asc(users.email))
    .limit(1000);
}
