import type postgres from "postgres";
import {
  dropKeysAndIndexes,
  restoreKeysAndIndexes,
  type KeysAndIndexes,
  type KeyStatement,
} from "../keys";
import { TableCopy } from "../table-copy";
import { postgresTarget, type LoadTarget } from "../target";
import type { ManifestDataFile, ManifestTable } from "../../format/manifest";
import { openIndexed, tallyOtherEntries, type IndexedArchive } from "../data-files";
import type { LoadPlan, LoadReport } from "../plan";
import { progressOf, StoredRows } from "../progress";
import { eachUntilFailure } from "../share-out";
import { finishTarget, prepareTarget } from "../target-steps";
import { readIndexed } from "../../format/read-archive";
import { stableOutputSettings } from "../../catalog";
import { qualified, quoteIdent } from "../../tables";
import { ArchiveTally } from "../../verify/verify";

async function inTransaction<T>(target: LoadTarget, fn: () => Promise<T>): Promise<T> {
  await target.exec(`begin; ${stableOutputSettings}`);
  try {
    const result = await fn();
    await target.exec("commit");
    return result;
  } catch (error) {
    await target.exec("rollback").catch(() => {});
    throw error;
  }
}

/**
 * What a piece of a load's work costs, about, in bytes of COPY text loaded
 * in the same time, so that the largest goes first and a connection that
 * is free takes whatever keeps the end of the load short. On the 1 GB bench
 * database (2 cores) a COPY took about 30 ns a byte of text, an index build
 * 1 to 3 µs a row, and a foreign key's check about 0.2 µs a row.
 */
const LOAD_COST = { indexRow: 60, foreignKeyRow: 8 };

/** Orders the work of a parallel load by cost (see LOAD_COST). */
export class LoadCosts {
  private readonly rows: Map<string, number>;
  private readonly longestKey = new Map<string, number>();

  constructor(tables: ManifestTable[], keys: KeysAndIndexes) {
    this.rows = new Map(tables.map((t) => [t.name, t.rows]));
    for (const key of keys.own) {
      this.longestKey.set(key.table, Math.max(this.longestKey.get(key.table) ?? 0, this.key(key)));
    }
  }

  /** A key's build (an index, a primary or unique key) or check (a foreign key). */
  key(key: KeyStatement): number {
    const rows = this.rows.get(key.table) ?? 0;
    return rows * (key.references === undefined ? LOAD_COST.indexRow : LOAD_COST.foreignKeyRow);
  }

  /**
   * A table: its rows, then its longest key, which cannot start before
   * they are in (the others can go to another connection meanwhile).
   */
  table(table: ManifestTable): number {
    return table.bytes + (this.longestKey.get(table.name) ?? 0);
  }
}

/**
 * The keys to put back while the data loads: a table's own (indexes,
 * primary and unique keys) once its rows are committed, and a foreign key
 * once both its tables have their own keys (its check needs the referenced
 * key, and would wait for any index being built on either table). A free
 * connection takes the costliest ready one (see LoadCosts) when it costs
 * more than the next table, as pg_restore -j orders its work by size.
 */
export class KeyWork {
  private ready: KeyStatement[] = [];
  private readonly released = new Set<string>();
  /** Own keys not built yet, per table; foreign keys not yet ready. */
  private readonly ownLeft = new Map<string, number>();
  private waitingForeign: KeyStatement[];
  private readonly lanes: Lane[] = [];

  constructor(
    private readonly keys: KeysAndIndexes,
    private readonly costs: LoadCosts,
  ) {
    for (const key of keys.own) this.ownLeft.set(key.table, (this.ownLeft.get(key.table) ?? 0) + 1);
    this.waitingForeign = [...keys.foreign];
  }

  attach(lane: Lane): void {
    this.lanes.push(lane);
  }

  /** `table`'s rows are in and committed: its keys may be built, by any idle connection. */
  release(table: string): void {
    this.released.add(table);
    this.ready.push(...this.keys.own.filter((k) => k.table === table));
    this.readyForeign();
  }

  /** The costliest ready key, if it costs at least `atLeast`. */
  take(atLeast = 0): KeyStatement | undefined {
    let best: KeyStatement | undefined;
    for (const key of this.ready) {
      if (!best || this.costs.key(key) > this.costs.key(best)) best = key;
    }
    if (!best || this.costs.key(best) < atLeast) return undefined;
    this.ready = this.ready.filter((k) => k !== best);
    return best;
  }

  /** A key taken has been built. */
  built(key: KeyStatement): void {
    if (!this.keys.own.includes(key)) return;
    this.ownLeft.set(key.table, this.ownLeft.get(key.table)! - 1);
    this.readyForeign();
  }

