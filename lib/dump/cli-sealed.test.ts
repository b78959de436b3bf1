import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newSealingPrivateKey, sealForStore, sealingKeyPair } from "@/lib/secrets/sealed-box";
import { makeRealArchive } from "@/lib/store/testing/real-archive";
import { runArchiveCli } from "./testing/run-cli";

/**
 * verify and load, as a script runs them, on an archive a migration sealed
 * for a store: only that store's private key (LIFTOFF_STORE_SEALING_KEY)
 * opens it; without it, load refuses (exit 3) and says what it needs.
 */
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "liftoff-cli-sealed-"));
const archive = path.join(tmp, "sealed.tar");
const storePrivateKey = newSealingPrivateKey();
const store = sealingKeyPair(storePrivateKey);

function run(script: string, args: string[], dataDir: string, env: Record<string, string> = {}) {
  return runArchiveCli(script, args, dataDir, env);
}

describe("npm run verify / load on a store-sealed archive", { timeout: 240_000 }, () => {
  beforeAll(async () => {
    const made = await makeRealArchive("pglite", archive, {
      secrets: { mode: "store", instanceKey: null, storeSeal: sealForStore(store.publicKey) },
    });
    expect(made.manifest.secrets.count).toBeGreaterThan(0);
  }, 240_000);
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("names the store key; load refuses without it and opens the secrets with it", () => {
    const verified = run("verify", [archive], path.join(tmp, "unused"));
    expect(verified.status, verified.output).toBe(0);
    expect(verified.output).toContain(`sealed for store key ${store.keyId}`);

    const refused = run("load", [archive], path.join(tmp, "refused"));
    expect(refused.status, refused.output).toBe(3);
    expect(refused.output).toMatch(/sealed for a cloud store's key.*LIFTOFF_STORE_SEALING_KEY/);
    expect(fs.existsSync(path.join(tmp, "refused", "pglite"))).toBe(false);

    const loaded = run("load", [archive], path.join(tmp, "loaded"), {
      LIFTOFF_STORE_SEALING_KEY: storePrivateKey,
    });
    expect(loaded.status, loaded.output).toBe(0);
    expect(loaded.output).toMatch(
      /Opened \d+ secrets with the store's key and stored them in plaintext/,
    );
  });
});
