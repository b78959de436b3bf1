import crypto from "node:crypto";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  decryptSecret,
  deriveSecretKey,
  encryptSecret,
  isEncrypted,
  sealSecret,
  SecretKeyError,
} from "./cipher";

const key = deriveSecretKey("correct horse battery staple");
const otherKey = deriveSecretKey("another key of enough length");

describe("secret cipher", () => {
  it("round-trips any string and never stores the plaintext", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), (plaintext) => {
        const stored = encryptSecret(plaintext, key);
        expect(isEncrypted(stored)).toBe(true);
        if (plaintext.length > 3) expect(stored).not.toContain(plaintext);
        expect(decryptSecret(stored, key)).toBe(plaintext);
      }),
    );
  });

  it("uses a fresh IV each time", () => {
    expect(encryptSecret("same", key)).not.toBe(encryptSecret("same", key));
  });

  it("refuses the wrong key, a missing key and a tampered value", () => {
    const stored = encryptSecret("s3cret", key);
    expect(() => decryptSecret(stored, otherKey)).toThrow(SecretKeyError);
    expect(() => decryptSecret(stored, null)).toThrow(/LIFTOFF_ENCRYPTION_KEY is not set/);
    const bytes = Buffer.from(stored.slice("enc:v2:".length), "base64");
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 1) ^ 1, bytes.length - 1);
    expect(() => decryptSecret("enc:v2:" + bytes.toString("base64"), key)).toThrow(
      /could not be decrypted/,
    );
  });

  it("keeps plaintext without a key and passes plaintext through decrypt", () => {
    expect(sealSecret("open", null)).toBe("open");
    expect(decryptSecret("open", key)).toBe("open");
  });

  it("refuses short passphrases", () => {
    expect(() => deriveSecretKey("short")).toThrow(SecretKeyError);
  });

  it("uses 32 random bytes in base64 as the key itself", () => {
    const random = crypto.randomBytes(32);
    const raw = deriveSecretKey(random.toString("base64"));
    expect(raw.bytes.equals(random)).toBe(true);
    const stored = encryptSecret("s3cret", raw);
    expect(stored.startsWith("enc:v2:")).toBe(true);
    expect(decryptSecret(stored, deriveSecretKey(random.toString("base64")))).toBe("s3cret");
  });

  it("stretches a passphrase with scrypt, not HKDF, the same way every time", () => {
    const passphrase = "correct horse battery staple";
    const hkdf = Buffer.from(
      crypto.hkdfSync("sha256", passphrase, "liftoff-secrets", "aes-256-gcm v1", 32),
    );
    expect(key.bytes.equals(hkdf)).toBe(false);
    expect(key.bytes.equals(deriveSecretKey(passphrase).bytes)).toBe(true);
    // Recomputed here with the cost the module uses: a change of salt or cost would
    // leave every stored secret unreadable, so it must be deliberate.
    const scrypt = crypto.scryptSync(passphrase, "liftoff instance key v2", 32, {
      N: 1 << 15,
      r: 8,
      p: 1,
      maxmem: 64 * 1024 * 1024,
    });
    expect(key.bytes.equals(scrypt)).toBe(true);
  });

  it("still opens values sealed under the earlier HKDF key form, and seals new ones as v2", () => {
    const passphrase = "correct horse battery staple";
    const hkdf = Buffer.from(
      crypto.hkdfSync("sha256", passphrase, "liftoff-secrets", "aes-256-gcm v1", 32),
    );
    // What the earlier release stored: the same cipher under the HKDF key, prefixed v1.
    const old = "enc:v1:" + encryptSecret("from before", { bytes: hkdf }).slice("enc:v2:".length);
    expect(isEncrypted(old)).toBe(true);
    expect(decryptSecret(old, key)).toBe("from before");
    expect(() => decryptSecret(old, otherKey)).toThrow(SecretKeyError);
    expect(encryptSecret("new", key).startsWith("enc:v2:")).toBe(true);
  });
});
