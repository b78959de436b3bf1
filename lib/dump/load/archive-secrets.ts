import { getTableConfig } from "drizzle-orm/pg-core";
import { dataSources, settings } from "@/db/schema";
import { decryptSecret, sealSecret, SecretKeyError, type SecretKey } from "@/lib/secrets/cipher";
import { deriveScryptKey } from "@/lib/secrets/passphrase";
import { openArchiveSeal, type SealingKeyPair } from "@/lib/secrets/sealed-box";
import { ArchiveRefusal } from "../format/errors";
import type { DumpManifest } from "../format/manifest";
import { keyFingerprint } from "../secrets";
import { qualified, quoteLiteral } from "../tables";
import type { LoadTarget } from "./target";

/** What may open an archive's secrets: a passphrase, or the store's sealing key pair. */
export interface ArchiveOpeners {
  passphrase?: string;
  sealingKey?: SealingKeyPair;
}

/**
 * The key that opens a passphrase or store-sealed archive's secrets,
 * checked against the manifest's fingerprint before anything is loaded; null
 * for other archives. (A fingerprint cannot speed up guessing: each guess
 * costs a scrypt, and a store key is not guessed.)
 */
export async function archiveSecretsKey(
  manifest: DumpManifest,
  openers: ArchiveOpeners,
): Promise<SecretKey | null> {
  const { secrets } = manifest;
  if (secrets.mode === "store-key") return storeSealedKey(secrets, openers.sealingKey);
  if (secrets.mode !== "passphrase") return null;
  const { passphrase } = openers;
  if (!secrets.kdf || !secrets.keyFingerprint) {
    throw new ArchiveRefusal("malformed", "The manifest has no key derivation for its passphrase.");
  }
  if (!passphrase) {
    throw new ArchiveRefusal(
      "passphrase_required",
      "The archive's secrets are sealed with a passphrase: give it (LIFTOFF_ARCHIVE_PASSPHRASE, or --passphrase to be asked).",
    );
  }
  let key: SecretKey;
  try {
    key = await deriveScryptKey(passphrase, secrets.kdf);
  } catch (error) {
    if (error instanceof SecretKeyError) throw wrongPassphrase();
    throw error;
  }
  if (keyFingerprint(key) !== secrets.keyFingerprint) throw wrongPassphrase();
  return key;
}

function storeSealedKey(
  secrets: DumpManifest["secrets"],
  sealingKey: SealingKeyPair | undefined,
): SecretKey {
  const { sealedFor, keyFingerprint: expected } = secrets;
  if (!sealedFor || !expected) {
    throw new ArchiveRefusal("malformed", "The manifest does not say which store key sealed it.");
  }
  if (!sealingKey) {
    throw new ArchiveRefusal(
      "sealing_key_required",
      `The archive's secrets are sealed for a cloud store's key (${sealedFor.keyId}): only that store opens them. Load it there, or set LIFTOFF_STORE_SEALING_KEY to that store's private key.`,
    );
  }
  if (sealedFor.keyId !== sealingKey.keyId) {
    throw new ArchiveRefusal(
      "wrong_sealing_key",
      `The archive's secrets are sealed for the store key ${sealedFor.keyId}, not for this store's (${sealingKey.keyId}).`,
    );
  }
  let key: SecretKey;
  try {
    key = openArchiveSeal(sealingKey, sealedFor);
  } catch (error) {
    if (error instanceof SecretKeyError) throw new ArchiveRefusal("malformed", error.message);
    throw error;
  }
  if (keyFingerprint(key) !== expected) {
    throw new ArchiveRefusal(
      "wrong_sealing_key",
      "The store's key does not open the archive's secrets: it was altered, or sealed for another key.",
    );
  }
  return key;
}

const wrongPassphrase = () =>
  new ArchiveRefusal("wrong_passphrase", "That is not the passphrase the archive was sealed with.");

export interface ResealKeys {
  /** What the archive's secrets are sealed with. */
  from: SecretKey;
  /** The loading instance's own key; null where it keeps secrets in plaintext. */
  to: SecretKey | null;
}

/**
 * A delta's rows only: the rows already in the copy were resealed when they
 * came, and sealing them again would lock them with a key twice.
 */
export interface ResealOnly {
  /** Keys of the settings rows the delta brought. */
  settings: string[];
  /** Ids (as text) of the data sources the delta brought. */
  dataSources: string[];
}

const inList = (values: string[]) => (values.length ? values.map(quoteLiteral).join(", ") : "null");

/** The tables whose rows carry secrets, as named in an archive. */
export const secretTables = {
  settings: getTableConfig(settings).name,
  dataSources: getTableConfig(dataSources).name,
};

const settingsTable = qualified(getTableConfig(settings).name);
const dataSourcesTable = qualified(getTableConfig(dataSources).name);

/**
 * Inside the load's transaction: opens every loaded secret with the
 * archive's key and stores it as this instance (or the store's cloud copy)
 * stores secrets. Runs at the
 * archive's schema, before newer migrations, so it names the columns the
 * archive has.
 */
export async function resealLoadedSecrets(
  target: LoadTarget,
  keys: ResealKeys,
  only?: ResealOnly,
): Promise<number> {
  const reseal = (stored: string) =>
    quoteLiteral(sealSecret(decryptSecret(stored, keys.from), keys.to));
  const statements: string[] = [];
  for (const [key, value] of await target.query(
    `select key, value from ${settingsTable} where secret${only ? ` and key in (${inList(only.settings)})` : ""}`,
  )) {
    statements.push(
      `update ${settingsTable} set value = ${reseal(value!)} where key = ${quoteLiteral(key!)}`,
    );
  }
  for (const [id, password] of await target.query(
    `select id::text, details ->> 'password' from ${dataSourcesTable}
     where jsonb_typeof(details -> 'password') = 'string'${only ? ` and id::text in (${inList(only.dataSources)})` : ""}`,
  )) {
    statements.push(
      `update ${dataSourcesTable} set details = jsonb_set(details, '{password}', to_jsonb(${reseal(password!)}::text)) where id = ${Number(id)}`,
    );
  }
  if (statements.length) await target.exec(statements.join(";\n"));
  return statements.length;
}
