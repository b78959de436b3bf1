import fs from "node:fs";
import type { DumpManifest } from "../format/manifest";
import { readTar, TAR_END, tarHeader, tarPadding } from "../format/tar";

/** Tests rewrite archives entry by entry: tampering, older schemas. */
export type Entry = { name: string; data: Buffer };

export async function entriesOf(file: string): Promise<Entry[]> {
  const entries: Entry[] = [];
  for await (const e of readTar(fs.createReadStream(file), 1 << 30)) entries.push(e);
  return entries;
}

export function tarOf(entries: Entry[], mtime = new Date()): Buffer {
  return Buffer.concat([
    ...entries.flatMap((e) => [
      tarHeader(e.name, e.data.length, mtime),
      e.data,
      tarPadding(e.data.length),
    ]),
    TAR_END,
  ]);
}

export function manifestOf(entries: Entry[]): DumpManifest {
  return JSON.parse(
    entries.find((e) => e.name === "manifest.json")!.data.toString(),
  ) as DumpManifest;
}

export function editManifest(entries: Entry[], edit: (m: DumpManifest) => void): Entry[] {
  return entries.map((e) => {
    if (e.name !== "manifest.json") return e;
    const manifest = JSON.parse(e.data.toString()) as DumpManifest;
    edit(manifest);
    return { name: e.name, data: Buffer.from(JSON.stringify(manifest)) };
  });
}
