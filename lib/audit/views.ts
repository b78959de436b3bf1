import { desc, eq } from "drizzle-orm";
import type { Database } from "@/db/client";
import { auditLog, users } from "@/db/schema";
import { assertAdmin, type Actor } from "@/lib/auth/actor";

/** The newest audit entries with who made them; for admins only, checked here. */
export async function listAuditLog(db: Database, actor: Actor, limit = 200) {
  assertAdmin(actor);
  return db
    .select({
      id: auditLog.id,
      action: auditLog.action,
      targetType: auditLog.targetType,
      targetId: auditLog.targetId,
      details: auditLog.details,
      actorEmail: users.email,
      createdAt: auditLog.createdAt,
    })
    .from(auditLog)
    .leftJoin(users, eq(auditLog.actorId, users.id))
    .orderBy(desc(auditLog.id))
    .limit(limit);
}
