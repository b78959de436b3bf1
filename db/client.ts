import fs from "node:fs";
import path from "node:path";
import type { PGlite } from "@electric-sql/pglite";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import postgres from "postgres";
import { dataDir, readEnv } from "@/lib/config/env";
import * as schema from "./schema";
import { acquireDataDirLock } from "./data-dir-lock";

export type Schema = typeof schema;
/** The one database type the app is written against, whichever engine runs. */
export type Database = PgDatabase<PgQueryResultHKT, Schema>;
export type Engine = "pglite" | "postgres";

export interface DatabaseHandle {
  db: Database;
  engine: Engine;
  /** For engine-specific work (COPY, LISTEN): the raw client. */
  raw: PGlite | postgres.Sql;
  /** The connection URL on PostgreSQL, for work that needs a connection of its own. */
  url?: string;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** A postgres:// URL selects PostgreSQL; otherwise PGlite is used. */
  databaseUrl?: string;
  /** PGlite data folder; `undefined` with no URL means in memory. */
  pgliteDir?: string;
  /** postgres.js pool size. */
  maxConnections?: number;
  /**
   * In-memory PGlite only: start from this dumped data folder (PGlite's
   * `dumpDataDir`) instead of a fresh `initdb`, which costs seconds. Tests
   * start from a template made once per run (lib/testing/templates.ts).
   */
  pgliteLoadDataDir?: Blob;
}

export const migrationsFolder = path.resolve(process.cwd(), "drizzle");

export async function openDatabase(options: OpenOptions): Promise<DatabaseHandle> {
  if (options.databaseUrl) {
    const sql = postgres(options.databaseUrl, {
      max: options.maxConnections ?? 10,
      onnotice: () => {},
    });
    return {
      db: drizzlePostgres(sql, { schema }) as unknown as Database,
      engine: "postgres",
      raw: sql,
      url: options.databaseUrl,
      close: () => sql.end({ timeout: 5 }),
    };
  }
  let releaseLock = () => {};
  if (options.pgliteDir) {
    fs.mkdirSync(options.pgliteDir, { recursive: true });
    releaseLock = acquireDataDirLock(options.pgliteDir);
  }
  try {
    // Loaded only when used: PGlite and its driver take 0.2-0.4 s to import,
    // which every PostgreSQL process (and CLI run) would otherwise pay.
    const [{ PGlite }, { drizzle: drizzlePglite }] = await Promise.all([
      import("@electric-sql/pglite"),
      import("drizzle-orm/pglite"),
    ]);
    const client = await PGlite.create(
      options.pgliteDir
        ? { dataDir: options.pgliteDir }
        : options.pgliteLoadDataDir
          ? { loadDataDir: options.pgliteLoadDataDir }
          : {},
    );
    return {
      db: drizzlePglite(client, { schema }) as unknown as Database,
      engine: "pglite",
      raw: client,
      close: async () => {
        await client.close();
        releaseLock();
      },
    };
  } catch (error) {
    releaseLock();
    throw error;
  }
}

/** Applies the committed SQL migrations in `drizzle/`; safe to run on every start. */
export async function migrateDatabase(handle: DatabaseHandle): Promise<void> {
  if (handle.engine === "pglite") {
    const { migrate: migratePglite } = await import("drizzle-orm/pglite/migrator");
    await migratePglite(handle.db as never, { migrationsFolder });
  } else {
    await migratePostgres(handle.db as never, { migrationsFolder });
  }
}

/** How the app's own database is chosen: `DATABASE_URL`, else PGlite in the data folder. */
export function appDatabaseOptions(): OpenOptions {
  const env = readEnv();
  return env.DATABASE_URL
    ? { databaseUrl: env.DATABASE_URL }
    : { pgliteDir: path.join(dataDir(env), "pglite") };
}
