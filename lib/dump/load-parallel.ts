import type postgres from "postgres";
import {
  dropKeysAndIndexes,
  ownKeysOf,
  restoreKeysAndIndexes,
  type KeysAndIndexes,
} from "./load-keys";
import { postgresTarget, type LoadTarget } from "./load-target";
import {
  finishTarget,
  forEachDataFile,
  loadListedFile,
  prepareTarget,
  type LoadPlan,
  type LoadReport,
} from "./load-steps";
import type { ArchiveSource } from "./read-archive";
import { stableOutputSettings } from "./source";
import { qualified, quoteIdent } from "./tables";
import { ArchiveTally } from "./verify";

async function inTransaction<T>(target: LoadTarget, fn: () => Promise<T>): Promise<T> {
  await target.exec("begin");
  try {
    await target.exec(stableOutputSettings);
    const result = await fn();
    await target.exec("commit");
    return result;
  } catch (error) {
    await target.exec("rollback").catch(() => {});
    throw error;
  }
}

/** Statements that put a table's own keys back, released once its rows are committed. */
class KeyWork {
  private readonly ready: string[] = [];
  private readonly released = new Set<string>();
  private readonly lanes: Lane[] = [];

  constructor(private readonly keys: KeysAndIndexes) {}

  attach(lane: Lane): void {
    this.lanes.push(lane);
  }

  /** `table`'s rows are in and committed: its keys may be built, by any idle connection. */
  release(table: string): void {
    this.released.add(table);
    this.ready.push(...ownKeysOf(this.keys, table));
    for (const lane of this.lanes) lane.whenIdle();
  }

  take(): string | undefined {
    return this.ready.shift();
  }

  /** What is left once the data is in: unbuilt keys, those of tables with no data file, and the foreign keys. */
  rest(): KeysAndIndexes {
    const statement = (sql: string) => this.keys.own.find((k) => k.sql === sql)!;
    return {
      own: [
        ...this.ready.map(statement),
        ...this.keys.own.filter((k) => !this.released.has(k.table)),
      ],
      foreign: this.keys.foreign,
    };
  }
}

/**
 * One connection's share of the work, run in order: the tables given to it,
 * file after file in archive order, in a transaction that empties each table
 * first (so that COPY FREEZE may write it) and is committed as soon as every
 * table in it has all its rows (tables dumped side by side come interleaved
 * in the archive). With nothing to do, it builds keys of tables already
 * committed, whichever connection loaded them, as pg_restore -j does; data
 * comes first, so the archive keeps being read. At most a few compressed
 * files wait their turn, so memory stays bounded.
 */
class Lane {
  assignedBytes = 0;
  /** The tables in the open transaction, and those of them still waiting for files. */
  private readonly open = new Set<string>();
  private readonly loading = new Set<string>();
  private last: Promise<void> = Promise.resolve();
  private readonly queued: Promise<void>[] = [];
  private pending = 0;
  private failure: { error: unknown } | null = null;
  private stopped = false;

  constructor(
    readonly target: LoadTarget,
    private readonly keyWork: KeyWork,
  ) {
    keyWork.attach(this);
  }

  /** Work queued and not yet done: the lane with the least takes the next table. */
  get backlog(): number {
    return this.pending;
  }

  has(table: string): boolean {
    return this.loading.has(table);
  }

  /** Gives this lane a table, emptied in the lane's transaction (opened if need be). */
  async take(table: string, bytes: number): Promise<void> {
    const opening = this.open.size === 0;
    this.open.add(table);
    this.loading.add(table);
    this.assignedBytes += bytes;
    await this.enqueue(async () => {
      if (opening) {
        await this.target.exec("begin");
        await this.target.exec(stableOutputSettings);
      }
      await this.target.exec(`truncate ${qualified(table)}`);
    });
  }

  /** `table` has all its files queued: once no table in the transaction waits for more, it is committed. */
  async tableLoaded(table: string): Promise<void> {
    this.loading.delete(table);
    if (this.loading.size > 0) return;
    const committed = [...this.open];
    this.open.clear();
    await this.enqueue(async () => {
      await this.target.exec("commit");
      for (const name of committed) this.keyWork.release(name);
    });
  }

  async enqueue(work: () => Promise<void>): Promise<void> {
    if (this.failure) throw this.failure.error;
    this.pending++;
    const run = this.last.then(() => {
      if (this.failure) throw this.failure.error;
      return work();
    });
    run.catch((error: unknown) => (this.failure ??= { error }));
    this.last = run
      .catch(() => {})
      .finally(() => {
        this.pending--;
        this.whenIdle();
      });
    this.queued.push(run);
    if (this.queued.length > 8) await this.queued.shift();
  }

  /**
   * With nothing queued and no transaction open, builds one key that is
   * ready. (Not inside the transaction: the locks it took would be held until
   * the commit, which waits for the archive to be read, which may wait for a
   * connection that needs one of those locks.)
   */
  whenIdle(): void {
    if (this.pending > 0 || this.open.size > 0 || this.failure || this.stopped) return;
    const statement = this.keyWork.take();
    if (statement) this.enqueue(() => this.target.exec(statement)).catch(() => {});
  }

