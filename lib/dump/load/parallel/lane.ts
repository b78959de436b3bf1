import { stableOutputSettings } from "../../catalog";
import type { ManifestDataFile, ManifestTable } from "../../format/manifest";
import { qualified } from "../../tables";
import type { KeyStatement } from "../keys";
import type { StoredRows } from "../progress";
import type { TableCopy } from "../table-copy";
import type { LoadTarget } from "../target";
import type { KeyWork } from "./key-work";

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
export class Lane {
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
    const added = this.copy!.add(file, compressed);
    // The COPY's own failure is reported by its run; files queued behind it may never be awaited.
    added.catch(() => {});
    this.files.push(added);
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
export async function drainAll(lanes: Lane[]): Promise<void> {
  for (;;) {
    await Promise.all(lanes.map((lane) => lane.drained()));
    for (const lane of lanes) lane.whenIdle();
    if (lanes.every((lane) => lane.idle)) break;
  }
  for (const lane of lanes) lane.finish();
}
