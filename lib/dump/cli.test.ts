import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, testEngines } from "@/lib/testing/engines";
import { runArchiveCli } from "./testing/run-cli";

/**
 * The dump, verify and load commands as a script runs them: exit codes
 * (0 done, 2 usage, 3 refused, 4 target not empty) and what they print.
 * The instance is an embedded database in a folder of its own.
 */
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "liftoff-dump-cli-"));
const instance = path.join(tmp, "instance");
const archive = path.join(tmp, "instance.tar");
const passphrase = "a passphrase for the cli test";

/** As a user runs it: `npm run <script> -- <args>`. */
function run(
  script: string,
  args: string[],
  dataDir = instance,
  env: Record<string, string> = { LIFTOFF_ARCHIVE_PASSPHRASE: passphrase },
) {
  return runArchiveCli(script, args, dataDir, env);
}

// Each command starts a process of its own: minutes on a busy machine.
describe("npm run dump / verify / load", { timeout: 240_000 }, () => {
  beforeAll(() => {
    const seeded = run("seed", ["--scale", "0.02"]);
    expect(seeded.status, seeded.output).toBe(0);
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("refuses to let an instance without a key dump its secrets unless told how", () => {
    const refused = run("dump", ["--out", path.join(tmp, "refused.tar")]);
    expect(refused.status, refused.output).toBe(2);
    expect(refused.output).toMatch(/LIFTOFF_ENCRYPTION_KEY is not set.*--passphrase.*--plaintext/s);
    expect(fs.existsSync(path.join(tmp, "refused.tar"))).toBe(false);
    const noPassphrase = run(
      "dump",
      ["--out", path.join(tmp, "refused.tar"), "--passphrase"],
      instance,
      {},
    );
    expect(noPassphrase.status, noPassphrase.output).toBe(2);
    expect(noPassphrase.output).toMatch(/set LIFTOFF_ARCHIVE_PASSPHRASE/);
    const both = run("dump", [
      "--out",
      path.join(tmp, "refused.tar"),
      "--passphrase",
      "--plaintext",
    ]);
    expect(both.status, both.output).toBe(2);
    const plaintext = run("dump", ["--out", path.join(tmp, "plain.tar"), "--plaintext"]);
    expect(plaintext.status, plaintext.output).toBe(0);
    expect(plaintext.output).toMatch(/secrets are in PLAINTEXT/);
  });

  it("dumps, verifies and loads into an empty instance, then refuses a second load there", () => {
    const dumped = run("dump", ["--out", archive, "--passphrase"]);
    expect(dumped.status, dumped.output).toBe(0);
    expect(dumped.output).toMatch(/secrets are sealed with your passphrase/);
    expect(fs.statSync(archive).size).toBeGreaterThan(0);

    const verified = run("verify", [archive]);
    expect(verified.status, verified.output).toBe(0);
    expect(verified.output).toMatch(/the passphrase opens them/);
    expect(verified.output).toMatch(/every checksum matches/);
    const wrong = run("verify", [archive], instance, {
      LIFTOFF_ARCHIVE_PASSPHRASE: "not the one, at all",
    });
    expect(wrong.status, wrong.output).toBe(3);
    expect(wrong.output).toMatch(/not the passphrase the archive was sealed with/);

    const copy = path.join(tmp, "copy");
    const withoutPassphrase = run("load", [archive], copy, {});
    expect(withoutPassphrase.status, withoutPassphrase.output).toBe(3);
    expect(withoutPassphrase.output).toMatch(/sealed with a passphrase/);
    const loaded = run("load", [archive], copy);
    expect(loaded.status, loaded.output).toBe(0);
    expect(loaded.output).toMatch(/Loaded .* into pglite/);
    expect(loaded.output).toMatch(/cards\s+\d+ rows/);
    expect(loaded.output).toMatch(/Opened \d+ secrets with the passphrase/);

    const again = run("load", [archive], copy);
    expect(again.status, again.output).toBe(4);
    expect(again.output).toMatch(/Refused: The target database is not empty/);
  });

  it("refuses a damaged archive with exit code 3, and leaves no database behind", () => {
    const bytes = fs.readFileSync(archive);
    // A byte in the middle of the data, well past the first headers.
    bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
    const damaged = path.join(tmp, "damaged.tar");
    fs.writeFileSync(damaged, bytes);
    const verified = run("verify", [damaged]);
    expect(verified.status, verified.output).toBe(3);
    expect(verified.output).toMatch(/^Refused: /m);
    const target = path.join(tmp, "untouched");
    const loaded = run("load", [damaged], target);
    expect(loaded.status, loaded.output).toBe(3);
    expect(fs.existsSync(path.join(target, "pglite"))).toBe(false);
  });

  it("exits with 2 and says why on a bad argument", () => {
    const noFile = run("load", []);
    expect(noFile.status).toBe(2);
    expect(noFile.output).toMatch(/Give exactly one archive file/);
    const missing = run("verify", [path.join(tmp, "nowhere.tar")]);
    expect(missing.status).toBe(2);
    expect(missing.output).toMatch(/No such file: .*nowhere\.tar/);
    const badJobs = run("load", [archive, "--jobs", "0"]);
    expect(badJobs.status).toBe(2);
    expect(badJobs.output).toMatch(/--jobs must be a whole number from 1 to 16/);
    const badUrl = run("load", [archive, "--database-url", "mysql://x"]);
    expect(badUrl.status).toBe(2);
    expect(badUrl.output).toMatch(/--database-url must be a postgres:\/\/ URL/);
  });

  it.skipIf(!testEngines().includes("postgres"))(
    "loads into PostgreSQL on two connections",
    async () => {
      const target = await createTestDatabase("postgres", { migrate: false });
      try {
        const loaded = run("load", [archive, "--database-url", target.url!, "--jobs", "2"]);
        expect(loaded.status, loaded.output).toBe(0);
        expect(loaded.output).toMatch(/Loaded .* into postgres/);
      } finally {
        await target.drop();
      }
    },
  );
});
