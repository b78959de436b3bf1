import fs from "node:fs";
import path from "node:path";

/**
 * PGlite is a single-process database: two processes on one folder corrupt it.
 * A pid file makes the second one fail with a message instead.
 */
export function acquireDataDirLock(dir: string): () => void {
  const lockFile = path.join(dir, "liftoff.pid");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lockFile, String(process.pid), { flag: "wx" });
      return () => {
        try {
          if (fs.readFileSync(lockFile, "utf8") === String(process.pid)) fs.unlinkSync(lockFile);
        } catch {
          // already gone
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const owner = Number(fs.readFileSync(lockFile, "utf8"));
      if (owner === process.pid) {
        throw new Error(`The database folder ${dir} is already open in this process.`);
      }
      if (isProcessAlive(owner)) {
        throw new Error(
          `The embedded database in ${dir} is in use by process ${owner}. Stop that process (for example the running server) first, or set DATABASE_URL.`,
        );
      }
      fs.unlinkSync(lockFile); // left behind by a process that died
    }
  }
  throw new Error(`Could not lock the database folder ${dir}.`);
}

/** Whether a process of this machine is running (EPERM: it is, but not ours). */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
