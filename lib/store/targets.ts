import fs from "node:fs";
import path from "node:path";
import postgres from "postgres";
import { externalIdPattern } from "./token";

/** Where a migration is restored: always a fresh, empty database of its own. */
export type RestoreTarget =
  { engine: "postgres"; database: string; url: string } | { engine: "pglite"; dir: string };

export interface RestoreTargets {
  create(externalId: string): Promise<RestoreTarget>;
  /** The target `create` makes for this migration, whether or not it exists (nothing is created). */
  locate(externalId: string): RestoreTarget;
  /** Removes a target after a failed restore, so nothing half-restored remains. */
  drop(target: RestoreTarget): Promise<void>;
}

function assertExternalId(externalId: string): void {
  // The id becomes part of an SQL identifier and a path: only our own format passes.
  if (!externalIdPattern.test(externalId)) throw new Error(`bad external id ${externalId}`);
}

export function targetDatabaseName(externalId: string): string {
  assertExternalId(externalId);
  return `liftoff_cloud_${externalId}`;
}

/** On PostgreSQL: `CREATE DATABASE liftoff_cloud_<id>` on the store's server. */
export function postgresTargets(serverUrl: string): RestoreTargets {
  const withDatabase = (database: string) => {
    const url = new URL(serverUrl);
    url.pathname = "/" + database;
    return url.toString();
  };
  const admin = async (statement: string) => {
    const sql = postgres(serverUrl, { max: 1, onnotice: () => {} });
    try {
      await sql.unsafe(statement);
    } finally {
      await sql.end();
    }
  };
  const locate = (externalId: string): RestoreTarget => {
    const database = targetDatabaseName(externalId);
    return { engine: "postgres", database, url: withDatabase(database) };
  };
  return {
    locate,
    async create(externalId) {
      const target = locate(externalId);
      await admin(`create database "${targetDatabaseName(externalId)}"`);
      return target;
    },
    async drop(target) {
      if (target.engine !== "postgres") return;
      await admin(`drop database if exists "${target.database}" with (force)`);
    },
  };
}

/** Embedded: a PGlite folder per migration under the store's data folder. */
export function pgliteTargets(rootDir: string): RestoreTargets {
  const locate = (externalId: string): RestoreTarget => {
    assertExternalId(externalId);
    return { engine: "pglite", dir: path.join(rootDir, externalId) };
  };
  return {
    locate,
    create(externalId) {
      const target = locate(externalId);
      fs.mkdirSync(rootDir, { recursive: true });
      if (target.engine === "pglite") fs.mkdirSync(target.dir); // fails if it exists: a target is never reused
      return Promise.resolve(target);
    },
    drop(target) {
      if (target.engine === "pglite") fs.rmSync(target.dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
}
