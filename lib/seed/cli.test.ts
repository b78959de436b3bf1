import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

// Should a bad argument ever get through, the seed lands here, not in .data.
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "liftoff-seed-cli-"));

function runSeed(...args: string[]) {
  const result = spawnSync("node_modules/.bin/tsx", ["scripts/seed.ts", ...args], {
    encoding: "utf8",
    env: { ...process.env, LIFTOFF_DATA_DIR: dataDir, DATABASE_URL: "" },
  });
  return { status: result.status, output: result.stdout + result.stderr };
}

describe("npm run seed", () => {
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it("exits with 2 and says why on a bad argument", () => {
    const { status, output } = runSeed("--scale", "lots");
    expect(status).toBe(2);
    expect(output).toMatch(/--scale must be a number of at least 0.01, not "lots"/);
    expect(output).toMatch(/Usage: npm run seed/);
    expect(fs.readdirSync(dataDir)).toEqual([]);
  });

  it("documents the seeded users' password in --help", () => {
    const { status, output } = runSeed("--help");
    expect(status).toBe(0);
    expect(output).toContain('"liftoff-seed-password"');
  });
});
