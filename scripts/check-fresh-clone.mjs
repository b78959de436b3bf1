#!/usr/bin/env node
// `npm run check:fresh-clone`: walks the newcomer's path. Clones the committed
// HEAD into a temporary folder (no node_modules, no .data, nothing from the
// working tree), runs `npm start` there on a free port, waits for the app,
// checks that `/` leads to `/setup`, creates the first administrator through
// the set-up page in Chromium and signs in, then presses Ctrl-C (SIGINT to the
// process group, as a terminal does) and checks that every process exits
// within 10 s and the ports are free. A second `npm start` in the same folder
// must be ready without installing or building again. Prints both times.
//
// Runs before `npm ci` in CI, so it imports only Node's own modules; the
// browser driver comes from the clone's own node_modules once `npm start` has
// installed them.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { chromiumArgs, chromiumPath } from "./chromium.mjs";

const root = path.resolve(import.meta.dirname, "..");
const readyWithinMs = Number(process.env.FRESH_CLONE_READY_MS || 6 * 60_000);
const exitWithinMs = 10_000;
const keep = process.argv.includes("--keep");
const admin = { name: "Fresh Admin", email: "fresh@example.test", password: "fresh-clone-pass-1" };

class CheckFailed extends Error {}
const fail = (message) => {
  throw new CheckFailed(message);
};

