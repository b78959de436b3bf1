/**
 * npm run verify -- FILE [--passphrase]
 * Checks a dump archive (structure, checksums, counts, schema) without loading it,
 * and, given its passphrase (LIFTOFF_ARCHIVE_PASSPHRASE or asked), that it opens the secrets;
 * for an archive a migration sealed for a store, given LIFTOFF_STORE_SEALING_KEY, that
 * this is the store key it was sealed for.
 * Exit codes: 0 valid, 1 failed (e.g. unreadable file), 2 usage, 3 refused.
 */
import fs from "node:fs";
import { parseArgs } from "node:util";
import { archiveSecretsKey } from "@/lib/dump/load/archive-secrets";
import { verifyDumpArchive } from "@/lib/dump/verify/verify";
import {
  passphraseEnv,
  passphraseOption,
  sealingKeyEnv,
  sealingKeyOption,
} from "./archive-passphrase";
import { fail, usage } from "./dump-cli";

const help = `Usage: npm run verify -- FILE [--passphrase]
  --passphrase  ask for the archive's passphrase and check it (or set ${passphraseEnv})
  ${sealingKeyEnv}  the store's private key, to check an archive a migration sealed for the store`;
let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: {
      help: { type: "boolean", default: false },
      passphrase: { type: "boolean", default: false },
    },
  });
} catch (error) {
  usage(help, (error as Error).message);
}
if (parsed.values.help) usage(help);
if (parsed.positionals.length !== 1) usage(help, "Give exactly one archive file.");
if (!fs.existsSync(parsed.positionals[0]!)) usage(help, `No such file: ${parsed.positionals[0]}`);
const passphrase = await passphraseOption(parsed.values.passphrase, help);
const sealingKey = sealingKeyOption(help);
try {
  const { manifest, migrations } = await verifyDumpArchive(parsed.positionals[0]!);
  const sealedWithPassphrase = manifest.secrets.mode === "passphrase";
  if (sealedWithPassphrase && passphrase) await archiveSecretsKey(manifest, { passphrase });
  const sealedForStore = manifest.secrets.mode === "store-key";
  if (sealedForStore && sealingKey) await archiveSecretsKey(manifest, { sealingKey });
  const rows = manifest.tables.reduce((n, t) => n + t.rows, 0);
  console.log(
    `Valid Liftoff dump, format ${manifest.formatVersion}, app ${manifest.appVersion}, created ${manifest.createdAt} on ${manifest.sourceEngine}`,
  );
  console.log(
    `Schema ${manifest.schema.migrationId}${migrations.after.length ? ` (loading applies ${migrations.after.length} newer migrations)` : ""}`,
  );
  console.log(
    `Secrets: ${manifest.secrets.mode}, ${manifest.secrets.count} (${manifest.secrets.encrypted} encrypted)${sealedWithPassphrase ? (passphrase ? ", the passphrase opens them" : `; give the passphrase (${passphraseEnv} or --passphrase) to check it`) : ""}${sealedForStore ? (sealingKey ? ", this store's key opens them" : `; sealed for store key ${manifest.secrets.sealedFor?.keyId ?? "?"}, which alone opens them (${sealingKeyEnv} to check it)`) : ""}`,
  );
  for (const t of manifest.tables)
    console.log(`  ${t.name.padEnd(20)} ${String(t.rows).padStart(10)} rows  sha256 ${t.sha256}`);
  console.log(
    `${manifest.tables.length} tables, ${rows.toLocaleString()} rows: every checksum matches.`,
  );
} catch (error) {
  fail(error);
}
