import fs from "node:fs";
import { describeBytes } from "./limits";
/**
 * The small part of POSIX ustar the dump needs: regular files with short
 * names, written sequentially. Readable by GNU tar, bsdtar and Python's
 * tarfile. The reader is strict on purpose: it is the first line of defence
 * against a malformed or hostile archive.
 */

const BLOCK = 512;
export const TAR_END = Buffer.alloc(BLOCK * 2);

export class TarFormatError extends Error {
  constructor(
    message: string,
    readonly code: "malformed" | "truncated" | "too_large" = "malformed",
  ) {
    super(message);
    this.name = "TarFormatError";
  }
}

function writeOctal(header: Buffer, offset: number, length: number, value: number): void {
  header.write(value.toString(8).padStart(length - 1, "0") + "\0", offset, length, "ascii");
}

function headerChecksum(header: Buffer): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i]!;
  return sum;
}

/** A ustar header for a regular file. */
export function tarHeader(name: string, size: number, mtime: Date): Buffer {
  const nameBytes = Buffer.from(name, "utf8");
  if (nameBytes.length > 100) throw new TarFormatError(`entry name too long: ${name}`);
  if (size > 0o77777777777) throw new TarFormatError(`entry too large: ${name}`);
  const header = Buffer.alloc(BLOCK);
  nameBytes.copy(header, 0);
  writeOctal(header, 100, 8, 0o644);
  writeOctal(header, 108, 8, 0);
  writeOctal(header, 116, 8, 0);
  writeOctal(header, 124, 12, size);
  writeOctal(header, 136, 12, Math.floor(mtime.getTime() / 1000));
  header[156] = 0x30; // '0': regular file
  header.write("ustar\0", 257, 6, "ascii");
  header.write("00", 263, 2, "ascii");
  writeOctal(header, 148, 8, headerChecksum(header));
  return header;
}

export function tarPadding(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);
}

/** Pulls exact byte counts out of a chunked stream. */
class ByteReader {
  private buffered: Buffer[] = [];
  private length = 0;
  private done = false;
  private readonly iterator: AsyncIterator<Buffer | Uint8Array | string>;

  constructor(source: AsyncIterable<Buffer | Uint8Array | string>) {
    this.iterator = source[Symbol.asyncIterator]();
  }

  /** Exactly `n` bytes, or fewer only when the stream ended. */
  async read(n: number): Promise<Buffer> {
    while (this.length < n && !this.done) {
      const next = await this.iterator.next();
      if (next.done) {
        this.done = true;
        break;
      }
      const chunk = Buffer.from(next.value);
      this.buffered.push(chunk);
      this.length += chunk.length;
    }
    const all = this.buffered.length === 1 ? this.buffered[0]! : Buffer.concat(this.buffered);
    const taken = all.subarray(0, Math.min(n, all.length));
    const rest = all.subarray(taken.length);
    this.buffered = rest.length ? [rest] : [];
    this.length = rest.length;
    return taken;
  }

  async skip(n: number): Promise<number> {
    let skipped = 0;
    while (skipped < n) {
      const part = await this.read(Math.min(n - skipped, 1 << 20));
      if (part.length === 0) break;
      skipped += part.length;
    }
    return skipped;
  }

  async close(): Promise<void> {
    await this.iterator.return?.();
  }
}

function readString(header: Buffer, offset: number, length: number): string {
  const field = header.subarray(offset, offset + length);
  const end = field.indexOf(0);
  return field.subarray(0, end === -1 ? length : end).toString("utf8");
}

function readOctal(header: Buffer, offset: number, length: number, what: string): number {
  const text = readString(header, offset, length).trim();
  if (!/^[0-7]+$/.test(text)) throw new TarFormatError(`malformed ${what} field in a tar header`);
  return parseInt(text, 8);
}

/**
 * A header's entry: name, type and body size; null for the end-of-archive
 * marker (GNU tar writes two zero blocks; one is enough to mark the end).
 */
