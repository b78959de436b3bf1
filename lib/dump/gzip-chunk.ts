import crypto from "node:crypto";
import { once } from "node:events";
import zlib from "node:zlib";

export interface FinishedChunk {
  /** The gzip member, in the pieces zlib produced (never concatenated). */
  compressed: Buffer[];
  rows: number;
  bytes: number;
  sha256: string;
  compressedBytes: number;
  compressedSha256: string;
}

/**
 * One data file in the making: COPY text goes into a streaming gzip as it
 * arrives, so only the compressed bytes are held, never the chunk's text.
 * zlib works on the thread pool, so compression overlaps with reading.
 */
export class GzipChunk {
  private readonly gzip: zlib.Gzip;
  private readonly compressed: Buffer[] = [];
  private readonly hash = crypto.createHash("sha256");
  rows = 0;
  bytes = 0;

  constructor(level: number) {
    this.gzip = zlib.createGzip({ level, chunkSize: 64 << 10 });
    this.gzip.on("data", (piece: Buffer) => this.compressed.push(piece));
  }

  async write(data: Buffer, rows: number): Promise<void> {
    this.hash.update(data);
    this.rows += rows;
    this.bytes += data.length;
    if (!this.gzip.write(data)) await once(this.gzip, "drain");
  }

  async finish(): Promise<FinishedChunk> {
    const ended = once(this.gzip, "end");
    this.gzip.end();
    await ended;
    const compressedHash = crypto.createHash("sha256");
    let compressedBytes = 0;
    for (const piece of this.compressed) {
      compressedHash.update(piece);
      compressedBytes += piece.length;
    }
    return {
      compressed: this.compressed,
      rows: this.rows,
      bytes: this.bytes,
      sha256: this.hash.digest("hex"),
      compressedBytes,
      compressedSha256: compressedHash.digest("hex"),
    };
  }

  destroy(): void {
    this.gzip.destroy();
  }
}
