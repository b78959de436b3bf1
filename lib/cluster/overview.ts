import { desc, getTableColumns, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { clusterNodes } from "@/db/schema";
import { assertAdmin, type Actor } from "@/lib/auth/actor";

/**
 * The nodes newest first, each with whether it has gone quiet for longer than
 * `staleAfterSeconds` — judged by the database's clock, the one every node's
 * `last_seen_at` was written with, not by this server's. For admins only.
 */
export async function listNodes(
  db: Database,
  actor: Actor,
  { staleAfterSeconds }: { staleAfterSeconds: number },
) {
  assertAdmin(actor);
  return db
    .select({
      ...getTableColumns(clusterNodes),
      gone: sql<boolean>`${clusterNodes.lastSeenAt} < now() - make_interval(secs => ${staleAfterSeconds})`,
    })
    .from(clusterNodes)
    .orderBy(desc(clusterNodes.lastSeenAt))
    .limit(100);
}
