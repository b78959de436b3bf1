import { PiecePool } from "../format/inflate";
import type { ManifestDataFile, ManifestTable } from "../format/manifest";
import { checkCompressed, checkDataFile, dataFileText } from "../format/read-archive";
import type { ArchiveTally } from "../verify/verify";
import type { StoredRows } from "./progress";
import type { LoadTarget } from "./target";

/**
 * One data file's text, checked as it goes. The stored (compressed) bytes
 * are checked against the manifest before any of it is yielded; the text
 * then goes into the table's checksum (compared once the table's last file
 * is in), and its size and row count are compared at its end. A mismatch
 * throws, and the caller undoes the load: nothing unverified is kept.
 * Pieces come from `pool` (see PiecePool). Returns the file's row count.
 */
async function* checkedText(
  file: ManifestDataFile,
  compressed: Buffer,
  tally: ArchiveTally,
  pool: PiecePool,
): AsyncGenerator<Buffer, number> {
  const stored = await checkCompressed(file, compressed);
  const tableHash = tally.startFile(file.path);
  const text = yield* dataFileText(file.path, compressed, pool, tableHash, file.bytes, tally.text);
  const facts = { ...text, ...stored };
  checkDataFile(file, facts);
  tally.endFile(file.path, facts);
  return text.rows;
}

interface QueuedFile {
  file: ManifestDataFile;
  compressed: Buffer;
  handedOver: () => void;
  failed: (error: unknown) => void;
}

/**
 * Data files of one table, loaded by one COPY as they are added, each
 * checked on its own (see checkedText). A COPY per file cost a round trip
 * and thread-pool hops between files while the server waited: a few per
 * cent of a parallel load on a busy machine. `run` holds the connection
 * from the COPY's start until `end` (or `abort`), so the caller starts it
 * when the connection's turn comes; files may be added before.
 */
export class TableCopy {
  private readonly waiting: QueuedFile[] = [];
  private wake: (() => void) | null = null;
  private ended = false;
  private failure: { error: Error } | null = null;

  constructor(
    readonly table: ManifestTable,
    private readonly tally: ArchiveTally,
    private readonly onFileLoaded: (rows: number) => void,
  ) {}

  /**
   * Runs the COPY: settles once `end` was called and every file is in, or on
   * the first failure. Returns the rows the server stored.
   */
  async run(target: LoadTarget): Promise<number> {
    try {
      const pool = new PiecePool();
      return await target.copyIn(this.table.name, this.table.columns, this.text(pool), (piece) =>
        pool.giveBack(piece),
      );
    } catch (error) {
      this.fail(error);
      throw error;
    }
  }

  /**
   * Queues a file of the table; settles once its text is handed to the
   * connection (a failure found later surfaces from `run`).
   */
  add(file: ManifestDataFile, compressed: Buffer): Promise<void> {
    if (this.failure) return Promise.reject(this.failure.error);
    if (this.ended) return Promise.reject(new Error(`the COPY of ${this.table.name} has ended`));
    const added = new Promise<void>((handedOver, failed) => {
      this.waiting.push({ file, compressed, handedOver, failed });
      this.wake?.();
    });
    // The caller may never wait for it: the failure also surfaces from `run`.
    added.catch(() => {});
    return added;
  }

  /** No more files. */
  end(): void {
    this.ended = true;
    this.wake?.();
  }

  /** Fails the COPY (if it runs) and every file still queued. */
  abort(error: unknown): void {
    this.fail(error);
    this.wake?.();
  }

  private fail(error: unknown): void {
    this.failure ??= { error: error instanceof Error ? error : new Error(String(error)) };
    for (const queued of this.waiting.splice(0)) queued.failed(error);
  }

  private async *text(pool: PiecePool): AsyncGenerator<Buffer> {
    for (;;) {
      if (this.failure) throw this.failure.error;
      const next = this.waiting[0];
      if (!next) {
        if (this.ended) return;
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = null;
        continue;
      }
      const rows = yield* checkedText(next.file, next.compressed, this.tally, pool);
      this.waiting.shift();
      this.onFileLoaded(rows);
      next.handedOver();
    }
  }
}

/**
 * Data files, in the order added, through one connection: consecutive files of
 * a table share a COPY, except on a target that takes a COPY only whole
 * (PGlite), where each file is its own so that memory stays bounded. At most
 * a few files are queued ahead. The rows the server stored go into `stored`.
 */
export class SequentialCopies {
  private copy: TableCopy | null = null;
  private running: Promise<void> = Promise.resolve();
  private readonly queued: Promise<void>[] = [];

  constructor(
    private readonly target: LoadTarget,
    private readonly tally: ArchiveTally,
    private readonly stored: StoredRows,
    private readonly onFileLoaded: (rows: number) => void,
  ) {}

  async add(table: ManifestTable, file: ManifestDataFile, compressed: Buffer): Promise<void> {
    if (this.copy && this.copy.table !== table) await this.end();
    if (!this.copy) {
      this.copy = new TableCopy(table, this.tally, this.onFileLoaded);
      this.running = this.copy.run(this.target).then((rows) => this.stored.add(table.name, rows));
      this.running.catch(() => {});
    }
    const added = this.copy.add(file, compressed);
    // A failed COPY rejects every file queued behind it, and `end` drops the
    // queue: the failure reaches the caller through `running`, not these.
    added.catch(() => {});
    this.queued.push(added);
    if (!this.target.streamsCopy) await this.end();
    else if (this.queued.length > 4) await this.queued.shift();
  }

  /** Ends the COPY under way, if any, and waits for it. */
  async end(): Promise<void> {
    this.copy?.end();
    this.copy = null;
    this.queued.length = 0;
    await this.running;
  }

  /** After a failure: fails the COPY under way and waits until it has ended. */
  async abort(error: unknown): Promise<void> {
    this.copy?.abort(error);
    this.copy = null;
    await this.running.catch(() => {});
  }
}
