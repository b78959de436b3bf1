import crypto from "node:crypto";
import { promisify } from "node:util";
import zlib from "node:zlib";

const gzip = promisify(zlib.gzip);
/** WebCrypto hashes on the thread pool, off the thread that reads the database. */
const sha256 = async (data: Buffer) =>
  Buffer.from(await crypto.subtle.digest("SHA-256", data)).toString("hex");

export interface CompressedFile {
  /** The gzip member. */
  compressed: Buffer;
  rows: number;
  bytes: number;
  sha256: string;
  compressedBytes: number;
  compressedSha256: string;
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

  constructor(
    private readonly limit: number,
    private readonly level: number,
  ) {}

  /**
   * Waits for a free slot, then starts compressing `text` (whole COPY rows).
   * `done` settles when the file is compressed; call `release` once it is
   * written (or abandoned).
   */
  async start(
    text: Buffer,
    rows: number,
  ): Promise<{ done: Promise<CompressedFile>; release(): void }> {
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
      const [compressed, textSha256] = await Promise.all([
        gzip(text, { level: this.level, chunkSize: 1 << 20 }),
        sha256(text),
      ]);
      return {
        compressed,
        rows,
        bytes: text.length,
        sha256: textSha256,
        compressedBytes: compressed.length,
        compressedSha256: await sha256(compressed),
      };
    };
    const done = compress();
    return { done, release };
  }
}