  /**
   * After a failure anywhere: runs nothing more of its queue, and returns once
   * the statement under way has ended, so that nothing else is sent on the
   * connection in the middle of a COPY.
   */
  async stop(error: unknown): Promise<void> {
    this.failure ??= { error };
    await this.finish();
  }

  /** Takes no more keys, waits for what is queued, and fails if any of it failed. */
  async finish(): Promise<void> {
    this.stopped = true;
    while (this.pending > 0) await this.last;
    if (this.failure) throw this.failure.error;
  }
}

/** The schemas present before the load: anything else in the end is the load's own. */
async function schemaNames(target: LoadTarget): Promise<Set<string>> {
  return new Set((await target.query("select nspname::text from pg_namespace")).map((r) => r[0]!));
}

/**
 * Drops what a failed load created. The target had no relation in `public`
 * and no migration record when the load began (prepareTarget refuses it
 * otherwise), so every relation there now, and every new schema, is the load's.
 */
async function undo(target: LoadTarget, schemasBefore: Set<string>): Promise<void> {
  for (const schema of await schemaNames(target)) {
    if (!schemasBefore.has(schema)) await target.exec(`drop schema ${quoteIdent(schema)} cascade`);
  }
  // Tables first: the sequences their identity columns own go with them.
  for (const [kinds, drop] of [
    ["'r', 'p'", "table"],
    ["'m'", "materialized view"],
    ["'v'", "view"],
    ["'S'", "sequence"],
  ]) {
    const names = await target.query(`
      select c.oid::regclass::text from pg_class c
      where c.relnamespace = 'public'::regnamespace and c.relkind in (${kinds})`);
    if (names.length) await target.exec(`drop ${drop} if exists ${names.join(", ")} cascade`);
  }
}

/**
 * A load on several connections, as `pg_restore -j` does: the schema first,
 * then the tables shared out between the connections as their files come
 * (largest share first), keys and indexes rebuilt side by side, and last the
 * checks, sequences and migration records. Each step is its own transaction,
 * so the load is all or nothing by other means than rollback: until the last
 * step the migrations are unrecorded and the app will not start on the
 * database, and if any step fails everything the load created is dropped
 * again, leaving the target as empty as it was.
 */
export async function loadInParallel(
  sql: postgres.Sql,
  jobs: number,
  source: ArchiveSource,
  plan: LoadPlan,
): Promise<LoadReport> {
  const { manifest, migrations } = plan.verified;
  const reserved: postgres.ReservedSql[] = [];
  try {
    for (let i = 0; i < Math.min(jobs, sql.options.max); i++) reserved.push(await sql.reserve());
    const targets = reserved.map((connection) => postgresTarget(connection));
    const main = targets[0]!;
    const schemasBefore = await schemaNames(main);
    const keys = await inTransaction(main, async () => {
      await prepareTarget(main, manifest, migrations, { record: false });
      return dropKeysAndIndexes(main);
    });
    try {
      const tally = new ArchiveTally();
      const keyWork = new KeyWork(keys);
      const lanes = targets.map((target) => new Lane(target, keyWork));
      const filesLeft = new Map(manifest.tables.map((t) => [t.name, t.files.length]));
      try {
        await forEachDataFile(source, plan, tally, async (listed, compressed) => {
          const name = listed.table.name;
          let lane = lanes.find((l) => l.has(name));
          if (!lane) {
            // The least busy lane: one building a long index takes no new table.
            lane = lanes.reduce((a, b) =>
              b.backlog < a.backlog ||
              (b.backlog === a.backlog && b.assignedBytes < a.assignedBytes)
                ? b
                : a,
            );
            await lane.take(name, listed.table.bytes);
          }
          const chosen = lane;
          await chosen.enqueue(() =>
            loadListedFile(chosen.target, plan, tally, listed, compressed),
          );
          const left = filesLeft.get(name)! - 1;
          filesLeft.set(name, left);
          if (left === 0) await chosen.tableLoaded(name);
        });
        await Promise.all(lanes.map((lane) => lane.finish()));
      } catch (error) {
        await Promise.all(lanes.map((lane) => lane.stop(error).catch(() => {})));
        await Promise.all(lanes.map((lane) => lane.target.exec("rollback").catch(() => {})));
        throw error;
      }
      // The rest: keys not built yet, those of tables with no data file, and the foreign keys.
      await restoreKeysAndIndexes(targets, keyWork.rest());
      return await inTransaction(main, () =>
        finishTarget(main, plan, tally, { recordBefore: true }),
      );
    } catch (error) {
      try {
        await undo(main, schemasBefore);
      } catch (undoError) {
        throw new Error(
          `The load failed (${(error as Error).message}) and dropping what it had created failed too (${(undoError as Error).message}): drop and recreate the target database before loading again.`,
          { cause: error },
        );
      }
      throw error;
    }
  } finally {
    for (const connection of reserved) connection.release();
  }
}