  private readyForeign(): void {
    const hasOwnKeys = (table: string) => this.released.has(table) && !this.ownLeft.get(table);
    const now = this.waitingForeign.filter((k) => hasOwnKeys(k.table) && hasOwnKeys(k.references!));
    if (now.length) {
      this.waitingForeign = this.waitingForeign.filter((k) => !now.includes(k));
      this.ready.push(...now);
    }
    for (const lane of this.lanes) lane.whenIdle();
  }

  /** What is left once the data is in: unbuilt keys, those of tables with no data file, and the foreign keys. */
  rest(): KeysAndIndexes {
    const ready = new Set(this.ready);
    return {
      own: [
        ...this.keys.own.filter((k) => ready.has(k)),
        ...this.keys.own.filter((k) => !this.released.has(k.table)),
      ],
      foreign: this.keys.foreign.filter((k) => ready.has(k) || this.waitingForeign.includes(k)),
    };
  }
}

/**
 * One connection's share of the work, run in order: the tables given to it,
 * one at a time, each in a transaction that empties it first (so that COPY
 * FREEZE may write it), loads its files with one COPY (see TableCopy) and
 * is committed as soon as all its rows are in; and keys of tables already
 * committed, whichever connection loaded them, as pg_restore -j does. While
 * tables are left, its feeder chooses (see feedLanes); then, with nothing
 * to do, it takes the costliest ready key itself. At most a few compressed
 * files wait their turn, so memory stays bounded.
 */
class Lane {
  /** Its feeder chooses its work; it takes no key by itself. */
  feeding = true;
  /** The COPY of the table in the open transaction; every COPY not yet over. */
  private copy: TableCopy | null = null;
  private readonly copies = new Set<TableCopy>();
  private readonly files: Promise<void>[] = [];
  private last: Promise<void> = Promise.resolve();
  private pending = 0;
  private failure: { error: unknown } | null = null;
  private stopped = false;

  constructor(
    readonly target: LoadTarget,
    private readonly keyWork: KeyWork,
    private readonly stored: StoredRows,
    private readonly newCopy: (table: ManifestTable) => TableCopy,
  ) {
    keyWork.attach(this);
  }

  /** Starts loading `table`: a transaction that empties it, and the COPY its files go to. */
  startTable(table: ManifestTable): void {
    const copy = this.newCopy(table);
    this.copy = copy;
    this.copies.add(copy);
    this.enqueue(() =>
      this.target.exec(`begin; ${stableOutputSettings}; truncate ${qualified(table.name)}`),
    );
    this.enqueue(() =>
      copy
        .run(this.target)
        .then((rows) => this.stored.add(table.name, rows))
        .finally(() => this.copies.delete(copy)),
    );
  }

  /** Loads a file of the table under way; waits while too many are queued. */
  async addFile(file: ManifestDataFile, compressed: Buffer): Promise<void> {
    this.files.push(this.copy!.add(file, compressed));
    if (this.files.length > 4) await this.files.shift();
  }

  /** The table under way has all its files: it is committed once they are in. */
  endTable(): void {
    const copy = this.copy!;
    copy.end();
    this.copy = null;
    this.enqueue(async () => {
      await this.target.exec("commit");
      this.keyWork.release(copy.table.name);
    });
  }

  private enqueue(work: () => Promise<void>): void {
    if (this.failure) throw this.failure.error;
    this.pending++;
    const run = this.last.then(() => {
      if (this.failure) throw this.failure.error;
      return work();
    });
    this.last = run
      .catch((error: unknown) => {
        this.failure ??= { error };
        // A COPY that will not run (or runs no more) fails the files queued for it.
        for (const copy of this.copies) copy.abort(this.failure.error);
      })
      .finally(() => {
        this.pending--;
        this.whenIdle();
      });
  }

  /**
   * With nothing queued and no table under way, builds one key that is
   * ready. (Not inside a table's transaction: the locks it took would be
   * held until that table's commit, and a foreign key's lock on a table
   * another connection is loading would wait for that one's commit.)
   */
  whenIdle(): void {
    if (this.feeding || this.pending > 0 || this.copy || this.failure || this.stopped) return;
    const key = this.keyWork.take();
    if (key) this.buildKey(key);
  }

  buildKey(key: KeyStatement): void {
    this.enqueue(async () => {
      await this.target.exec(key.sql);
      this.keyWork.built(key);
    });
  }

  /**
   * After a failure anywhere: runs nothing more of its queue, fails its COPY
   * (the server ends it), and returns once the statement under way has
   * ended, so that nothing else is sent on the connection in the middle of a
   * COPY.
   */
  async stop(error: unknown): Promise<void> {
    this.failure ??= { error };
    for (const copy of this.copies) copy.abort(error);
    this.stopped = true;
    await this.drained().catch(() => {});
  }

  /** Waits until its queue has run out (it may take a key again later); fails if any of its work failed. */
  async drained(): Promise<void> {
    while (this.pending > 0) await this.last;
    if (this.failure) throw this.failure.error;
  }

