// A server the end-to-end tests drive: the real `npm start` on an embedded
// database of its own, wiped first. With E2E_SEED_SCALE set it is seeded and
// given a known administrator (E2E_ADMIN_EMAIL / LIFTOFF_ADMIN_PASSWORD) before
// it starts; without, it is fresh, so the first-admin set-up is part of the run.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const dataDir = path.resolve(process.env.LIFTOFF_DATA_DIR || ".data-e2e");
if (!dataDir.includes(".data-e2e")) throw new Error(`refusing to wipe ${dataDir}`);
fs.rmSync(dataDir, { recursive: true, force: true });

const tsx = (script, args) => {
  const result = spawnSync("npx", ["tsx", script, ...args], { stdio: "inherit", env: process.env });
  if (result.status !== 0) process.exit(result.status ?? 1);
};
if (process.env.E2E_SEED_SCALE) {
  tsx("scripts/seed.ts", ["--scale", process.env.E2E_SEED_SCALE]);
  tsx("scripts/create-admin.ts", [
    "--email",
    process.env.E2E_ADMIN_EMAIL,
    "--name",
    "Migration Admin",
  ]);
}
// Specs migrate as soon as the app answers: the local store must serve by then.
process.env.LIFTOFF_START_STORE_FIRST = "1";
await import("./start.mjs");
