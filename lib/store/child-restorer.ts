import { fork } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { AppError } from "@/lib/errors";
import { describeBytes } from "@/lib/dump/format/limits";
import type { RestoreAnswer, RestoreRequest } from "./restore-child";
import type { ArchiveRestorer } from "./restorer";
import type { StoreKeySources } from "./sealing-key";

export interface ChildRestorerOptions {
  /** The most memory (resident set) a restore may use before it is stopped. */
  memoryBytes: number;
  /** How often the resident set is read (Linux /proc); tests shorten it. */
  sampleMs?: number;
}

/**
 * The checkout this module runs from: it may run as itself (tests) or
 * bundled into node_modules/.cache (scripts/run.mjs), so it looks up for
 * scripts/run.mjs rather than counting folders.
 */
function projectRoot(): string {
  for (let dir = import.meta.dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "scripts", "run.mjs"))) return dir;
    if (path.dirname(dir) === dir) throw new Error("cannot find the project's scripts/run.mjs");
  }
}
const root = projectRoot();

/** The child's resident set in bytes, from /proc (Linux); null where there is none. */
function residentBytes(pid: number): number | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/**
 * The store's restore, each in a child process with a memory cap: a hostile
 * or huge archive that gets past the archive limits, or a crash in the
 * loader, ends that restore, not the store. The cap is enforced twice: V8's
 * heap limit (--max-old-space-size, at the cap) and, on Linux, the child's
 * whole resident set (PGlite's WebAssembly memory is outside V8's heap),
 * read every `sampleMs`; over it, the child is killed and the restore fails
 * with a public reason. The target it leaves is dropped by the caller, as
 * after any failed restore.
 */
export function childProcessRestorer(
  keys: StoreKeySources,
  options: ChildRestorerOptions,
): ArchiveRestorer {
  const heapMiB = Math.max(64, Math.floor(options.memoryBytes / (1024 * 1024)));
  return (archivePath, target, limits) =>
    new Promise((resolve, reject) => {
      const child = fork(
        path.join(root, "scripts", "run.mjs"),
        [path.join(root, "lib", "store", "restore-child.ts")],
        {
          cwd: root,
          execArgv: [`--max-old-space-size=${heapMiB}`],
          stdio: ["ignore", "inherit", "inherit", "ipc"],
        },
      );
      let answer: RestoreAnswer | null = null;
      let overCap: number | null = null;
      const watch = setInterval(() => {
        const rss = child.pid ? residentBytes(child.pid) : null;
        if (rss !== null && rss > options.memoryBytes && overCap === null) {
          overCap = rss;
          child.kill("SIGKILL");
        }
      }, options.sampleMs ?? 200);
      child.once("message", (message: RestoreAnswer) => (answer = message));
      child.once("error", (error) => {
        clearInterval(watch);
        reject(error);
      });
      child.once("exit", (code, signal) => {
        clearInterval(watch);
        if (answer?.ok) return resolve({ tables: answer.tables });
        if (answer) return reject(new AppError("unprocessable", "restore", answer.message));
        const cap = describeBytes(options.memoryBytes);
        reject(
          new AppError(
            "unprocessable",
            "restore_memory",
            overCap !== null
              ? `The restore used more than its memory cap of ${cap} (LIFTOFF_STORE_RESTORE_MEMORY_MB) and was stopped.`
              : `The restore's process ended unexpectedly (${signal ?? `exit code ${code}`}) within its memory cap of ${cap}.`,
          ),
        );
      });
      const request: RestoreRequest = { archivePath, target, limits, keys };
      child.send(request);
    });
}
