import { asc, desc, eq, sql } from "drizzle-orm";
import type { Database } from "../client";
import { auditLog, dataSources, users } from "../schema";

/** Users as an admin sees them: never the password hash. */
export async function listUsers(db: Database) {
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

/** Data sources without their passwords: only whether one is stored. */
export async function listDataSources(db: Database) {
  return db
    .select({
      id: dataSources.id,
      name: dataSources.name,
      engine: dataSources.engine,
      host: sql<string>`${dataSources.details}->>'host'`,
      database: sql<string>`${dataSources.details}->>'database'`,
      updatedAt: dataSources.updatedAt,
    })
    .from(dataSources)
    .orderBy(asc(dataSources.name));
}

export async function getDataSourceForEdit(db: Database, id: number) {
  const [row] = await db
    .select({
      id: dataSources.id,
      name: dataSources.name,
      engine: dataSources.engine,
      host: sql<string>`${dataSources.details}->>'host'`,
      port: sql<number>`(${dataSources.details}->>'port')::int`,
      database: sql<string>`${dataSources.details}->>'database'`,
      user: sql<string>`${dataSources.details}->>'user'`,
      ssl: sql<boolean>`coalesce((${dataSources.details}->>'ssl')::boolean, false)`,
      hasPassword: sql<boolean>`coalesce(${dataSources.details}->>'password', '') <> ''`,
    })
    .from(dataSources)
    .where(eq(dataSources.id, id));
  return row ?? null;
}

export async function listAuditLog(db: Database, limit = 200) {
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
