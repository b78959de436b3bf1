import crypto from "node:crypto";
import { getTableConfig } from "drizzle-orm/pg-core";
import { dataSources, settings } from "@/db/schema";
import type { SecretKey } from "@/lib/secrets/cipher";
import type { ArchiveSeal } from "@/lib/secrets/sealed-box";
import { deriveScryptKey, newScryptParams, type ScryptParams } from "@/lib/secrets/passphrase";

/**
 * keep: secrets as stored, and any the instance keeps in plaintext sealed
 * with its key (when it has none they stay plaintext: callers that serve a
 * person ask first, see dump CLI and download route);
 * plaintext: decrypted, only on explicit request;
 * passphrase: decrypted and sealed with `passphraseKey` (scrypt of a
 * passphrase the admin chose; its salt goes in the manifest);
 * store: decrypted and sealed for the cloud store's public key (`storeSeal`,
 * see lib/secrets/sealed-box.ts), so neither the object in storage nor a
 * leaked URL reveals them: what a migration sends.
 */
export type SecretMode = "keep" | "plaintext" | "passphrase" | "store";

export interface PassphraseKey {
  key: SecretKey;
  kdf: ScryptParams;
}

export interface SecretOptions {
  mode: SecretMode;
  instanceKey: SecretKey | null;
  storeSeal?: ArchiveSeal;
  passphraseKey?: PassphraseKey;
}

/** Derives a fresh passphrase key (new salt) for one archive. */
export async function newPassphraseKey(passphrase: string): Promise<PassphraseKey> {
  const kdf = newScryptParams();
  return { key: await deriveScryptKey(passphrase, kdf), kdf };
}

const fingerprintOf = (bytes: Buffer) =>
  crypto.createHmac("sha256", bytes).update("liftoff key fingerprint").digest("hex").slice(0, 16);

export function keyFingerprint(key: SecretKey): string {
  return fingerprintOf(key.bytes);
}

/** The fingerprints an archive made with this key may carry: archives from before the scrypt key form carry the HKDF key's. */
export function keyFingerprints(key: SecretKey): string[] {
  return [key.bytes, ...(key.legacyBytes ? [key.legacyBytes] : [])].map(fingerprintOf);
}

/** The tables that hold secrets: a secret setting's value, a data source's password. */
export const settingsTable = getTableConfig(settings).name;
export const dataSourcesTable = getTableConfig(dataSources).name;

/**
 * A column as it may be compared across instances: secrets are sealed with
 * each side's own key, so their values differ by design and are left out
 * (a secret setting's value, a data source's password); everything else is
 * the column itself. Used by delta digests (see delta/digest.ts).
 */
export function comparableColumn(table: string, column: string): string {
  if (table === settingsTable && column === "value") {
    return `case when "secret" then null else "value" end`;
  }
  if (table === dataSourcesTable && column === "details") return `("details" - 'password')`;
  return `"${column.replace(/"/g, '""')}"`;
}
