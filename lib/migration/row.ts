import { and, asc, desc, eq, gt, isNull, notInArray, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import {
  cloudMigration,
  cloudMigrationEvent,
  type AfterDone,
  type MigrationState,
} from "@/db/schema";
import { channels, notify } from "@/lib/cluster/notify";
import { AppError, isUniqueViolation } from "@/lib/errors";
import { canTransition, terminalStates } from "./states";

export type MigrationRow = typeof cloudMigration.$inferSelect;
type Patch = Partial<Omit<MigrationRow, "id" | "state" | "version" | "createdAt">>;

const unfinished = notInArray(cloudMigration.state, [...terminalStates]);

/**
 * Inserts the row that claims the one slot for an unfinished migration. The
 * unique partial index decides between two starts at once (double click, two
 * admins, two nodes), not a read-then-write.
 */
export async function insertMigration(
  db: Database,
  values: { startedById: number; storeUrl: string; ownerNode: string; afterDone: AfterDone },
  /** Written in the same transaction (the audit entry): both or neither. */
  alongside?: (tx: Database, row: MigrationRow) => Promise<void>,
): Promise<MigrationRow> {
  try {
    return await db.transaction(async (tx) => {
      const [row] = await tx
        .insert(cloudMigration)
        .values({ ...values, state: "init", progress: 0 })
        .returning();
      if (!row) throw new Error("insert returned no row");
      await recordEvent(tx, row);
      await alongside?.(tx, row);
      return row;
    });
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new AppError("conflict", "migration_running", "There's an ongoing migration already.");
    }
    throw error;
  }
}

/** A state write the state machine does not allow: a bug in the caller, never retried. */
export class ForbiddenTransition extends Error {
  constructor(from: MigrationState | "unfinished", to: MigrationState) {
    super(`A migration cannot go from ${from} to ${to}.`);
    this.name = "ForbiddenTransition";
  }
}

/**
 * The only way a row changes: a conditional update that matches the state the
 * caller believes in (and never a terminal one). False means someone else got
 * there first — usually a cancel — and the caller must stop. A state change
 * must be one `canTransition` allows from `expect` ("unfinished" may only end
 * the migration); anything else throws before the database is touched.
 */
export async function updateMigration(
  db: Database,
  id: number,
  expect: MigrationState | "unfinished",
  change: Patch & { state?: MigrationState },
): Promise<boolean> {
  const to = change.state;
  if (to !== undefined && to !== expect) {
    const allowed =
      expect === "unfinished" ? to === "error" || to === "cancelled" : canTransition(expect, to);
    if (!allowed) throw new ForbiddenTransition(expect, to);
  }
  const condition =
    expect === "unfinished"
      ? and(eq(cloudMigration.id, id), unfinished)
      : and(eq(cloudMigration.id, id), eq(cloudMigration.state, expect), unfinished);
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(cloudMigration)
      .set({
        ...change,
        ...(change.progress === undefined
          ? {}
          : { progress: sql`greatest(${cloudMigration.progress}, ${change.progress})` }),
        version: sql`${cloudMigration.version} + 1`,
      })
      .where(condition)
      .returning();
    if (!row) return false;
    await recordEvent(tx, row);
    return true;
  });
}

/**
 * Keeps the change for replay, then announces it to every node. Called inside
 * the transaction that made the change: a reader who sees the new row also
 * finds its event (a late client replaying the log saw "upload" as the last
 * phase of a done migration), a crash cannot keep one without the other, and
 * the NOTIFY goes out on commit.
 */
async function recordEvent(db: Database, row: MigrationRow): Promise<void> {
  await db
    .insert(cloudMigrationEvent)
    .values({ migrationId: row.id, version: row.version, view: { ...toView(row) } })
    .onConflictDoNothing();
  await notify(db, channels.migration, { id: row.id });
}

