import crypto from "node:crypto";

/**
 * AES-256-GCM for secrets at rest. A stored value is either plaintext or
 * `enc:v2:<base64 iv|tag|ciphertext>`; the prefix lets a reader tell which.
 * `enc:v1:` values were sealed under the earlier key form (HKDF of the
 * configured string, which has no work factor); they still open, and
 * `npm run rotate-key` rewrites them as v2.
 */
const PREFIX = "enc:v2:";
const LEGACY_PREFIX = "enc:v1:";
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SecretKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SecretKeyError";
  }
}

export interface SecretKey {
  /** The AES key new values are sealed with. */
  readonly bytes: Buffer;
  /** The key `enc:v1:` values were sealed with, when it differs. */
  readonly legacyBytes?: Buffer;
}

/** Exactly 32 bytes in standard base64, as `openssl rand -base64 32` prints them. */
const rawKeyPattern = /^[A-Za-z0-9+/]{43}=$/;

/**
 * A passphrase goes through scrypt so each guess at a leaked dump costs memory
 * and time. The salt is fixed because the key is needed before anything can
 * be read, so there is nowhere to keep one per instance; a raw 32-byte key
 * needs no stretching and is the form the README recommends.
 */
const passphraseSalt = "liftoff instance key v2";
const passphraseCost = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

const derived = new Map<string, SecretKey>();

/**
 * The key from `LIFTOFF_ENCRYPTION_KEY`'s value: 32 random bytes in base64,
 * used as they are, or a passphrase of 16+ characters, stretched by scrypt.
 * Derived once per value: scrypt is slow on purpose.
 */
export function deriveSecretKey(value: string): SecretKey {
  const known = derived.get(value);
  if (known) return known;
  if (value.length < 16) {
    throw new SecretKeyError(
      "An encryption key must be 32 random bytes in base64 (openssl rand -base64 32) or a passphrase of at least 16 characters.",
    );
  }
  const bytes = rawKeyPattern.test(value)
    ? Buffer.from(value, "base64")
    : crypto.scryptSync(value.normalize("NFC"), passphraseSalt, 32, passphraseCost);
  const legacyBytes = Buffer.from(
    crypto.hkdfSync("sha256", value, "liftoff-secrets", "aes-256-gcm v1", 32),
  );
  const key = { bytes, legacyBytes };
  derived.set(value, key);
  return key;
}

export function isEncrypted(value: string): boolean {
  return value.startsWith(PREFIX) || value.startsWith(LEGACY_PREFIX);
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
  const legacy = stored.startsWith(LEGACY_PREFIX);
  const bytes = legacy ? (key.legacyBytes ?? key.bytes) : key.bytes;
  const raw = Buffer.from(stored.slice(PREFIX.length), "base64");
  if (raw.length < IV_BYTES + TAG_BYTES) throw new SecretKeyError("Encrypted value is malformed.");
  const decipher = crypto.createDecipheriv("aes-256-gcm", bytes, raw.subarray(0, IV_BYTES));
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
