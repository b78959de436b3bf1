import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrateDatabase, openDatabase } from "@/db/client";
import { settings } from "@/db/schema";
import { decryptSecret, deriveSecretKey, encryptSecret } from "./cipher";

const oldPassphrase = "the old key, long enough";
const newPassphrase = "the new key, long enough";
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "liftoff-rotate-cli-"));
const pgliteDir = path.join(dataDir, "pglite");

function rotateKey(env: Record<string, string>, ...args: string[]) {
  const result = spawnSync("node_modules/.bin/tsx", ["scripts/rotate-key.ts", ...args], {
    encoding: "utf8",
    env: {
      ...process.env,
      LIFTOFF_DATA_DIR: dataDir,
      DATABASE_URL: "",
      LIFTOFF_ENCRYPTION_KEY: "",
      LIFTOFF_NEW_ENCRYPTION_KEY: "",
      ...env,
    },
  });
  return { status: result.status, output: result.stdout + result.stderr };
}

function expectRun(run: ReturnType<typeof rotateKey>, status: number, output: RegExp): void {
  expect(run.output).toMatch(output);
  expect(run.status).toBe(status);
}

async function storedPassword(): Promise<string | undefined> {
  const handle = await openDatabase({ pgliteDir });
  try {
    return (await handle.db.select().from(settings))[0]?.value;
  } finally {
    await handle.close();
  }
}

// The script's own part: reading keys from the environment and exit codes.
// What rotation does to the data is covered in rotate.test.ts on both engines.
describe("npm run rotate-key", () => {
  beforeAll(async () => {
    const handle = await openDatabase({ pgliteDir });
    await migrateDatabase(handle);
    const value = encryptSecret("hunter2", deriveSecretKey(oldPassphrase));
    await handle.db.insert(settings).values({ key: "smtp-password", value, secret: true });
    await handle.close();
  });
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it("exits with 2 without a new key, or with both a new key and --to-plaintext", () => {
    expectRun(rotateKey({}), 2, /--to-plaintext/);
    const both = rotateKey({ LIFTOFF_NEW_ENCRYPTION_KEY: newPassphrase }, "--to-plaintext");
    expectRun(both, 2, /not both/);
    const short = rotateKey({ LIFTOFF_NEW_ENCRYPTION_KEY: "short" });
    expectRun(short, 2, /16 characters/);
  });

  it("rotates from LIFTOFF_ENCRYPTION_KEY to LIFTOFF_NEW_ENCRYPTION_KEY, then refuses to repeat", async () => {
    const keys = {
      LIFTOFF_ENCRYPTION_KEY: oldPassphrase,
      LIFTOFF_NEW_ENCRYPTION_KEY: newPassphrase,
    };
    const first = rotateKey(keys);
    expectRun(first, 0, /Re-sealed 1 value/);
    const stored = (await storedPassword()) ?? "";
    expect(decryptSecret(stored, deriveSecretKey(newPassphrase))).toBe("hunter2");

    const again = rotateKey(keys);
    expectRun(again, 1, /rotated already/);
    expect(await storedPassword()).toBe(stored);
  });
});
