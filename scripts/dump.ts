/**
 * npm run dump -- --out FILE [--passphrase | --plaintext] [--parallel N]
 * Writes a consistent dump archive of the app database (see lib/dump).
 * Secrets (data-source passwords, secret settings) stay sealed with the
 * instance key; an instance without one must choose: sealed with a
 * passphrase, or in plaintext. Exit codes: 0 done, 1 failed, 2 usage.
 */
import fs from "node:fs";
import { parseArgs } from "node:util";
import { appDatabaseOptions, openDatabase } from "@/db/client";
import { newPassphraseKey } from "@/lib/dump/secrets";
import { writeDumpArchive } from "@/lib/dump/write/write";
import { instanceSecretKey } from "@/lib/secrets/key";
import { archivePassphrase, passphraseEnv } from "./archive-passphrase";
import { fail, formatBytes, percent, progressLine, usage } from "./dump-cli";

const help = `Usage: npm run dump -- --out FILE [--passphrase | --plaintext] [--parallel N]
  --passphrase  seal the secrets with a passphrase (from ${passphraseEnv}, or asked)
  --plaintext   write the secrets in plaintext: anyone holding the file can read the passwords`;
let args;
try {
  args = parseArgs({
    options: {
      out: { type: "string" },
      plaintext: { type: "boolean", default: false },
      passphrase: { type: "boolean", default: false },
      parallel: { type: "string", default: "2" },
      help: { type: "boolean", default: false },
    },
  }).values;
} catch (error) {
  usage(help, (error as Error).message);
}
if (args.help) usage(help);
if (!args.out) usage(help, "--out FILE is required.");
const parallel = Number(args.parallel);
if (!Number.isInteger(parallel) || parallel < 1)
  usage(help, "--parallel must be a positive integer.");

if (args.plaintext && args.passphrase) usage(help, "Choose --passphrase or --plaintext, not both.");
const instanceKey = instanceSecretKey();
if (!instanceKey && !args.plaintext && !args.passphrase) {
  usage(
    help,
    "LIFTOFF_ENCRYPTION_KEY is not set, so this instance's secrets would leave in plaintext. Choose --passphrase to seal them, or --plaintext if that is what you want.",
  );
}
let passphrase: string | null = null;
if (args.passphrase) {
  try {
    passphrase = await archivePassphrase({ confirm: true });
  } catch (error) {
    usage(help, (error as Error).message);
  }
  if (!passphrase) usage(help, `No terminal to ask for the passphrase at: set ${passphraseEnv}.`);
}

const out = args.out;
// Written beside the target and renamed at the end: a failed dump never leaves a complete-looking file.
const partial = `${out}.partial`;
try {
  const handle = await openDatabase({ ...appDatabaseOptions(), maxConnections: parallel + 1 });
  try {
    const progress = progressLine();
    const started = Date.now();
    const result = await writeDumpArchive(handle, fs.createWriteStream(partial), {
      parallel,
      secrets: passphrase
        ? { mode: "passphrase", instanceKey, passphraseKey: await newPassphraseKey(passphrase) }
        : { mode: args.plaintext ? "plaintext" : "keep", instanceKey },
      onProgress: (p) =>
        progress.update(
          `dump ${percent(p.fraction, 1)}  ${p.rowsDone.toLocaleString()} of ~${p.rowsTotal.toLocaleString()} rows  ${formatBytes(p.bytesDone)}  ${p.table ?? ""}`,
        ),
    });
    progress.done();
    fs.renameSync(partial, out);
    const { manifest } = result;
    const rows = manifest.tables.reduce((n, t) => n + t.rows, 0);
    console.log(
      `Dumped ${manifest.tables.length} tables, ${rows.toLocaleString()} rows (${handle.engine}, schema ${manifest.schema.migrationId}) to ${out}`,
    );
    for (const t of manifest.tables)
      console.log(`  ${t.name.padEnd(20)} ${String(t.rows).padStart(10)} rows`);
    console.log(
      `Archive: ${formatBytes(result.bytes)}, sha256 ${result.sha256}, ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    if (manifest.secrets.mode === "passphrase") {
      console.log(
        `${manifest.secrets.count} secrets are sealed with your passphrase: loading the archive asks for it.`,
      );
    } else if (manifest.secrets.mode === "plaintext") {
      console.log(
        `Warning: ${manifest.secrets.count} secrets are in PLAINTEXT in this archive. Keep it safe.`,
      );
    } else if (manifest.secrets.count > manifest.secrets.encrypted) {
      console.log(
        `Note: ${manifest.secrets.count - manifest.secrets.encrypted} secrets are stored unencrypted on this instance and are so in the archive.`,
      );
    }
  } finally {
    await handle.close();
  }
} catch (error) {
  fs.rmSync(partial, { force: true });
  fail(error);
}
