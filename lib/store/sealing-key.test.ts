import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { decryptSecret, encryptSecret } from "@/lib/secrets/cipher";
import { newSealingPrivateKey, sealingKeyPair } from "@/lib/secrets/sealed-box";
import { cloudCopyKeyFile, loadStoreKeys, sealingKeyFile } from "./sealing-key";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "liftoff-store-keys-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("the store's keys", () => {
  it("are made once, kept in 0600 files, and the same on every later start", () => {
    const dir = path.join(tmp, "made");
    const first = loadStoreKeys({ dir });
    for (const name of [sealingKeyFile, cloudCopyKeyFile]) {
      expect(fs.statSync(path.join(dir, name)).mode & 0o777).toBe(0o600);
    }
    expect(fs.readdirSync(dir).sort()).toEqual([cloudCopyKeyFile, sealingKeyFile].sort());
    const again = loadStoreKeys({ dir });
    expect(again.sealing.keyId).toBe(first.sealing.keyId);
    expect(decryptSecret(encryptSecret("s3cret", first.cloudCopy), again.cloudCopy)).toBe("s3cret");
  });

  it("come from the variables when set, and then no file is written", () => {
    const dir = path.join(tmp, "configured");
    const privateKey = newSealingPrivateKey();
    const keys = loadStoreKeys({
      dir,
      sealingPrivateKey: privateKey,
      cloudCopyKey: "a passphrase for the cloud copies",
    });
    expect(keys.sealing.keyId).toBe(sealingKeyPair(privateKey).keyId);
    expect(fs.existsSync(dir)).toBe(false);
  });

  it("refuse an emptied key file rather than make a new key", () => {
    const dir = path.join(tmp, "emptied");
    loadStoreKeys({ dir });
    fs.writeFileSync(path.join(dir, sealingKeyFile), "");
    expect(() => loadStoreKeys({ dir })).toThrow(/is empty: restore it from a backup/);
  });
});
