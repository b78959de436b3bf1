import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import postgres from "postgres";
import { openDatabase, type DatabaseHandle, type Engine } from "@/db/client";
import { settings } from "@/db/schema";
import { TAR_END, readTar, tarHeader, tarPadding } from "@/lib/dump/format/tar";
import type { DumpManifest } from "@/lib/dump/format/manifest";
import type { SecretOptions } from "@/lib/dump/secrets";
import { serverDigests } from "@/lib/dump/testing/fixtures";
import { writeDumpArchive } from "@/lib/dump/write/write";
import { seedDatabase } from "@/lib/seed";
import { createTestDatabase } from "@/lib/testing/databases";
import type { RestoreTarget } from "../targets";

const MiB = 1024 * 1024;

export interface RealArchive {
  file: string;
  size: number;
  sha256: string;
  manifest: DumpManifest;
  /** `serverDigests` of the source database at the time of the dump. */
  digests: Record<string, string>;
  /** Rows per table as the manifest declares them: what the store must report. */
  counts: Record<string, number>;
}

/**
 * A real dump archive: a fresh database on `engine`, seeded by the generator,
 * dumped by `writeDumpArchive`, then dropped. `ballastMiB` adds settings rows
 * of random text (barely compressible) so the archive is big enough for a
 * multipart upload of several parts while the seed stays small.
 */
export async function makeRealArchive(
  engine: Engine,
  file: string,
  options: { scale?: number; seed?: number; ballastMiB?: number; secrets?: SecretOptions } = {},
): Promise<RealArchive> {
  const source = await createTestDatabase(engine);
  try {
    await seedDatabase(source.db, {
      scale: options.scale ?? 0.05,
      seed: options.seed ?? 7,
      secretKey: null,
    });
    const ballast = Math.ceil(((options.ballastMiB ?? 0) * MiB) / (4 * MiB));
    for (let i = 0; i < ballast; i++) {
      // 3 MiB of random bytes as base64: 4 MiB of text, about 3 MiB gzipped.
      const value = randomBytes(3 * MiB).toString("base64");
      await source.db.insert(settings).values({ key: `test.ballast.${i}`, value });
    }
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const result = await writeDumpArchive(source, fs.createWriteStream(file), {
      compressionLevel: 1,
      secrets: options.secrets,
    });
    return {
      file,
      size: result.bytes,
      sha256: result.sha256,
      manifest: result.manifest,
      digests: await serverDigests(source),
      counts: Object.fromEntries(result.manifest.tables.map((t) => [t.name, t.rows])),
    };
  } finally {
    await source.drop();
  }
}

export function openTarget(target: RestoreTarget): Promise<DatabaseHandle> {
  return openDatabase(
    target.engine === "postgres"
      ? { databaseUrl: target.url, maxConnections: 2 }
      : { pgliteDir: target.dir },
  );
}

/** `serverDigests` of what the store restored into `target`. */
export async function targetDigests(target: RestoreTarget): Promise<Record<string, string>> {
  const handle = await openTarget(target);
  try {
    return await serverDigests(handle);
  } finally {
    await handle.close();
  }
}

/** Whether the target database (PostgreSQL) or folder (PGlite) still exists. */
export async function targetExists(target: RestoreTarget, adminUrl: string): Promise<boolean> {
  if (target.engine === "pglite") return fs.existsSync(target.dir);
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql`select 1 from pg_database where datname = ${target.database}`;
    return rows.length > 0;
  } finally {
    await sql.end();
  }
}

/**
 * A copy of `archive` with one byte flipped in the middle of its first data
 * file that has one, and the copy's own SHA-256: the store's check of the
 * declared SHA-256 passes, only the dump's per-file checksums can catch it.
 */
export async function tamperWithDataFile(
  archive: string,
  out: string,
): Promise<{ file: string; size: number; sha256: string; entry: string }> {
  const entries: { name: string; data: Buffer }[] = [];
  for await (const e of readTar(fs.createReadStream(archive), 1 << 30)) {
    if (e.type !== "file") throw new Error(`unexpected ${e.type} entry ${e.name}`);
    entries.push(e);
  }
  const victim = entries.find((e) => e.name.startsWith("data/") && e.data.length > 64);
  if (!victim) throw new Error("the archive has no data file to tamper with");
  const data = Buffer.from(victim.data);
  const at = Math.floor(data.length / 2);
  data[at] = data[at]! ^ 0x01;
  victim.data = data;
  const mtime = new Date();
  const bytes = Buffer.concat([
    ...entries.flatMap((e) => [
      tarHeader(e.name, e.data.length, mtime),
      e.data,
      tarPadding(e.data.length),
    ]),
    TAR_END,
  ]);
  fs.writeFileSync(out, bytes);
  return {
    file: out,
    size: bytes.length,
    sha256: createHash("sha256").update(bytes).digest("hex"),
    entry: victim.name,
  };
}
