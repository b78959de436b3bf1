import crypto from "node:crypto";
import type { Writable } from "node:stream";
import { TAR_END, tarHeader, tarPadding } from "../format/tar";

/** Waits for `out` to accept more, failing if it closes or errors meanwhile (a client went away). */
function writeWithBackpressure(out: Writable, chunk: Buffer): Promise<void> {
  if (out.destroyed || out.writableEnded) {
    return Promise.reject(new Error("the archive's destination was closed"));
  }
  if (out.write(chunk)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      out.off("drain", onDrain);
      out.off("close", onClose);
      out.off("error", onError);
    };
    const onDrain = () => (cleanup(), resolve());
    const onClose = () => (cleanup(), reject(new Error("the archive's destination was closed")));
    const onError = (error: Error) => (cleanup(), reject(error));
    out.on("drain", onDrain);
    out.on("close", onClose);
    out.on("error", onError);
  });
}

/**
 * Appends whole entries to a tar stream. Entries from parallel workers are
 * serialized (each is written in one piece) and the archive's own size and
 * SHA-256 are computed on the way out, for the uploader.
 */
export class ArchiveWriter {
  private queue: Promise<void> = Promise.resolve();
  private readonly hash = crypto.createHash("sha256");
  private size = 0;

  constructor(
    private readonly out: Writable,
    private readonly mtime: Date,
  ) {}

  private async put(chunk: Buffer): Promise<void> {
    this.hash.update(chunk);
    this.size += chunk.length;
    await writeWithBackpressure(this.out, chunk);
  }

  /** One entry; `data` may come in pieces, written in order. */
  entry(name: string, data: Buffer | Buffer[]): Promise<void> {
    const pieces = Array.isArray(data) ? data : [data];
    const size = pieces.reduce((n, piece) => n + piece.length, 0);
    const next = this.queue.then(async () => {
      await this.put(tarHeader(name, size, this.mtime));
      for (const piece of pieces) await this.put(piece);
      await this.put(tarPadding(size));
    });
    // One failed write fails every later one too: the stream is broken.
    this.queue = next;
    return next;
  }

  async finish(): Promise<{ bytes: number; sha256: string }> {
    await this.queue;
    await this.put(TAR_END);
    await new Promise<void>((resolve, reject) =>
      this.out.end((error?: Error | null) => (error ? reject(error) : resolve())),
    );
    return { bytes: this.size, sha256: this.hash.digest("hex") };
  }
}
