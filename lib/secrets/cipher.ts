import crypto from "node:crypto";

/**
 * AES-256-GCM for secrets at rest. A stored value is either plaintext or
 * `enc:v1:<base64 iv|tag|ciphertext>`; the prefix lets a reader tell which,
 * and the version leaves room for another scheme later.
 */
const PREFIX = "enc:v1:";
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SecretKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SecretKeyError";
  }
}

export interface SecretKey {
  readonly bytes: Buffer;
}

/** Derives the 256-bit key from the configured passphrase (any string of 16+ characters). */
export function deriveSecretKey(passphrase: string): SecretKey {
  if (passphrase.length < 16) {
    throw new SecretKeyError("An encryption key must be at least 16 characters long.");
  }
  const bytes = Buffer.from(
    crypto.hkdfSync("sha256", passphrase, "liftoff-secrets", "aes-256-gcm v1", 32),
  );
  return { bytes };
}

export function isEncrypted(value: string): boolean {
  return value.startsWith(PREFIX);
}

export function encryptSecret(plaintext: string, key: SecretKey): string {
  const iv = crypto.randomBytes(IV_BYTES);
  const cipher = crypto.createCipheriv("aes-256-gcm", key.bytes, iv);
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64");
}

export function decryptSecret(stored: string, key: SecretKey | null): string {
  if (!isEncrypted(stored)) return stored;
  if (!key) {
    throw new SecretKeyError(
      "This value is encrypted but LIFTOFF_ENCRYPTION_KEY is not set. Set the key it was encrypted with.",
    );
  }
  const raw = Buffer.from(stored.slice(PREFIX.length), "base64");
  if (raw.length < IV_BYTES + TAG_BYTES) throw new SecretKeyError("Encrypted value is malformed.");
  const decipher = crypto.createDecipheriv("aes-256-gcm", key.bytes, raw.subarray(0, IV_BYTES));
  decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  try {
    return Buffer.concat([
      decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)),
      decipher.final(),
    ]).toString("utf8");
  } catch {
    throw new SecretKeyError(
      "An encrypted value could not be decrypted: LIFTOFF_ENCRYPTION_KEY is not the key it was encrypted with.",
    );
  }
}

/** Stores a secret: encrypted when a key is configured, plaintext otherwise. */
export function sealSecret(plaintext: string, key: SecretKey | null): string {
  return key ? encryptSecret(plaintext, key) : plaintext;
}
