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

// With no cloud named, the whole trip runs on this machine: a local store
// beside the instance, and (without an S3 endpoint) a local s3rver in the
// data folder for its object storage. Both are the store's, not the
// instance's: the instance only ever talks to the store's URL.
let localS3 = null;
let localStore = null;
if (!process.env.LIFTOFF_CLOUD_URL) {
  const dataDir = path.resolve(root, process.env.LIFTOFF_DATA_DIR || ".data");
  const { freePort, startLocalStore } = await import("./local-store.mjs");
  // Its port is chosen now, so the instance starts with its URL while the
  // store still opens its database: the two start side by side.
  const storePort = process.env.LIFTOFF_STORE_LOCAL_PORT || String(await freePort(host));
  const storeEnv = { ...process.env, STORE_HOST: host, STORE_PORT: storePort };
  if (!process.env.LIFTOFF_S3_ENDPOINT) {
    const bucket = process.env.LIFTOFF_S3_BUCKET || "liftoff-migrations";
    const { startLocalS3 } = await import("./local-s3.mjs");
    localS3 = await startLocalS3({
      directory: path.join(dataDir, "s3"),
      bucket,
      port: Number(process.env.LIFTOFF_S3_LOCAL_PORT || 0),
    });
    storeEnv.LIFTOFF_S3_ENDPOINT = localS3.endpoint;
    storeEnv.LIFTOFF_S3_BUCKET = bucket;
    storeEnv.LIFTOFF_S3_KMS_KEY_ID ||= "liftoff-local";
    console.log(`Local object storage (s3rver) on ${localS3.endpoint}, bucket ${bucket}`);
  }
  // The local store issues its instance a migration key into this file;
  // the instance reads it from there (a key pasted on Settings comes first).
  const localKeyFile = path.join(dataDir, "store-keys", "local-instance.key");
  storeEnv.LIFTOFF_STORE_LOCAL_KEY_FILE ||= localKeyFile;
  env.LIFTOFF_CLOUD_KEY_FILE ||= storeEnv.LIFTOFF_STORE_LOCAL_KEY_FILE;
  localStore = startLocalStore({ root, env: storeEnv });
  env.LIFTOFF_CLOUD_URL = `http://${host}:${storePort}`;
  // The end-to-end tests start migrating as soon as the app answers: for
  // them the app starts once the store serves.
  if (process.env.LIFTOFF_START_STORE_FIRST === "1") {
    try {
      await localStore.ready;
    } catch (error) {
      console.error(`Could not start the local store: ${error.message}`);
      localStore.child.kill("SIGTERM");
      await localS3?.close();
      process.exit(1);
    }
  }
}
console.log(`Starting Liftoff on http://${host}:${port}`);
// Node itself, not through npx: a signal to this script must reach the server.
// scripts/server.mjs serves the built app as `next start` would, and tells
// the app each request's socket address (see that file).
const server = spawn(process.execPath, [path.join(root, "scripts", "server.mjs")], {
  cwd: root,
  stdio: "inherit",
  env: { ...env, HOST: host, PORT: port },
});
let stopping = false;
const stopAll = (signal) => {
  stopping = true;
  server.kill(signal);
  localStore?.child.kill(signal);
};
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => stopAll(signal));

const exited = (child) =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once("exit", resolve));

// A local store that fails to start, or dies, takes the instance down with
// it: half the trip running would only fail later, at "Migrate to Cloud".
localStore?.ready.catch((error) => {
  if (stopping) return;
  console.error(`Could not start the local store: ${error.message}; stopping Liftoff.`);
  stopAll("SIGTERM");
});
localStore?.child.once("exit", (code, signal) => {
  if (stopping) return;
  console.error(`The local store stopped (${signal ?? `exit ${code}`}); stopping Liftoff.`);
  stopAll("SIGTERM");
});
server.on("exit", (code, signal) => {
  if (!stopping) localStore?.child.kill("SIGTERM");
  void (localStore ? exited(localStore.child) : Promise.resolve())
    .then(() => localS3?.close())
    .finally(() => process.exit(code ?? (signal ? 1 : 0)));
});