  get idle(): boolean {
    return this.pending === 0;
  }

  /** Takes no more keys. */
  finish(): void {
    this.stopped = true;
  }
}

/**
 * Once every table is handed out: waits until every lane has run out of work at
 * once, a lane that is done going on with keys of tables the others commit
 * meanwhile. Keys still ready then are left to restoreKeysAndIndexes.
 */
async function drainAll(lanes: Lane[]): Promise<void> {
  for (;;) {
    await Promise.all(lanes.map((lane) => lane.drained()));
    for (const lane of lanes) lane.whenIdle();
    if (lanes.every((lane) => lane.idle)) break;
  }
  for (const lane of lanes) lane.finish();
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
 * Each connection has a feeder. Once its connection has nothing left to
 * do, the feeder gives it the costliest piece of work (see LoadCosts): a
 * ready key that costs more than the next table, or else that table, whose
 * files it reads from the archive itself, so that no connection waits for
 * files of a table another is loading. A table's keys can thus start as
 * soon as its rows are in, while other tables still load: built at the
 * end, the largest table's indexes had made the load's last seconds. The
 * archive's other entries go to the tally. After a failure no connection
 * takes more work; the failure is thrown once all work under way has ended.
 */
async function feedLanes(
  lanes: Lane[],
  archive: IndexedArchive,
  plan: LoadPlan,
  tally: ArchiveTally,
  keyWork: KeyWork,
  costs: LoadCosts,
): Promise<void> {
  await tallyOtherEntries(archive, tally);
  const tables = plan.verified.manifest.tables
    .filter((t) => t.files.length > 0)
    .sort((a, b) => costs.table(b) - costs.table(a));
  await eachUntilFailure(lanes, async (lane, stopped) => {
    while (!stopped()) {
      await lane.drained();
      const table = tables[0];
      if (!table) break;
      const key = keyWork.take(costs.table(table));
      if (key) {
        lane.buildKey(key);
        continue;
      }
      tables.shift();
      lane.startTable(table);
      for (const file of table.files) {
        if (stopped()) return;
        const compressed = await readIndexed(archive.handle, archive.byPath.get(file.path)!);
        await lane.addFile(file, compressed);
      }
      lane.endTable();
    }
    lane.feeding = false;
    lane.whenIdle();
  });
}

/**
 * A load on several connections, as `pg_restore -j` does: the schema first,
 * then the tables shared out between the connections (see feedLanes), keys
 * and indexes rebuilt side by side, and last the checks, sequences and
 * migration records. Each step is its own transaction, so the load is all
 * or nothing by other means than rollback: until the last step the
 * migrations are unrecorded and the app will not start on the database, and
 * if any step fails everything the load created is dropped again, leaving
 * the target as empty as it was.
 */
export async function loadInParallel(
  sql: postgres.Sql,
  jobs: number,
  file: string,
  plan: LoadPlan,
): Promise<LoadReport> {
  const { manifest, migrations } = plan.verified;
  // The archive's structure and its data files against the manifest, before anything is written.
  const archive = await openIndexed(file, plan);
  const reserved: postgres.ReservedSql[] = [];
  try {
    // Connected side by side (each start-up is a few round trips); any that
    // connected are released below even if another failed.
    const connecting = await Promise.allSettled(
      Array.from({ length: Math.min(jobs, sql.options.max) }, () => sql.reserve()),
    );
    for (const c of connecting) if (c.status === "fulfilled") reserved.push(c.value);
    for (const c of connecting) if (c.status === "rejected") throw c.reason;
    const targets = reserved.map((connection) => postgresTarget(connection));
    const main = targets[0]!;
    const schemasBefore = await schemaNames(main);
    const keys = await inTransaction(main, async () => {
      await prepareTarget(main, manifest, migrations, { record: false });
      return dropKeysAndIndexes(main);
    });
    try {
      const tally = new ArchiveTally(plan.verified.limits);
      const stored = new StoredRows();
      const costs = new LoadCosts(manifest.tables, keys);
      const keyWork = new KeyWork(keys, costs);
      const lanes = targets.map(
        (target) =>
          new Lane(
            target,
            keyWork,
            stored,
            (table) => new TableCopy(table, tally, progressOf(plan)),
          ),
      );
      try {
        await feedLanes(lanes, archive, plan, tally, keyWork, costs);
        await drainAll(lanes);
      } catch (error) {
        await Promise.all(lanes.map((lane) => lane.stop(error).catch(() => {})));
        await Promise.all(lanes.map((lane) => lane.target.exec("rollback").catch(() => {})));
        throw error;
      }
      // The rest: keys not built yet, those of tables with no data file, and the foreign keys.
      await restoreKeysAndIndexes(targets, keyWork.rest());
      return await inTransaction(main, () =>
        finishTarget(main, plan, tally, stored, { recordBefore: true }),
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
    await archive.handle.close();
  }
}