/** The changes after `version`, oldest first, for a client catching up. */
export async function eventsSince(
  db: Database,
  id: number,
  version: number,
): Promise<MigrationView[]> {
  const rows = await db
    .select({ view: cloudMigrationEvent.view })
    .from(cloudMigrationEvent)
    .where(and(eq(cloudMigrationEvent.migrationId, id), gt(cloudMigrationEvent.version, version)))
    .orderBy(asc(cloudMigrationEvent.version));
  return rows.map((r) => r.view as unknown as MigrationView);
}

/**
 * Takes an unfinished migration over from a node that is gone. Atomic: of
 * several nodes recovering at once, one wins.
 */
export async function claimOwnership(
  db: Database,
  id: number,
  previousOwner: string | null,
  nodeId: string,
): Promise<boolean> {
  const claimed = await db
    .update(cloudMigration)
    .set({ ownerNode: nodeId, version: sql`${cloudMigration.version} + 1` })
    .where(
      and(
        eq(cloudMigration.id, id),
        unfinished,
        previousOwner === null
          ? isNull(cloudMigration.ownerNode)
          : eq(cloudMigration.ownerNode, previousOwner),
      ),
    )
    .returning({ id: cloudMigration.id });
  return claimed.length > 0;
}

/**
 * Records when read-only mode ended for this migration. Bookkeeping, not a
 * transition: it may land after the row reached a terminal state (a cancel).
 */
export async function stampReadOnlyEnd(db: Database, id: number): Promise<void> {
  await db.transaction(async (tx) => {
    const [row] = await tx
      .update(cloudMigration)
      .set({ readOnlyUntil: new Date(), version: sql`${cloudMigration.version} + 1` })
      .where(and(eq(cloudMigration.id, id), isNull(cloudMigration.readOnlyUntil)))
      .returning();
    if (row) await recordEvent(tx, row);
  });
}

export async function getMigration(db: Database, id: number): Promise<MigrationRow | null> {
  const [row] = await db.select().from(cloudMigration).where(eq(cloudMigration.id, id));
  return row ?? null;
}

export async function unfinishedMigrations(db: Database): Promise<MigrationRow[]> {
  return db.select().from(cloudMigration).where(unfinished);
}

export async function recentMigrations(db: Database, limit = 20): Promise<MigrationRow[]> {
  return db.select().from(cloudMigration).orderBy(desc(cloudMigration.id)).limit(limit);
}

/** What the browser may see of a migration: never the token or file paths. */
export interface MigrationView {
  id: number;
  state: MigrationState;
  progress: number;
  bytesDone: number;
  bytesTotal: number | null;
  throughputBytesPerSecond: number | null;
  etaSeconds: number | null;
  error: string | null;
  restoredTables: Record<string, number> | null;
  cloudUrl: string | null;
  createdAt: string;
  finishedAt: string | null;
  readOnlyFrom: string | null;
  readOnlyUntil: string | null;
  afterDone: AfterDone;
  /** After the upload: what the store says it is doing, and its place in line. */
  cloudPhase: string | null;
  cloudQueuePosition: number | null;
  version: number;
}

export function toView(row: MigrationRow): MigrationView {
  return {
    id: row.id,
    state: row.state,
    progress: row.progress,
    bytesDone: row.bytesDone,
    bytesTotal: row.bytesTotal,
    throughputBytesPerSecond: row.throughputBytesPerSecond,
    etaSeconds: row.etaSeconds,
    error: row.error,
    restoredTables: row.restoredTables,
    cloudUrl: row.cloudUrl,
    createdAt: row.createdAt.toISOString(),
    finishedAt: row.finishedAt?.toISOString() ?? null,
    readOnlyFrom: row.readOnlyFrom?.toISOString() ?? null,
    readOnlyUntil: row.readOnlyUntil?.toISOString() ?? null,
    afterDone: row.afterDone,
    cloudPhase: row.cloudPhase,
    cloudQueuePosition: row.cloudQueuePosition,
    version: row.version,
  };
}