function git(args, cwd = root) {
  const result = spawnSync("git", args, { cwd, encoding: "utf8" });
  if (result.status !== 0) fail(`git ${args.join(" ")} failed: ${result.stderr.trim()}`);
  return result.stdout.trim();
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function portIsFree(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Every process whose parent chain leads to `pid` (Linux /proc). */
function descendants(pid) {
  const children = new Map();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      // The command name may hold spaces and parentheses: fields start after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  const found = [];
  const walk = (parent) => {
    for (const child of children.get(parent) ?? []) {
      found.push(child);
      walk(child);
    }
  };
  walk(pid);
  return found;
}

function isAlive(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/** `npm start` in its own process group, its output kept in a log file. */
function startApp(folder, port, logFile) {
  const env = { ...process.env, PORT: String(port), HOST: "127.0.0.1" };
  // A newcomer has none of these: the check must take the zero-configuration path.
  for (const name of [
    "DATABASE_URL",
    "LIFTOFF_DATA_DIR",
    "NEXTAUTH_URL",
    "NODE_ENV",
    "LIFTOFF_S3_ENDPOINT",
    "LIFTOFF_CLOUD_URL",
    "STORE_DATABASE_URL",
  ])
    delete env[name];
  for (const name of Object.keys(env)) if (name.startsWith("npm_")) delete env[name];
  const log = fs.openSync(logFile, "w");
  const child = spawn("npm", ["start"], {
    cwd: folder,
    env,
    detached: true,
    stdio: ["ignore", log, log],
  });
  fs.closeSync(log);
  const exited = new Promise((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  return { child, exited };
}

async function waitUntilReady(base, app, logFile) {
  const started = Date.now();
  let exitedEarly = null;
  void app.exited.then((how) => (exitedEarly = how));
  while (Date.now() - started < readyWithinMs) {
    if (exitedEarly)
      fail(
        `npm start exited (${JSON.stringify(exitedEarly)}) before the app answered:\n${tail(logFile)}`,
      );
    try {
      const response = await fetch(`${base}/login`, { redirect: "manual" });
      if (response.status < 500) return Date.now() - started;
    } catch {
      // not listening yet
    }
    await sleep(500);
  }
  fail(`the app did not answer within ${readyWithinMs / 1000} s:\n${tail(logFile)}`);
}

function tail(logFile, lines = 40) {
  try {
    return fs.readFileSync(logFile, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no output)";
  }
}

/** `/` must lead (through redirects) to the set-up page on a fresh instance. */
async function checkLeadsToSetup(base) {
  let url = `${base}/`;
  for (let hop = 0; hop < 5; hop++) {
    const response = await fetch(url, { redirect: "manual" });
    const location = response.headers.get("location");
    if (response.status >= 300 && response.status < 400 && location) {
      url = new URL(location, url).href;
      continue;
    }
    if (new URL(url).pathname !== "/setup")
      fail(`/ led to ${url} (status ${response.status}), not to /setup`);
    return;
  }
  fail("/ redirects more than 5 times");
}

async function setUpAndSignIn(folder, base) {
  const require = createRequire(path.join(folder, "package.json"));
  // A CommonJS package seen from an ES module: its exports may sit on `default`.
  const playwright = await import(pathToFileURL(require.resolve("@playwright/test")).href);
  const { chromium } = playwright.chromium ? playwright : playwright.default;
  const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
  try {
    const page = await browser.newPage({ baseURL: base });
    await page.goto("/");
    await page.waitForURL(/\/setup$/);
    const setup = page.getByTestId("setup-form");
    await setup.getByLabel("Name").fill(admin.name);
    await setup.getByLabel("Email").fill(admin.email);
    await setup.getByLabel("Password (10+ characters)").fill(admin.password);
    await setup.getByLabel("Confirm password").fill(admin.password);
    await setup.getByRole("button", { name: "Create administrator" }).click();
    await page.waitForURL(/\/login\?setup=done$/);
    const login = page.getByTestId("login-form");
    await login.getByLabel("Email").fill(admin.email);
    await login.getByLabel("Password").fill(admin.password);
    await login.getByRole("button", { name: "Sign in" }).click();
    const user = page.getByTestId("current-user");
    await user.waitFor({ timeout: 30_000 });
    const shown = await user.textContent();
    if (!shown?.includes(`${admin.name} (admin)`)) fail(`signed in, but the page shows "${shown}"`);
  } finally {
    await browser.close();
  }
}

/** Ctrl-C as a terminal sends it: SIGINT to the whole process group. */
async function interruptAndCheckExit(app, ports, logFile) {
  const processes = [app.child.pid, ...descendants(app.child.pid)];
  const started = Date.now();
  process.kill(-app.child.pid, "SIGINT");
  const deadline = started + exitWithinMs;
  while (Date.now() < deadline && processes.some(isAlive)) await sleep(100);
  const left = processes.filter(isAlive);
  if (left.length) {
    for (const pid of left) process.kill(pid, "SIGKILL");
    fail(
      `${left.length} process(es) still running ${exitWithinMs / 1000} s after SIGINT (${left.join(", ")}):\n${tail(logFile)}`,
    );
  }
  await app.exited;
  for (const port of ports)
    if (!(await portIsFree(port))) fail(`port ${port} is still taken after the app exited`);
  return { ms: Date.now() - started, processes: processes.length };
}

/** The ports of what `npm start` ran beside the app: the local store and its object storage. */
function localStoragePort(logFile) {
  const log = fs.readFileSync(logFile, "utf8");
  return [
    /Local object storage \(s3rver\) on http:\/\/127\.0\.0\.1:(\d+)/,
    /Liftoff store ready on http:\/\/127\.0\.0\.1:(\d+)/,
  ].flatMap((pattern) => {
    const match = pattern.exec(log);
    return match ? [Number(match[1])] : [];
  });
}

/** The local store is a server of its own: it answers on its port, in its API's error shape. */
async function checkLocalStore(logFile) {
  // It starts beside the app, and may be ready a little after it.
  const readyLine = /Liftoff store ready on (http:\/\/127\.0\.0\.1:\d+)/;
  let match = null;
  for (const started = Date.now(); !match && Date.now() - started < readyWithinMs;) {
    match = readyLine.exec(fs.readFileSync(logFile, "utf8"));
    if (!match) await sleep(250);
  }
  if (!match) fail(`npm start started no local store:\n${tail(logFile)}`);
  const response = await fetch(`${match[1]}/api/store/v1/health`);
  const body = await response.json().catch(() => null);
  if (response.status !== 400 || typeof body?.error?.code !== "string")
    fail(`the local store at ${match[1]} answered ${response.status} ${JSON.stringify(body)}`);
  return match[1];
}

async function main() {
  const head = git(["rev-parse", "HEAD"]);
  const dirty = git(["status", "--porcelain"]);
  if (dirty)
    console.log(
      "Note: uncommitted changes are not part of this check; it clones the committed HEAD.",
    );
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "liftoff-fresh-"));
  const folder = path.join(scratch, "liftoff");
  let app = null;
  try {
    git(["clone", "--quiet", "--no-hardlinks", root, folder], scratch);
    git(["checkout", "--quiet", "--detach", head], folder);
    console.log(`Fresh clone of ${head.slice(0, 10)} in ${folder}`);

    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const firstLog = path.join(scratch, "first-start.log");
    console.log(`First npm start (installs, builds, migrates) on ${base}…`);
    app = startApp(folder, port, firstLog);
    const firstMs = await waitUntilReady(base, app, firstLog);
    console.log(`  ready in ${(firstMs / 1000).toFixed(1)} s`);
    await checkLeadsToSetup(base);
    console.log("  / leads to /setup");
    console.log(`  the local store answers on ${await checkLocalStore(firstLog)}`);
    await setUpAndSignIn(folder, base);
    console.log("  first administrator created in Chromium and signed in");
    const firstExit = await interruptAndCheckExit(
      app,
      [port, ...localStoragePort(firstLog)],
      firstLog,
    );
    app = null;
    console.log(
      `  SIGINT: ${firstExit.processes} processes exited in ${(firstExit.ms / 1000).toFixed(1)} s, ports free`,
    );

    const secondLog = path.join(scratch, "second-start.log");
    console.log("Second npm start in the same folder…");
    app = startApp(folder, port, secondLog);
    const secondMs = await waitUntilReady(base, app, secondLog);
    const output = fs.readFileSync(secondLog, "utf8");
    if (/Installing dependencies|Building…/.test(output))
      fail(`the second start installed or built again:\n${tail(secondLog)}`);
    const signIn = await fetch(`${base}/setup`, { redirect: "manual" });
    if (signIn.status < 300 || signIn.status >= 400)
      fail(
        `after set-up, /setup answered ${signIn.status} instead of sending to sign-in: the data did not survive the restart`,
      );
    console.log(`  ready in ${(secondMs / 1000).toFixed(1)} s, no install or build, data kept`);
    const secondExit = await interruptAndCheckExit(
      app,
      [port, ...localStoragePort(secondLog)],
      secondLog,
    );
    app = null;
    console.log(
      `  SIGINT: ${secondExit.processes} processes exited in ${(secondExit.ms / 1000).toFixed(1)} s, ports free`,
    );
    console.log(
      `Fresh clone: first start ${(firstMs / 1000).toFixed(1)} s, second start ${(secondMs / 1000).toFixed(1)} s.`,
    );
  } finally {
    if (app && isAlive(app.child.pid)) {
      for (const pid of [app.child.pid, ...descendants(app.child.pid)].reverse()) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    }
    if (keep) console.log(`Kept ${scratch}`);
    else fs.rmSync(scratch, { recursive: true, force: true });
  }
}

try {
  await main();
} catch (error) {
  console.error(
    `Fresh-clone check failed: ${error instanceof CheckFailed ? error.message : (error?.stack ?? error)}`,
  );
  process.exit(1);
}
