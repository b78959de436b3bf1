// The local store `npm start` runs beside the instance when no
// LIFTOFF_CLOUD_URL is set: `npm run store` as a child process on a free
// port, its output passed through, its address read from its ready line.
import { spawn } from "node:child_process";
import path from "node:path";
import readline from "node:readline";

const readyLine = /^Liftoff store ready on (http:\/\/\S+)$/;

/**
 * Starts the store and resolves once it serves, with its URL and the child;
 * rejects if it exits first or is not ready within `timeoutMs` (its first
 * start compiles it, and migrates its database).
 */
export function startLocalStore({ root, env, timeoutMs = 180_000, onLine = console.log }) {
  const child = spawn(
    process.execPath,
    [path.join(root, "scripts", "run.mjs"), path.join(root, "scripts", "store.ts")],
    { cwd: root, env, stdio: ["ignore", "pipe", onLine === console.log ? "inherit" : "pipe"] },
  );
  return new Promise((resolve, reject) => {
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
      const ready = readyLine.exec(line);
      if (!ready) return;
      clearTimeout(timer);
      child.off("exit", onEarlyExit);
      resolve({ url: ready[1], child });
    });
  });
}
