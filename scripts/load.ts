/**
 * npm run load -- FILE [--database-url URL] [--jobs N] [--passphrase]
 * Restores a dump archive into an empty database (the app's, or URL) in one
 * transaction, verifying it as it goes (see loadDumpArchive: nothing
 * unverified is kept); with --jobs N (PostgreSQL) on N connections, as
 * pg_restore -j does, undoing its work if it fails. Exit codes: 0 loaded,
 * 1 failed, 2 usage, 3 archive refused, 4 target database not empty.
 * Secrets sealed with a passphrase are opened with it (LIFTOFF_ARCHIVE_PASSPHRASE,
 * or asked with --passphrase) and stored as this instance stores them; so are
 * secrets a migration sealed for a store, given that store's private key
 * (LIFTOFF_STORE_SEALING_KEY), and such an archive is refused without it.
 */
import fs from "node:fs";
import { parseArgs } from "node:util";
import { appDatabaseOptions, openDatabase } from "@/db/client";
import { loadDumpArchive } from "@/lib/dump/load/load";
import { keyFingerprints } from "@/lib/dump/secrets";
import { instanceSecretKey } from "@/lib/secrets/key";
import {
  passphraseEnv,
  passphraseOption,
  sealingKeyEnv,
  sealingKeyOption,
} from "./archive-passphrase";
import { fail, percent, progressLine, usage } from "./dump-cli";

const help = `Usage: npm run load -- FILE [--database-url postgres://...] [--jobs N] [--passphrase]
  --passphrase  ask for the archive's passphrase (or set ${passphraseEnv})
  ${sealingKeyEnv}  the store's private key, for an archive a migration sealed for the store`;
let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: {
      "database-url": { type: "string" },
      jobs: { type: "string", default: "1" },
      passphrase: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
} catch (error) {
  usage(help, (error as Error).message);
}
if (parsed.values.help) usage(help);
if (parsed.positionals.length !== 1) usage(help, "Give exactly one archive file.");
const file = parsed.positionals[0]!;
if (!fs.existsSync(file)) usage(help, `No such file: ${file}`);
const url = parsed.values["database-url"];
if (url !== undefined && !/^postgres(ql)?:\/\//.test(url))
  usage(help, "--database-url must be a postgres:// URL.");
const jobs = Number(parsed.values.jobs);
if (!Number.isInteger(jobs) || jobs < 1 || jobs > 16)
  usage(help, "--jobs must be a whole number from 1 to 16.");

const passphrase = await passphraseOption(parsed.values.passphrase, help);
const sealingKey = sealingKeyOption(help);

const options = url
  ? { databaseUrl: url, maxConnections: jobs }
  : { ...appDatabaseOptions(), maxConnections: jobs };
// An embedded database this command creates is removed again if the load fails.
const created = options.pgliteDir && !fs.existsSync(options.pgliteDir) ? options.pgliteDir : null;
try {
  const progress = progressLine();
  const handle = await openDatabase(options);
  let loaded = false;
  try {
    const started = Date.now();
    const key = instanceSecretKey();
    const report = await loadDumpArchive(handle, file, {
      jobs,
      passphrase,
      sealingKey,
      instanceKey: key,
      onProgress: (p) =>
        progress.update(
          `load ${percent(p.rowsDone, p.rowsTotal)}  ${p.rowsDone.toLocaleString()} of ${p.rowsTotal.toLocaleString()} rows`,
        ),
    });
    progress.done();
    loaded = true;
    const { manifest } = report.verified;
    console.log(
      `Loaded ${file} into ${handle.engine} (schema ${manifest.schema.migrationId}) in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    for (const t of report.tables)
      console.log(`  ${t.name.padEnd(20)} ${String(t.rows).padStart(10)} rows`);
    if (report.migrationsApplied.length)
      console.log(`Then applied newer migrations: ${report.migrationsApplied.join(", ")}`);
    const expected = manifest.secrets.keyFingerprint;
    if (manifest.secrets.mode === "passphrase" || manifest.secrets.mode === "store-key") {
      const opener = manifest.secrets.mode === "passphrase" ? "the passphrase" : "the store's key";
      console.log(
        `Opened ${manifest.secrets.count} secrets with ${opener} and stored them ${key ? "encrypted with this instance's key" : "in plaintext (LIFTOFF_ENCRYPTION_KEY is not set)"}.`,
      );
    } else if (
      manifest.secrets.encrypted > 0 &&
      expected &&
      (!key || !keyFingerprints(key).includes(expected))
    ) {
      console.log(
        `Warning: the archive's ${manifest.secrets.encrypted} encrypted secrets were sealed with a key (fingerprint ${expected}) that is not this instance's LIFTOFF_ENCRYPTION_KEY. Set that key to use them.`,
      );
    }
  } finally {
    await handle.close();
    if (!loaded && created) fs.rmSync(created, { recursive: true, force: true });
  }
} catch (error) {
  fail(error);
}
