import crypto from "node:crypto";
import { SecretKeyError, type SecretKey } from "./cipher";

/**
 * Secrets sealed for the store's public key, as Grafana's migration
 * assistant does: the instance makes a fresh X25519 key pair per archive,
 * agrees a secret with the store's public key, and derives one AES-256-GCM
 * key from it (HKDF-SHA256, salt = ephemeral public key ‖ store public key,
 * so the key is bound to both ends). Every secret is then sealed with
 * `encryptSecret`, each with its own IV. Only the holder of the store's
 * private key can derive the key again: neither the object in storage nor a
 * leaked URL to it reveals a secret.
 *
 * Keys travel as base64 of their raw 32 bytes, the form X25519 defines.
 */
const hkdfInfo = "liftoff archive secrets v1";
export const sealedBoxScheme = "x25519-hkdf-sha256-aes-256-gcm";
const rawKeyBytes = 32;
// DER prefixes that wrap a raw X25519 key as SPKI (public) and PKCS#8 (private).
const spkiPrefix = Buffer.from("302a300506032b656e032100", "hex");
const pkcs8Prefix = Buffer.from("302e020100300506032b656e04220420", "hex");

/** A public key as the store publishes it: base64 of the raw 32 bytes. */
const publicKeyPattern = /^[A-Za-z0-9+/]{43}=$/;

export interface SealingKeyPair {
  privateKey: crypto.KeyObject;
  /** Base64 of the raw public key. */
  publicKey: string;
  /** Names the key in manifests, so an archive sealed for another key is refused up front. */
  keyId: string;
}

/** What a sealed archive records so the store can open it. */
export interface SealedFor {
  scheme: typeof sealedBoxScheme;
  keyId: string;
  /** Base64 of the archive's own ephemeral public key. */
  ephemeralPublicKey: string;
}

/** The key an archive's secrets are sealed with, and what its manifest says about it. */
export interface ArchiveSeal {
  key: SecretKey;
  sealedFor: SealedFor;
}

function rawBytes(value: string, what: string): Buffer {
  if (!publicKeyPattern.test(value)) {
    throw new SecretKeyError(`${what} must be 32 bytes in base64 (44 characters).`);
  }
  return Buffer.from(value, "base64");
}

function publicKeyObject(publicKey: string, what: string): crypto.KeyObject {
  return crypto.createPublicKey({
    key: Buffer.concat([spkiPrefix, rawBytes(publicKey, what)]),
    format: "der",
    type: "spki",
  });
}

function rawPublicKey(key: crypto.KeyObject): string {
  const der = key.export({ format: "der", type: "spki" });
  return der.subarray(der.length - rawKeyBytes).toString("base64");
}

/** The key id: the first 16 hex digits of the SHA-256 of the raw public key. */
export function sealingKeyId(publicKey: string): string {
  return crypto
    .createHash("sha256")
    .update(rawBytes(publicKey, "A sealing public key"))
    .digest("hex")
    .slice(0, 16);
}

/**
 * The key pair from its private key: base64 of the raw 32 bytes (any 32
 * random bytes are a valid X25519 private key, so `openssl rand -base64 32`
 * makes one).
 */
export function sealingKeyPair(privateKeyBase64: string): SealingKeyPair {
  const privateKey = crypto.createPrivateKey({
    key: Buffer.concat([pkcs8Prefix, rawBytes(privateKeyBase64, "A sealing private key")]),
    format: "der",
    type: "pkcs8",
  });
  const publicKey = rawPublicKey(crypto.createPublicKey(privateKey));
  return { privateKey, publicKey, keyId: sealingKeyId(publicKey) };
}

/** 32 random bytes in base64: a new private key in the form `sealingKeyPair` reads. */
export function newSealingPrivateKey(): string {
  return crypto.randomBytes(rawKeyBytes).toString("base64");
}

function archiveKey(shared: Buffer, ephemeralPublicKey: string, storePublicKey: string): SecretKey {
  const salt = Buffer.concat([
    Buffer.from(ephemeralPublicKey, "base64"),
    Buffer.from(storePublicKey, "base64"),
  ]);
  return { bytes: Buffer.from(crypto.hkdfSync("sha256", shared, salt, hkdfInfo, 32)) };
}

/** A fresh seal for one archive, for the store whose public key this is. */
export function sealForStore(storePublicKey: string): ArchiveSeal {
  const store = publicKeyObject(storePublicKey, "The store's sealing key");
  const ephemeral = crypto.generateKeyPairSync("x25519");
  const ephemeralPublicKey = rawPublicKey(ephemeral.publicKey);
  const shared = crypto.diffieHellman({ privateKey: ephemeral.privateKey, publicKey: store });
  return {
    key: archiveKey(shared, ephemeralPublicKey, storePublicKey),
    sealedFor: {
      scheme: sealedBoxScheme,
      keyId: sealingKeyId(storePublicKey),
      ephemeralPublicKey,
    },
  };
}

/**
 * The store's side: derives the archive's key again. A key pair that is not
 * the one the archive names is refused here, before any secret is tried.
 */
export function openArchiveSeal(pair: SealingKeyPair, sealedFor: SealedFor): SecretKey {
  if (sealedFor.keyId !== pair.keyId) {
    throw new SecretKeyError(
      `The archive's secrets are sealed for the store key ${sealedFor.keyId}, not this store's (${pair.keyId}).`,
    );
  }
  const ephemeral = publicKeyObject(sealedFor.ephemeralPublicKey, "The archive's ephemeral key");
  const shared = crypto.diffieHellman({ privateKey: pair.privateKey, publicKey: ephemeral });
  return archiveKey(shared, sealedFor.ephemeralPublicKey, pair.publicKey);
}
