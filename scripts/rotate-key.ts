import { parseArgs } from "node:util";
import { appDatabaseOptions, migrateDatabase, openDatabase } from "@/db/client";
import {
  deriveSecretKey,
  instanceSecretKey,
  rotateSecrets,
  RotationRefusedError,
  SecretKeyError,
  type RotationKeys,
} from "@/lib/secrets";

const usage = `Usage: npm run rotate-key [-- --to-plaintext]

Re-encrypts every stored secret (secret settings and data-source passwords)
in one transaction, from the current key to a new one.

  LIFTOFF_ENCRYPTION_KEY      the current key; unset if secrets are stored in plaintext
  LIFTOFF_NEW_ENCRYPTION_KEY  the new key: 32 random bytes in base64
                              (openssl rand -base64 32) or 16+ characters
  --to-plaintext              store the secrets decrypted instead of using a new key

Stop Liftoff first. Afterwards, start it with LIFTOFF_ENCRYPTION_KEY set to the
new key (or unset after --to-plaintext). If any stored secret cannot be
decrypted with the current key, nothing is changed.`;

class UsageError extends Error {}

function readKeys(argv: string[]): RotationKeys | "help" {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { "to-plaintext": { type: "boolean" }, help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return "help";
  // Empty counts as unset, as for every other variable (lib/config/env).
  const newPassphrase = process.env.LIFTOFF_NEW_ENCRYPTION_KEY || undefined;
  if (newPassphrase && values["to-plaintext"]) {
    throw new UsageError("Give either LIFTOFF_NEW_ENCRYPTION_KEY or --to-plaintext, not both.");
  }
  if (!newPassphrase && !values["to-plaintext"]) {
    throw new UsageError("Set LIFTOFF_NEW_ENCRYPTION_KEY to the new key, or pass --to-plaintext.");
  }
  try {
    return {
      from: instanceSecretKey(),
      to: newPassphrase ? deriveSecretKey(newPassphrase) : null,
    };
  } catch (error) {
    // A key that is too short is a mistake in the invocation, not a failure.
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

async function main(): Promise<number> {
  let keys: RotationKeys | "help";
  try {
    keys = readKeys(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${error.message}\n\n${usage}`);
    return 2;
  }
  if (keys === "help") {
    console.log(usage);
    return 0;
  }
  const handle = await openDatabase(appDatabaseOptions());
  try {
    await migrateDatabase(handle);
    const result = await rotateSecrets(handle.db, keys);
    const total = result.settings + result.dataSourcePasswords;
    console.log(
      `Re-sealed ${total} value(s): ${result.settings} secret setting(s) and ` +
        `${result.dataSourcePasswords} data-source password(s), now ${keys.to ? "encrypted with the new key" : "in plaintext"}.`,
    );
    console.log(
      keys.to
        ? "Start Liftoff with LIFTOFF_ENCRYPTION_KEY set to the new key."
        : "Start Liftoff without LIFTOFF_ENCRYPTION_KEY.",
    );
    return 0;
  } catch (error) {
    if (!(error instanceof RotationRefusedError || error instanceof SecretKeyError)) throw error;
    console.error(error.message);
    return 1;
  } finally {
    await handle.close();
  }
}

process.exitCode = await main().catch((error: unknown) => {
  console.error(`Key rotation failed: ${error instanceof Error ? error.message : String(error)}`);
  return 1;
});
