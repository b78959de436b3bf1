/**
 * Verifies an archive in a process of its own and prints, as one JSON line,
 * how it ended and the process's peak memory (maxRSS): a test's own heap
 * would blur the figure. Usage: tsx refusal-child.ts ARCHIVE
 */
import { ArchiveRefusal } from "../errors";
import { verifyDumpArchive } from "../verify";

const file = process.argv[2]!;
let outcome: { code: string; message: string } | { code: "accepted" };
try {
  await verifyDumpArchive(file);
  outcome = { code: "accepted" };
} catch (error) {
  if (!(error instanceof ArchiveRefusal)) throw error;
  outcome = { code: error.code, message: error.message };
}
// maxRSS is in kilobytes.
console.log(JSON.stringify({ ...outcome, peakRssBytes: process.resourceUsage().maxRSS * 1024 }));