function parseHeader(
  header: Buffer,
  maxEntryBytes: number,
): { name: string; type: TarEntry["type"]; size: number } | null {
  if (header.every((b) => b === 0)) return null;
  if (readOctal(header, 148, 8, "checksum") !== headerChecksum(header)) {
    throw new TarFormatError("a tar header checksum does not match: the archive is corrupt");
  }
  if (readString(header, 257, 6) !== "ustar") {
    throw new TarFormatError("not a ustar archive");
  }
  const prefix = readString(header, 345, 155);
  const name = (prefix ? prefix + "/" : "") + readString(header, 0, 100);
  const size = readOctal(header, 124, 12, "size");
  const typeFlag = String.fromCharCode(header[156]!);
  let type: TarEntry["type"];
  if (typeFlag === "0" || typeFlag === "\0") type = "file";
  else if (typeFlag === "5") type = "directory";
  else throw new TarFormatError(`entry ${name} is not a regular file (type ${typeFlag})`);
  if (size > maxEntryBytes) {
    throw new TarFormatError(
      `entry ${name} has ${size} bytes, more than the ${maxEntryBytes} (${describeBytes(maxEntryBytes)}) an entry may have`,
      "too_large",
    );
  }
  return { name, type, size };
}

export interface TarEntry {
  name: string;
  type: "file" | "directory";
  /** The whole body: entries are bounded by `maxEntryBytes`. */
  data: Buffer;
}

/**
 * Reads a tar stream entry by entry. Each body is held in memory, so a header
 * announcing more than `maxEntryBytes` is refused before anything is read.
 * A stream that ends without the end-of-archive marker is truncated.
 */
export async function* readTar(
  source: AsyncIterable<Buffer | Uint8Array | string>,
  maxEntryBytes: number,
): AsyncGenerator<TarEntry> {
  const reader = new ByteReader(source);
  try {
    for (;;) {
      const header = await reader.read(BLOCK);
      if (header.length < BLOCK) throw new TarFormatError("the archive is truncated", "truncated");
      const parsed = parseHeader(header, maxEntryBytes);
      if (!parsed) return;
      const { name, type, size } = parsed;
      const data = await reader.read(size);
      if (data.length < size) throw new TarFormatError("the archive is truncated", "truncated");
      const padding = (BLOCK - (size % BLOCK)) % BLOCK;
      if ((await reader.skip(padding)) < padding) {
        throw new TarFormatError("the archive is truncated", "truncated");
      }
      yield { name, type, data };
    }
  } finally {
    await reader.close();
  }
}

/** Where an entry's body lies in a tar file. */
export interface TarIndexEntry {
  name: string;
  type: TarEntry["type"];
  offset: number;
  size: number;
}

/**
 * Every entry of a tar file and where its body lies, read from the headers
 * alone (bodies are skipped, not read), with readTar's checks: a body that
 * runs past the end of the file is truncation.
 */
export async function indexTar(file: string, maxEntryBytes: number): Promise<TarIndexEntry[]> {
  const handle = await fs.promises.open(file, "r");
  try {
    const { size: fileSize } = await handle.stat();
    const entries: TarIndexEntry[] = [];
    const header = Buffer.alloc(BLOCK);
    for (let at = 0; ;) {
      const { bytesRead } = await handle.read(header, 0, BLOCK, at);
      if (bytesRead < BLOCK) throw new TarFormatError("the archive is truncated", "truncated");
      const parsed = parseHeader(header, maxEntryBytes);
      if (!parsed) return entries;
      const offset = at + BLOCK;
      at = offset + Math.ceil(parsed.size / BLOCK) * BLOCK;
      if (at > fileSize) throw new TarFormatError("the archive is truncated", "truncated");
      entries.push({ ...parsed, offset });
    }
  } finally {
    await handle.close();
  }
}
