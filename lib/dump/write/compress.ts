import { promisify } from "node:util";
import zlib from "node:zlib";
import { inflateLimit } from "../format/limits";
import { sha256OffThread } from "../format/read-archive";

const gzip = promisify(zlib.gzip);

export interface CompressedFile {
  /** The gzip member. */
  compressed: Buffer;
  rows: number;
  bytes: number;
  compressedBytes: number;
  compressedSha256: string;
}

/**
 * A data file's text as it is gathered, in a buffer that is used again for a
 * later file once this one is compressed: a fresh buffer of several MiB
 * costs its page faults on every file.
 */
export class FileText {
  length = 0;
  rows = 0;

  constructor(public buffer: Buffer) {}

  append(part: Buffer, rows: number): void {
    if (this.length + part.length > this.buffer.length) {
      // Rows longer than the room left for the last one: grow to fit. The
      // smaller buffer is let go; the bigger one joins the stock afterwards,
      // which `recycle` keeps to a few buffers.
      const bigger = Buffer.allocUnsafeSlow(
        Math.max(this.buffer.length * 2, this.length + part.length),
      );
      this.buffer.copy(bigger, 0, 0, this.length);
      this.buffer = bigger;
    }
    part.copy(this.buffer, this.length);
    this.length += part.length;
    this.rows += rows;
  }

  get text(): Buffer {
    return this.buffer.subarray(0, this.length);
  }
}

/**
 * Compresses whole data files on the thread pool, several at once, so that
 * even one table read by one connection keeps every core busy (pg_dump
 * compresses a table on one core). Each file is one call with a large output
 * buffer: zlib fed in small writes pays a thread-pool round trip per write,
 * which cost more than the compression itself.
 *
 * A slot is held from `start` until the caller's `release`, i.e. until the
 * file has been written out: at most `limit` files' text and compressed bytes
 * are in memory, whatever the database's size.
 */
export class CompressionPool {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  /** Text buffers free for the next file: as many as files are filled and compressed at once. */
  private readonly stock: Buffer[] = [];

  constructor(
    private readonly limit: number,
    private readonly level: number,
    private readonly fileBytes: number,
  ) {}

  /** An empty file text to fill with whole rows. */
  newText(): FileText {
    // A file ends at the first row end past `fileBytes`: room for that row.
    const size = this.fileBytes + Math.max(this.fileBytes >> 3, 64 << 10);
    return new FileText(this.stock.pop() ?? Buffer.allocUnsafeSlow(size));
  }

  /** Takes back a text that will not be compressed (a table's last, empty one). */
  recycle(file: FileText): void {
    if (this.stock.length < this.limit + 2) this.stock.push(file.buffer);
  }

  /**
   * Waits for a free slot, then starts compressing `file` (whole COPY rows).
   * `done` settles when the file is compressed (its text buffer is then
   * used again); call `release` once it is written (or abandoned).
   */
  async start(file: FileText): Promise<{ done: Promise<CompressedFile>; release(): void }> {
    while (this.running >= this.limit) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    this.running++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.running--;
      this.waiting.shift()?.();
    };
    const compress = async (): Promise<CompressedFile> => {
      const options = {
        // Twice zlib's default hash table: a little faster, and a little smaller, at any level.
        memLevel: 9,
        chunkSize: 1 << 20,
      };
      let compressed = await gzip(file.text, { ...options, level: this.level });
      // Text that shrinks further than a reader allows (see MAX_INFLATE_RATIO)
      // is stored as it is: bigger, but never mistaken for a bomb.
      if (file.length > inflateLimit(compressed.length).bytes) {
        compressed = await gzip(file.text, { ...options, level: 0 });
      }
      this.recycle(file);
      return {
        compressed,
        rows: file.rows,
        bytes: file.length,
        compressedBytes: compressed.length,
        compressedSha256: await sha256OffThread(compressed),
      };
    };
    const done = compress();
    return { done, release };
  }
}
