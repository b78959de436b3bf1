import type { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import type postgres from "postgres";
import type { Database, DatabaseHandle } from "@/db/client";

/** Channels the nodes of one instance talk on (Postgres LISTEN/NOTIFY). */
export const channels = {
  readOnly: "liftoff_read_only",
  scheduler: "liftoff_scheduler",
  migration: "liftoff_migration",
} as const;
export type Channel = (typeof channels)[keyof typeof channels];

/** Sent on commit when called inside a transaction, like any NOTIFY. */
export async function notify(db: Database, channel: Channel, payload: unknown): Promise<void> {
  await db.execute(sql`select pg_notify(${channel}, ${JSON.stringify(payload ?? null)})`);
}

function parse(payload: string): unknown {
  try {
    return JSON.parse(payload);
  } catch {
    return payload;
  }
}

/**
 * Subscribes to a channel. On PostgreSQL, postgres.js keeps one dedicated
 * connection for listening and re-subscribes after a reconnect; on PGlite the
 * notifications are delivered in-process.
 */
export async function listen(
  handle: DatabaseHandle,
  channel: Channel,
  onMessage: (payload: unknown) => void,
): Promise<() => Promise<void>> {
  if (handle.engine === "pglite") {
    return (handle.raw as PGlite).listen(channel, (payload) => onMessage(parse(payload)));
  }
  const subscription = await (handle.raw as postgres.Sql).listen(channel, (payload) =>
    onMessage(parse(payload)),
  );
  return () => subscription.unlisten();
}
