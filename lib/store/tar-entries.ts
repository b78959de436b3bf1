import fs from "node:fs/promises";

export interface TarEntry {
  name: string;
  /** Byte offset of the entry's data in the file. */
  offset: number;
  size: number;
}

function field(header: Buffer, start: number, length: number): string {
  const raw = header.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end === -1 ? length : end).toString("utf8");
}

/**
 * Lists a tar file's regular entries by reading only the 512-byte headers,
 * so an archive of any size costs one small buffer.
 */
export async function listTarEntries(file: string): Promise<TarEntry[]> {
  const handle = await fs.open(file, "r");
  try {
    const { size: fileSize } = await handle.stat();
    const entries: TarEntry[] = [];
    const header = Buffer.alloc(512);
    let position = 0;
    while (position + 512 <= fileSize) {
      await handle.read(header, 0, 512, position);
      if (header.every((byte) => byte === 0)) break; // end-of-archive marker
      const name = field(header, 0, 100);
      const prefix = field(header, 345, 155);
      const size = parseInt(field(header, 124, 12).trim() || "0", 8);
      if (!Number.isFinite(size) || size < 0)
        throw new Error(`Malformed tar header at ${position}`);
      const type = field(header, 156, 1) || "0";
      if (type === "0") {
        entries.push({ name: prefix ? `${prefix}/${name}` : name, offset: position + 512, size });
      }
      position += 512 + Math.ceil(size / 512) * 512;
    }
    return entries;
  } finally {
    await handle.close();
  }
}
