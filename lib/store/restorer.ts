import type { ArchiveLimits } from "@/lib/dump/format/limits";
import type { RestoreTarget } from "./targets";

/**
 * Loads a verified dump archive into an empty target database and reports
 * rows per table. The store's is the dump loader (dump-restorer.ts); the
 * store only depends on this shape.
 */
export type ArchiveRestorer = (
  archivePath: string,
  target: RestoreTarget,
  limits: ArchiveLimits,
) => Promise<{ tables: Record<string, number> }>;
