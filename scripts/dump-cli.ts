// Not "@/lib/dump": its index is marked server-only, which throws outside a React server.
import { ArchiveRefusal } from "@/lib/dump/format/errors";

/**
 * Exit codes the dump, load and verify commands share, so scripts can tell
 * what happened without parsing messages.
 */
export const exitCodes = {
  ok: 0,
  failed: 1,
  usage: 2,
  refused: 3,
  targetNotEmpty: 4,
} as const;

export function fail(error: unknown): never {
  if (error instanceof ArchiveRefusal) {
    console.error(`Refused: ${error.message}`);
    process.exit(error.code === "target_not_empty" ? exitCodes.targetNotEmpty : exitCodes.refused);
  }
  console.error(`Failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(exitCodes.failed);
}

export function usage(text: string, problem?: string): never {
  if (problem) console.error(problem);
  console.error(text);
  process.exit(problem ? exitCodes.usage : exitCodes.ok);
}

export function formatBytes(n: number): string {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
}

/** A single rewritten line on a terminal, nothing otherwise (logs stay clean). */
export function progressLine(): { update(text: string): void; done(): void } {
  const tty = process.stderr.isTTY;
  let last = 0;
  let shown = false;
  return {
    update(text) {
      const now = Date.now();
      if (!tty || now - last < 100) return;
      last = now;
      shown = true;
      process.stderr.write(`\r\x1b[2K${text.slice(0, (process.stderr.columns || 80) - 1)}`);
    },
    done() {
      if (shown) process.stderr.write("\r\x1b[2K");
    },
  };
}

export function percent(done: number, total: number): string {
  return `${Math.min(100, total > 0 ? Math.floor((done / total) * 100) : 100)}%`;
}
