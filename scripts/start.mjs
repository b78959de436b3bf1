#!/usr/bin/env node
// `npm start`: the one command for a fresh clone. Installs dependencies when
// they are missing or stale, builds when the sources changed since the last
// build, then serves on 127.0.0.1 (PORT, default 3000). The database is
// migrated by the server itself on start-up.
//
// On a fresh clone nothing is installed yet, so this file imports only Node's
// own modules at the top; anything from node_modules is imported after the
// install step (`npm run check:fresh-clone` proves it on every CI run).
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const port = process.env.PORT || "3000";
const host = process.env.HOST || "127.0.0.1";

let releaseOnExit = () => {};
function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: "inherit", env: process.env });
  if (result.status !== 0) {
    releaseOnExit();
    process.exit(result.status ?? 1);
  }
}

function mtime(file) {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

function newestSource(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name.startsWith(".")) continue;
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(full) : mtime(full));
  }
  return newest;
}

const installed = path.join(root, "node_modules", ".package-lock.json");
if (mtime(installed) < mtime(path.join(root, "package-lock.json"))) {
  console.log("Installing dependencies…");
  run("npm", ["ci", "--no-audit", "--no-fund"]);
}

const buildId = path.join(root, ".next", "BUILD_ID");
const sources = ["app", "lib", "db", "drizzle"].map((d) => newestSource(path.join(root, d)));
const configs = [
  "next.config.mjs",
  "proxy.ts",
  "package-lock.json",
  "instrumentation.ts",
  "postcss.config.mjs",
].map((f) => mtime(path.join(root, f)));
// Two servers started at once from one checkout (the end-to-end tests do)
// must not build into .next together: the second waits, then finds it fresh.
const buildLock = path.join(root, ".next-build-lock");
const stale = () => mtime(buildId) < Math.max(...sources, ...configs);
if (stale()) {
  for (;;) {
    try {
      fs.mkdirSync(buildLock);
      releaseOnExit = () => fs.rmSync(buildLock, { recursive: true, force: true });
      break;
    } catch {
      if (Date.now() - mtime(buildLock) > 10 * 60_000)
        fs.rmSync(buildLock, { recursive: true, force: true });
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  try {
    if (stale()) {
      console.log("Building…");
      run("npx", ["next", "build"]);
    }
  } finally {
    releaseOnExit();
  }
}

const env = {
  ...process.env,
  NODE_ENV: "production",
  NEXTAUTH_URL: process.env.NEXTAUTH_URL || `http://${host}:${port}`,
};

// The store (on by default) needs object storage: without a configured S3
// endpoint, a local s3rver in the data folder stands in for it.
const storeEnabled = !["false", "0"].includes(process.env.LIFTOFF_STORE_ENABLED ?? "");
let localS3 = null;
const dataDir = path.resolve(root, process.env.LIFTOFF_DATA_DIR || ".data");
if (storeEnabled && !process.env.LIFTOFF_S3_ENDPOINT) {
  const bucket = process.env.LIFTOFF_S3_BUCKET || "liftoff-migrations";
  const { startLocalS3 } = await import("./local-s3.mjs");
  localS3 = await startLocalS3({
    directory: path.join(dataDir, "s3"),
    bucket,
    port: Number(process.env.LIFTOFF_S3_LOCAL_PORT || 0),
  });
  env.LIFTOFF_S3_ENDPOINT = localS3.endpoint;
  env.LIFTOFF_S3_BUCKET = bucket;
  env.LIFTOFF_S3_KMS_KEY_ID ||= "liftoff-local";
  console.log(`Local object storage (s3rver) on ${localS3.endpoint}, bucket ${bucket}`);
}
// TODO(store process): moves with the local store to its own process. The
// local store issues its instance a migration key into this file, and the
// instance reads it from there unless another store was configured.
if (storeEnabled) {
  const localKeyFile = path.join(dataDir, "store-keys", "local-instance.key");
  env.LIFTOFF_STORE_LOCAL_KEY_FILE ||= localKeyFile;
  if (!process.env.LIFTOFF_STORE_URL) env.LIFTOFF_CLOUD_KEY_FILE ||= localKeyFile;
}
// With the store on this server, "Migrate to Cloud" goes to it unless told otherwise.
if (storeEnabled) env.LIFTOFF_STORE_URL ||= `http://${host}:${port}`;
console.log(`Starting Liftoff on http://${host}:${port}`);
// Node itself, not through npx: a signal to this script must reach the server.
// scripts/server.mjs serves the built app as `next start` would, and tells
// the app each request's socket address (see that file).
const server = spawn(process.execPath, [path.join(root, "scripts", "server.mjs")], {
  cwd: root,
  stdio: "inherit",
  env: { ...env, HOST: host, PORT: port },
});
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => server.kill(signal));
}
server.on("exit", (code, signal) => {
  void (localS3?.close() ?? Promise.resolve()).finally(() =>
    process.exit(code ?? (signal ? 1 : 0)),
  );
});
