import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import postgres from "postgres";
import { openDatabase } from "@/db/client";
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

/**
 * An empty PGlite cluster under `rootDir`, made once: a new PGlite folder
 * costs an `initdb` (4 s on 2 cores), a copy of a closed empty one a tenth of
 * a second. Made in a folder of its own and renamed into place, so a process
 * that dies midway leaves no half-made cluster to copy; the name starts with
 * a dot, which no migration's external id does.
 */
export async function blankCluster(
  rootDir: string,
  blank = path.join(rootDir, ".blank-cluster"),
): Promise<string> {
  if (fs.existsSync(blank)) return blank;
  fs.mkdirSync(rootDir, { recursive: true });
  const making = path.join(
    rootDir,
    `.making-${process.pid}-${crypto.randomBytes(4).toString("hex")}`,
  );
  try {
    const handle = await openDatabase({ pgliteDir: making });
    await handle.close();
    fs.renameSync(making, blank);
  } catch (error) {
    // Another store made it first (the rename finds it there): theirs serves.
    if (!fs.existsSync(blank)) throw error;
  } finally {
    fs.rmSync(making, { recursive: true, force: true });
  }
  return blank;
}

/**
 * Embedded: a PGlite folder per migration under the store's data folder.
 * `blank`: an empty cluster to copy made elsewhere (tests share one per run).
 */
export function pgliteTargets(rootDir: string, options: { blank?: string } = {}): RestoreTargets {
  const locate = (externalId: string): RestoreTarget => {
    assertExternalId(externalId);
    return { engine: "pglite", dir: path.join(rootDir, externalId) };
  };
  let blank: Promise<string> | null = null;
  return {
    locate,
    async create(externalId) {
      const target = locate(externalId);
      if (target.engine !== "pglite") return target;
      fs.mkdirSync(rootDir, { recursive: true });
      blank ??= options.blank ? Promise.resolve(options.blank) : blankCluster(rootDir);
      const source = await blank.catch((error: unknown) => {
        blank = null; // the next create tries again
        throw error;
      });
      fs.mkdirSync(target.dir); // fails if it exists: a target is never reused
      fs.cpSync(source, target.dir, { recursive: true });
      return target;
    },
    drop(target) {
      if (target.engine === "pglite") fs.rmSync(target.dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
}
