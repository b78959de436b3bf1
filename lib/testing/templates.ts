/**
 * Migrated databases to copy, made once per test run by the global setup.
 *
 * A fresh in-memory PGlite runs `initdb` (seconds each, tens of seconds on a
 * busy machine) and then the migrations; the suite makes hundreds of them.
 * Loading a dumped data folder (what PGlite's own `clone()` does) skips both;
 * on PostgreSQL, `create database … template` copies the migrated schema.
 * The copy is the same database the migrations made: what is proven about
 * migrating stays proven by the tests that migrate on purpose (they ask for
 * an unmigrated database, which is copied from a fresh `initdb` only).
 *
 * A template is used only while `drizzle/` is what it was made from, and
 * `createTestDatabase` still runs `prepareDatabase` on every copy, as the app
 * does on every start, so the read-only guard follows the copy's flag.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import postgres from "postgres";
import type { PGlite } from "@electric-sql/pglite";
import { migrationsFolder, openDatabase, type Engine } from "@/db/client";
import { prepareDatabase } from "@/lib/runtime/database";
import { blankCluster } from "@/lib/store/targets";

const envName = "LIFTOFF_TEST_TEMPLATES";

interface Templates {
  /** `drizzle/` when the templates were made: a changed migration makes them stale. */
  fingerprint: string;
  /** Dumped PGlite data folders: fresh from initdb, and migrated. */
  pgliteBlank?: string;
  pgliteMigrated?: string;
  /** A closed, empty PGlite data folder, for the store's restore targets to copy. */
  pgliteCluster?: string;
  /** A migrated PostgreSQL database nobody connects to, to copy. */
  postgresMigrated?: string;
}

function migrationsFingerprint(): string {
  const hash = crypto.createHash("sha256");
  const walk = (dir: string) => {
    for (const entry of fs
      .readdirSync(dir, { withFileTypes: true })
      .sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else
        hash
          .update(path.relative(migrationsFolder, full))
          .update("\0")
          .update(fs.readFileSync(full));
    }
  };
  walk(migrationsFolder);
  return hash.digest("hex");
}

function current(): Templates | null {
  const raw = process.env[envName];
  if (!raw) return null;
  const templates = JSON.parse(raw) as Templates;
  return templates.fingerprint === migrationsFingerprint() ? templates : null;
}

const loaded = new Map<string, Blob>();

/** The dumped PGlite data folder to start an in-memory database from, if there is one. */
export function pgliteTemplate(migrated: boolean): Blob | undefined {
  const templates = current();
  const file = migrated ? templates?.pgliteMigrated : templates?.pgliteBlank;
  if (!file) return undefined;
  let blob = loaded.get(file);
  if (!blob) {
    blob = new Blob([fs.readFileSync(file)]);
    loaded.set(file, blob);
  }
  return blob;
}

/** The empty PGlite folder restore targets copy (lib/store/targets.ts), if there is one. */
export function pgliteBlankCluster(): string | undefined {
  return current()?.pgliteCluster;
}

/** The migrated PostgreSQL database to copy, if there is one. */
export function postgresTemplate(): string | undefined {
  return current()?.postgresMigrated;
}

/**
 * Makes the templates for `engines` and publishes them to the test workers
 * (through the environment they inherit). Returns the clean-up.
 */
export async function makeTemplates(
  engines: Engine[],
  adminUrl: string,
): Promise<() => Promise<void>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "liftoff-test-templates-"));
  const templates: Templates = { fingerprint: migrationsFingerprint() };
  let dropPostgres = async () => {};
  const cleanUp = async () => {
    delete process.env[envName];
    fs.rmSync(dir, { recursive: true, force: true });
    await dropPostgres();
  };
  try {
    if (engines.includes("pglite")) {
      const handle = await openDatabase({});
      try {
        const raw = handle.raw as PGlite;
        templates.pgliteBlank = path.join(dir, "pglite-blank.tar");
        fs.writeFileSync(templates.pgliteBlank, await blobBytes(await raw.dumpDataDir("none")));
        await prepareDatabase(handle);
        templates.pgliteMigrated = path.join(dir, "pglite-migrated.tar");
        fs.writeFileSync(templates.pgliteMigrated, await blobBytes(await raw.dumpDataDir("none")));
      } finally {
        await handle.close();
      }
      templates.pgliteCluster = await blankCluster(dir, path.join(dir, "pglite-cluster"));
    }
    if (engines.includes("postgres")) {
      const name = `liftoff_template_${process.pid}_${crypto.randomBytes(4).toString("hex")}`;
      const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
      try {
        await admin.unsafe(`create database "${name}"`);
      } finally {
        await admin.end();
      }
      dropPostgres = async () => {
        const dropper = postgres(adminUrl, { max: 1, onnotice: () => {} });
        try {
          await dropper.unsafe(`drop database if exists "${name}" with (force)`);
        } finally {
          await dropper.end();
        }
      };
      const url = new URL(adminUrl);
      url.pathname = "/" + name;
      const handle = await openDatabase({ databaseUrl: url.toString(), maxConnections: 1 });
      try {
        await prepareDatabase(handle);
      } finally {
        await handle.close();
      }
      templates.postgresMigrated = name;
    }
  } catch (error) {
    await cleanUp();
    throw error;
  }
  process.env[envName] = JSON.stringify(templates);
  return cleanUp;
}

async function blobBytes(blob: Blob): Promise<Buffer> {
  return Buffer.from(await blob.arrayBuffer());
}
