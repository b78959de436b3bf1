// The local store `npm start` runs beside the instance when no
// LIFTOFF_CLOUD_URL is set: `npm run store` as a child process, its output
// passed through, its address read from its ready line.
import { spawn } from "node:child_process";
import net from "node:net";
import path from "node:path";
import readline from "node:readline";

const readyLine = /^Liftoff store ready on (http:\/\/\S+)$/;

/** A port free on `host` now, for a server started next. */
export function freePort(host = "127.0.0.1") {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts the store and returns at once with the child and `ready`, which
 * resolves with its URL once it serves and rejects if it exits first or is
 * not ready within `timeoutMs` (its first start compiles it and creates and
 * migrates its database).
 */
export function startLocalStore({ root, env, timeoutMs = 180_000, onLine = console.log }) {
  const child = spawn(
    process.execPath,
    [path.join(root, "scripts", "run.mjs"), path.join(root, "scripts", "store.ts")],
    { cwd: root, env, stdio: ["ignore", "pipe", onLine === console.log ? "inherit" : "pipe"] },
  );
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGTERM");
      reject(new Error(`the local store was not ready within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    const onEarlyExit = (code, signal) => {
      clearTimeout(timer);
      reject(
        new Error(`the local store stopped before it was ready (${signal ?? `exit ${code}`})`),
      );
    };
    child.once("exit", onEarlyExit);
    if (child.stderr) readline.createInterface({ input: child.stderr }).on("line", onLine);
    readline.createInterface({ input: child.stdout }).on("line", (line) => {
      onLine(line);
      const match = readyLine.exec(line);
      if (!match) return;
      clearTimeout(timer);
      child.off("exit", onEarlyExit);
      resolve(match[1]);
    });
  });
  return { child, ready };
}
