/** Throw-away databases on either engine, for tests and benchmarks (no test runner needed). */
import crypto from "node:crypto";
import postgres from "postgres";
import { sql } from "drizzle-orm";
import { openDatabase, type DatabaseHandle, type Engine, type OpenOptions } from "@/db/client";
import { rowsOf } from "@/db/rows";
import { prepareDatabase } from "@/lib/runtime/database";
import { pgliteTemplate, postgresTemplate } from "./templates";

export { rowsOf };

export const defaultTestDatabaseUrl = "postgres://postgres@127.0.0.1:5432/postgres";

/** The engines every integration test runs on; `LIFTOFF_TEST_ENGINES=pglite` narrows it. */
export function testEngines(): Engine[] {
  const chosen = process.env.LIFTOFF_TEST_ENGINES?.split(",").map((s) => s.trim());
  const all: Engine[] = ["pglite", "postgres"];
  return chosen ? all.filter((engine) => chosen.includes(engine)) : all;
}

export function adminUrl(): string {
  return process.env.TEST_DATABASE_URL || defaultTestDatabaseUrl;
}

export interface TestDatabase extends DatabaseHandle {
  /** Where a second client (another "node") can connect; undefined for in-memory PGlite. */
  url?: string;
  drop(): Promise<void>;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = "/" + database;
  return parsed.toString();
}

/**
 * Creates an empty database of its own on `engine`, migrated, and a way to
 * drop it. Copied from the run's templates when the global setup made them
 * (lib/testing/templates.ts); prepared as the app prepares its database either way.
 * `copyOf` (PostgreSQL): a copy of that database instead, e.g. one seeded once
 * for many benchmark runs.
 */
export async function createTestDatabase(
  engine: Engine,
  options: { migrate?: boolean; copyOf?: string } = {},
): Promise<TestDatabase> {
  let handle: DatabaseHandle;
  let url: string | undefined;
  let dropDatabase = async () => {};
  const migrate = options.migrate !== false;
  if (engine === "pglite") {
    handle = await openDatabase({ pgliteLoadDataDir: pgliteTemplate(migrate) });
  } else {
    const name = `liftoff_test_${process.pid}_${crypto.randomBytes(4).toString("hex")}`;
    const admin = postgres(adminUrl(), { max: 1, onnotice: () => {} });
    try {
      const template = options.copyOf ?? (migrate ? postgresTemplate() : undefined);
      await admin.unsafe(
        template ? `create database "${name}" template "${template}"` : `create database "${name}"`,
      );
    } finally {
      await admin.end();
    }
    url = withDatabase(adminUrl(), name);
    handle = await openDatabase({ databaseUrl: url, maxConnections: 5 } satisfies OpenOptions);
    dropDatabase = async () => {
      const dropper = postgres(adminUrl(), { max: 1, onnotice: () => {} });
      try {
        await dropper.unsafe(`drop database if exists "${name}" with (force)`);
      } finally {
        await dropper.end();
      }
    };
  }
  if (migrate) await prepareDatabase(handle);
  return {
    ...handle,
    url,
    drop: async () => {
      await handle.close();
      await dropDatabase();
    },
  };
}

/** Empties every table of the app schema and restarts identities. */
export async function resetDatabase(handle: DatabaseHandle): Promise<void> {
  const rows = await handle.db.execute<{ tablename: string }>(
    sql`select tablename from pg_tables where schemaname = 'public' order by tablename`,
  );
  const tables = rowsOf<{ tablename: string }>(rows).map((r) => `"public"."${r.tablename}"`);
  if (tables.length) {
    await handle.db.execute(sql.raw(`truncate ${tables.join(", ")} restart identity cascade`));
  }
}
