/**
 * Reads an archive in a process of its own and prints, as one JSON line,
 * how it ended and the process's peak memory (maxRSS): a test's own heap
 * would blur the figure. `verify` runs verifyDumpArchive; `restore` runs
 * the store's restore (the dump loader on two connections' worth of work)
 * into a new PGlite folder `target`.
 * Usage: tsx refusal-child.ts ARCHIVE verify | restore TARGET_DIR
 */
import path from "node:path";
import { dumpLoaderRestorer } from "@/lib/store/dump-restorer";
import { loadStoreKeys } from "@/lib/store/sealing-key";
import { ArchiveRefusal } from "../format/errors";
import { defaultArchiveLimits } from "../format/limits";
import { verifyDumpArchive } from "../verify/verify";

const [file, mode, targetDir] = process.argv.slice(2) as [string, string, string | undefined];
let outcome: { code: string; message?: string };
try {
  if (mode === "restore") {
    // Keys made once beside the target: the bomb carries no secrets to open.
    const keys = loadStoreKeys({ dir: path.join(path.dirname(targetDir!), "store-keys") });
    await dumpLoaderRestorer(keys)(
      file,
      { engine: "pglite", dir: targetDir! },
      defaultArchiveLimits,
    );
  } else {
    await verifyDumpArchive(file);
  }
  outcome = { code: "accepted" };
} catch (error) {
  if (!(error instanceof ArchiveRefusal)) throw error;
  outcome = { code: error.code, message: error.message };
}
// maxRSS is in kilobytes.
console.log(JSON.stringify({ ...outcome, peakRssBytes: process.resourceUsage().maxRSS * 1024 }));
