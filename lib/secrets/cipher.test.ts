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
    const bytes = Buffer.from(stored.slice("enc:v1:".length), "base64");
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 1) ^ 1, bytes.length - 1);
    expect(() => decryptSecret("enc:v1:" + bytes.toString("base64"), key)).toThrow(
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
});
