import crypto from "node:crypto";
import { describe, expect, it } from "vitest";
import { decryptSecret, encryptSecret, SecretKeyError } from "./cipher";
import {
  newSealingPrivateKey,
  openArchiveSeal,
  sealForStore,
  sealingKeyId,
  sealingKeyPair,
} from "./sealed-box";

const store = sealingKeyPair(newSealingPrivateKey());

describe("sealed box (secrets sealed for the store's public key)", () => {
  it("round-trips: the store's private key derives the archive's key again", () => {
    const seal = sealForStore(store.publicKey);
    expect(seal.sealedFor.keyId).toBe(store.keyId);
    const stored = encryptSecret("hunter2-password", seal.key);
    expect(stored).not.toContain("hunter2");
    const opened = openArchiveSeal(store, seal.sealedFor);
    expect(opened.bytes.equals(seal.key.bytes)).toBe(true);
    expect(decryptSecret(stored, opened)).toBe("hunter2-password");
  });

  it("makes a fresh ephemeral key, hence a fresh archive key, every time", () => {
    const a = sealForStore(store.publicKey);
    const b = sealForStore(store.publicKey);
    expect(a.sealedFor.ephemeralPublicKey).not.toBe(b.sealedFor.ephemeralPublicKey);
    expect(a.key.bytes.equals(b.key.bytes)).toBe(false);
  });

  it("does not open with another private key", () => {
    const seal = sealForStore(store.publicKey);
    const stored = encryptSecret("hunter2-password", seal.key);
    const other = sealingKeyPair(newSealingPrivateKey());
    // Named for another key: refused before anything is tried.
    expect(() => openArchiveSeal(other, seal.sealedFor)).toThrow(/sealed for the store key/);
    // Even claiming to be the right one, the derived key does not open the value.
    const forged = openArchiveSeal(other, { ...seal.sealedFor, keyId: other.keyId });
    expect(forged.bytes.equals(seal.key.bytes)).toBe(false);
    expect(() => decryptSecret(stored, forged)).toThrow(SecretKeyError);
  });

  it("refuses a tampered value and a tampered ephemeral key", () => {
    const seal = sealForStore(store.publicKey);
    const stored = encryptSecret("hunter2-password", seal.key);
    const bytes = Buffer.from(stored.slice("enc:v2:".length), "base64");
    bytes.writeUInt8(bytes.readUInt8(20) ^ 1, 20);
    const opened = openArchiveSeal(store, seal.sealedFor);
    expect(() => decryptSecret("enc:v2:" + bytes.toString("base64"), opened)).toThrow(
      SecretKeyError,
    );
    const swapped = sealForStore(store.publicKey).sealedFor.ephemeralPublicKey;
    const wrong = openArchiveSeal(store, { ...seal.sealedFor, ephemeralPublicKey: swapped });
    expect(() => decryptSecret(stored, wrong)).toThrow(SecretKeyError);
  });

  it("reads a raw 32-byte private key, and refuses other forms with a clear message", () => {
    const raw = crypto.randomBytes(32).toString("base64");
    expect(sealingKeyPair(raw).keyId).toBe(sealingKeyId(sealingKeyPair(raw).publicKey));
    expect(() => sealingKeyPair("not a key")).toThrow(/32 bytes in base64/);
    expect(() => sealForStore("short")).toThrow(/store's sealing key must be 32 bytes/);
  });
});
