import { desc, getTableColumns, sql } from "drizzle-orm";
import type { Database } from "../client";
import { clusterNodes } from "../schema";

/**
 * The nodes newest first, each with whether it has gone quiet for longer than
 * `staleAfterSeconds` — judged by the database's clock, the one every node's
 * `last_seen_at` was written with, not by this server's.
 */
export async function listNodes(
  db: Database,
  { staleAfterSeconds }: { staleAfterSeconds: number },
) {
  return db
    .select({
      ...getTableColumns(clusterNodes),
      gone: sql<boolean>`${clusterNodes.lastSeenAt} < now() - make_interval(secs => ${staleAfterSeconds})`,
    })
    .from(clusterNodes)
    .orderBy(desc(clusterNodes.lastSeenAt))
    .limit(100);
}
