import type { ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { startLocalStore } from "@/scripts/local-store.mjs";

export interface StoreProcess {
  url: string;
  pid: number;
  /** Everything it printed, for a failing test's message. */
  output(): string;
  /** SIGTERM, as a service manager stops it; resolves with how it exited. */
  stop(): Promise<{ code: number | null; signal: string | null }>;
  /** SIGKILL: the process dies where it stands. */
  kill(): Promise<void>;
  /** Its child processes now (a restore runs in one), from /proc. */
  children(): number[];
}

/** The processes whose parent is `pid` (Linux /proc). */
export function childrenOf(pid: number): number[] {
  const found: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      // The command name may hold spaces and parentheses: fields start after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[1]) === pid && fields[0] !== "Z") found.push(Number(entry));
    } catch {
      // it ended while we looked
    }
  }
  return found;
}

/** Whether `pid` still runs (a zombie does not). */
export function isRunning(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: string | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
}

/**
 * The real store server, `npm run store`'s own entry (scripts/store.ts), in
 * a process of its own on a free port, started as `npm start` starts its
 * local store. `env` holds its configuration (STORE_DATABASE_URL,
 * LIFTOFF_S3_*, LIFTOFF_DATA_DIR…).
 */
export async function startStoreProcess(env: Record<string, string>): Promise<StoreProcess> {
  const lines: string[] = [];
  const root = path.resolve(import.meta.dirname, "..", "..", "..");
  const { child, ready } = startLocalStore({
    root,
    env: {
      ...process.env,
      STORE_HOST: "127.0.0.1",
      STORE_PORT: "0",
      LIFTOFF_LOG_LEVEL: "warn",
      ...env,
    },
    onLine: (line) => lines.push(line),
  });
  const url = await ready.catch((error: unknown) => {
    throw new Error(`${String(error)}\n${lines.join("\n")}`);
  });
  return {
    url,
    pid: child.pid!,
    output: () => lines.join("\n"),
    stop: () => {
      child.kill("SIGTERM");
      return exited(child);
    },
    children: () => childrenOf(child.pid!),
    kill: async () => {
      child.kill("SIGKILL");
      await exited(child);
    },
  };
}
