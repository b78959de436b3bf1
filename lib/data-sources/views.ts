import { asc, eq, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { dataSources } from "@/db/schema";
import { assertAdmin, type Actor } from "@/lib/auth/actor";

/**
 * Data sources as the admin screens show them: never the password, only
 * whether one is stored. Each read checks the role itself, so a page that
 * forgot its own check still reads nothing for a non-admin.
 */
export async function listDataSourcesForAdmin(db: Database, actor: Actor) {
  assertAdmin(actor);
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

export async function getDataSourceForEdit(db: Database, actor: Actor, id: number) {
  assertAdmin(actor);
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
