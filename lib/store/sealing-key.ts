import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { deriveSecretKey, type SecretKey } from "@/lib/secrets/cipher";
import { sealingKeyPair, type SealingKeyPair } from "@/lib/secrets/sealed-box";

/**
 * The store's two keys:
 * - the sealing key pair (X25519): instances seal an archive's secrets for
 *   its public key, and only this store opens them (see sealed-box.ts);
 * - the cloud-copy key: how a restored cloud copy stores its secrets
 *   (AES-256-GCM, as an instance does with LIFTOFF_ENCRYPTION_KEY).
 */
export interface StoreKeys {
  sealing: SealingKeyPair;
  cloudCopy: SecretKey;
}

export interface StoreKeySources {
  /** LIFTOFF_STORE_SEALING_KEY: base64 of a raw 32-byte X25519 private key. */
  sealingPrivateKey?: string;
  /** LIFTOFF_STORE_ENCRYPTION_KEY: the same forms as LIFTOFF_ENCRYPTION_KEY. */
  cloudCopyKey?: string;
  /** Where a key that is not configured is generated once and kept. */
  dir: string;
}

export const sealingKeyFile = "sealing-key";
export const cloudCopyKeyFile = "cloud-copy-key";

/**
 * Each key from its variable, else from its file under `dir`, made on first
 * use. Every node of a store must hold the same keys: a store of several
 * nodes with separate data folders sets both variables.
 */
export function loadStoreKeys(sources: StoreKeySources): StoreKeys {
  const sealing = sources.sealingPrivateKey ?? keptKey(sources.dir, sealingKeyFile);
  const cloudCopy = sources.cloudCopyKey ?? keptKey(sources.dir, cloudCopyKeyFile);
  return { sealing: sealingKeyPair(sealing), cloudCopy: deriveSecretKey(cloudCopy) };
}

/**
 * The key in `dir/name`, or 32 new random bytes written there first (base64,
 * mode 0600; a valid key of either kind). The file appears whole or not at all: it is written beside
 * and linked into place, and a link never replaces a file, so of two
 * processes making one at once, both end up with the first one's key.
 */
function keptKey(dir: string, name: string): string {
  const file = path.join(dir, name);
  const existing = readKey(file);
  if (existing) return existing;
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const draft = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    fs.writeFileSync(draft, crypto.randomBytes(32).toString("base64") + "\n", {
      mode: 0o600,
      flag: "wx",
    });
    fs.linkSync(draft, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  } finally {
    fs.rmSync(draft, { force: true });
  }
  return readKey(file) ?? failUnreadable(file);
}

function readKey(file: string): string | null {
  try {
    return fs.readFileSync(file, "utf8").trim() || failUnreadable(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

function failUnreadable(file: string): never {
  throw new Error(
    `The store key file ${file} is empty: restore it from a backup (a new key would not open what the old one sealed).`,
  );
}
