import {
  decryptSecret,
  encryptSecret,
  isEncrypted,
  type SecretKey,
  SecretKeyError,
} from "@/lib/secrets/cipher";
import type { TextQuery } from "../catalog";
import type { FieldValue } from "../format/copy-text";
import type { DumpManifest } from "../format/manifest";
import { exportableRows } from "../instance-only";
import { dataSourcesTable, keyFingerprint, settingsTable, type SecretOptions } from "../secrets";

/** How one table's secret column is read and rewritten; null when nothing changes. */
export interface SecretRewrite {
  /** Extra select expressions appended after the table's columns. */
  extraSelect: string[];
  apply(row: FieldValue[], extras: FieldValue[]): void;
}

function text(value: FieldValue): string | null {
  return value === null ? null : value.toString();
}

export function secretRewrite(
  table: string,
  columns: string[],
  options: SecretOptions,
): SecretRewrite | null {
  const seal = sealerFor(options);
  if (!seal) return null;
  if (table === settingsTable) {
    const value = columns.indexOf("value");
    const secret = columns.indexOf("secret");
    return {
      extraSelect: [],
      apply(row) {
        const stored = text(row[value]!);
        if (text(row[secret]!) === "t" && stored !== null) row[value] = seal(stored);
      },
    };
  }
  if (table === dataSourcesTable) {
    const details = columns.indexOf("details");
    return {
      // Rewriting only the password, and leaving the rest as the server
      // printed it, keeps numbers in `options` exact (JSON.parse would not).
      extraSelect: [
        `jsonb_typeof("details" -> 'password')`,
        `"details" ->> 'password'`,
        `("details" - 'password')`,
      ],
      apply(row, extras) {
        if (text(extras[0]!) !== "string") return;
        const rest = text(extras[2]!)!;
        const password = `"password": ${JSON.stringify(seal(text(extras[1]!)!))}`;
        row[details] = rest === "{}" ? `{${password}}` : `${rest.slice(0, -1)}, ${password}}`;
      },
    };
  }
  return null;
}

/** What each stored secret becomes in the archive; null when it goes as stored. */
function sealerFor(options: SecretOptions): ((stored: string) => string) | null {
  const { instanceKey } = options;
  switch (options.mode) {
    case "keep":
      if (!instanceKey) return null;
      return (stored) => (isEncrypted(stored) ? stored : encryptSecret(stored, instanceKey));
    case "plaintext":
      return (stored) => decryptSecret(stored, instanceKey);
    case "passphrase":
    case "store": {
      const key = sealingKeyOf(options);
      return (stored) => encryptSecret(decryptSecret(stored, instanceKey), key);
    }
  }
}

function sealingKeyOf(options: SecretOptions): SecretKey {
  const key = options.mode === "passphrase" ? options.passphraseKey?.key : options.storeSeal?.key;
  if (!key) throw new SecretKeyError(`A ${options.mode} key is required.`);
  return key;
}

/** Counts the secrets in the snapshot, for the manifest. */
export async function secretSummary(
  query: TextQuery,
  options: SecretOptions,
): Promise<DumpManifest["secrets"]> {
  // Only the settings the archive carries (instance-only ones stay behind).
  const leaving = exportableRows(settingsTable) ?? "true";
  const [row] = await query(`
    select (select count(*) from "public"."${settingsTable}" where secret and ${leaving})::text,
           (select count(*) from "public"."${settingsTable}" where secret and ${leaving} and value like 'enc:v_:%')::text,
           (select count(*) from "public"."${dataSourcesTable}" where jsonb_typeof(details -> 'password') = 'string')::text,
           (select count(*) from "public"."${dataSourcesTable}" where details ->> 'password' like 'enc:v_:%')::text`);
  const total = Number(row![0]) + Number(row![2]);
  const encrypted = Number(row![1]) + Number(row![3]);
  if (options.mode === "plaintext") {
    if (encrypted > 0 && !options.instanceKey) {
      throw new SecretKeyError(
        "The database holds encrypted secrets but LIFTOFF_ENCRYPTION_KEY is not set: a plaintext dump cannot decrypt them.",
      );
    }
    return { mode: "plaintext", keyFingerprint: null, count: total, encrypted: 0 };
  }
  if (options.mode === "store" || options.mode === "passphrase") {
    const key = sealingKeyOf(options);
    if (encrypted > 0 && !options.instanceKey) {
      throw new SecretKeyError(
        "The database holds encrypted secrets but LIFTOFF_ENCRYPTION_KEY is not set: they cannot be re-encrypted.",
      );
    }
    return {
      mode: options.mode === "passphrase" ? "passphrase" : "store-key",
      keyFingerprint: keyFingerprint(key),
      count: total,
      encrypted: total,
      ...(options.mode === "passphrase"
        ? { kdf: options.passphraseKey!.kdf }
        : { sealedFor: options.storeSeal!.sealedFor }),
    };
  }
  return {
    mode: "instance-key",
    keyFingerprint: options.instanceKey ? keyFingerprint(options.instanceKey) : null,
    count: total,
    // With a key, the dump seals what the instance still keeps in plaintext.
    encrypted: options.instanceKey ? total : encrypted,
  };
}
