import { execFile } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { PassThrough } from "node:stream";
import { promisify } from "node:util";
import { like } from "drizzle-orm";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { settings } from "@/db/schema";
import {
  createTestDatabase,
  describeEachEngine,
  testEngines,
  type TestDatabase,
} from "@/lib/testing/engines";
import { loadDumpArchive } from "../load/load";
import { codeMigrations } from "../migrations";
import { editManifest, entriesOf, tarOf, type Entry } from "../testing/archive-edit";
import { writeBombArchive, type BombArchive } from "../testing/bomb";
import {
  dataset,
  dumpToFile,
  expectTargetUntouched,
  insertDataset,
  loadCases,
  tempDir,
} from "../testing/fixtures";
import { verifyDumpArchive } from "../verify/verify";
import { writeDumpArchive } from "../write/write";
import { ArchiveRefusal } from "./errors";
import {
  MANIFEST_LIST_LIMITS,
  MAX_CHUNK_BYTES,
  MAX_DATA_FILE_BYTES,
  MAX_ENTRY_BYTES,
  MAX_MANIFEST_BYTES,
} from "./limits";

const MiB = 1 << 20;
const dir = tempDir();
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The refusal `promise` ends with, or null if it did not. */
const refusalOf = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (error: unknown) => {
      if (!(error instanceof ArchiveRefusal)) throw error;
      return error;
    },
  );

const perFileCap =
  /Data file data\/\d{3}-settings\.0\.tsv\.gz inflates to more than 16 MiB, the most a data file may hold/;
const ratioCap =
  /Data file data\/\d{3}-settings\.0\.tsv\.gz inflates to more than 200 times its stored .*, the most a data file may/;

describe("a decompression bomb", () => {
  let bomb: BombArchive;
  beforeAll(async () => {
    const source = await createTestDatabase(testEngines()[0]!);
    try {
      await dumpToFile(source, path.join(dir, "bomb-base.tar"));
    } finally {
      await source.drop();
    }
    bomb = await writeBombArchive(
      path.join(dir, "bomb-base.tar"),
      path.join(dir, "bomb.tar"),
      1 << 30,
    );
  }, 120_000);

  /** Reads the bomb in a process of its own (see refusal-child.ts) and prints its peak memory. */
  async function refuseInChild(...args: string[]) {
    const { stdout } = await promisify(execFile)(
      path.resolve("node_modules/.bin/tsx"),
      [path.resolve("lib/dump/testing/refusal-child.ts"), bomb.file, ...args],
      { timeout: 120_000 },
    );
    const result = JSON.parse(stdout.trim().split("\n").at(-1)!) as {
      code: string;
      message?: string;
      peakRssBytes: number;
    };
    console.log(
      `${args[0]}: a bomb of ${bomb.textBytes} bytes of text in ${bomb.compressedBytes} bytes of gzip: ${result.code} at a peak RSS of ${(result.peakRssBytes / MiB).toFixed(1)} MiB`,
    );
    return result;
  }

  it("of 1 GiB of one valid row, gzipped to under 2 MB and told truly by its manifest, is refused in bounded memory", async () => {
    expect(bomb.textBytes).toBeGreaterThan(1000 * MiB);
    expect(bomb.compressedBytes).toBeLessThan(2 * MiB);
    // Verify reads the manifest last: the inflating file itself is refused.
    const verified = await refuseInChild("verify");
    expect(verified.code).toBe("too_large");
    expect(verified.message).toMatch(perFileCap);
    expect(verified.peakRssBytes).toBeLessThan(300 * 1000 * 1000);
    // The store's restore reads the manifest first: its claim is refused.
    const restored = await refuseInChild("restore", path.join(dir, "bomb-target"));
    expect(restored.code).toBe("too_large");
    expect(restored.message).toMatch(perFileCap);
    expect(restored.peakRssBytes).toBeLessThan(300 * 1000 * 1000);
  }, 180_000);

  it("is refused as it inflates, before any manifest is read", async () => {
    // Without its manifest, only a limit checked while inflating can refuse it.
    const entries = (await entriesOf(bomb.file)).filter((e) => e.name !== "manifest.json");
    const file = path.join(dir, "bomb-without-manifest.tar");
    fs.writeFileSync(file, tarOf(entries));
    const refusal = await refusalOf(verifyDumpArchive(file));
    expect(refusal?.code).toBe("too_large");
    expect(refusal?.message).toMatch(perFileCap);
  });

  it("of a few MiB that inflate more than 200 times their size is refused for its ratio", async () => {
    const small = await writeBombArchive(
      path.join(dir, "bomb-base.tar"),
      path.join(dir, "ratio-bomb.tar"),
      4 * MiB,
    );
    expect(small.textBytes / small.compressedBytes).toBeGreaterThan(200);
    const refusal = await refusalOf(verifyDumpArchive(small.file));
    expect(refusal?.code).toBe("too_large");
    expect(refusal?.message).toMatch(ratioCap);
    const unlisted = (await entriesOf(small.file)).filter((e) => e.name !== "manifest.json");
    const file = path.join(dir, "ratio-bomb-without-manifest.tar");
    fs.writeFileSync(file, tarOf(unlisted));
    expect((await refusalOf(verifyDumpArchive(file)))?.message).toMatch(ratioCap);
  });
});

describe.each(loadCases())("archive limits [$engine, jobs $jobs]", ({ engine, jobs }) => {
  let source: TestDatabase;
  const good = path.join(dir, `good-${engine}-${jobs}.tar`);
  let entries: Entry[];
  beforeAll(async () => {
    source = await createTestDatabase(engine);
    await insertDataset(source, fc.sample(dataset, { numRuns: 1, seed: 42 })[0]!);
    await dumpToFile(source, good, { chunkBytes: 64, batchRows: 2 });
    entries = await entriesOf(good);
  });
  afterAll(async () => {
    await source.drop();
  });

  /** Loads `file` into an empty target, expects the refusal, and the target untouched. */
  async function expectLoadRefused(file: string, message: RegExp, maxTextBytes?: number) {
    const target = await createTestDatabase(engine, { migrate: false });
    try {
      const refusal = await refusalOf(loadDumpArchive(target, file, { jobs, maxTextBytes }));
      expect(refusal?.code).toBe("too_large");
      expect(refusal?.message).toMatch(message);
      await expectTargetUntouched(target);
    } finally {
      await target.drop();
    }
  }

  /** Both readers refuse `bytes`: verify, and a load (which leaves its target untouched). */
  async function expectRefused(name: string, bytes: Buffer, message: RegExp) {
    const file = path.join(dir, `${name}-${engine}-${jobs}.tar`);
    fs.writeFileSync(file, bytes);
    const refusal = await refusalOf(verifyDumpArchive(file));
    expect(refusal?.code).toBe("too_large");
    expect(refusal?.message).toMatch(message);
    await expectLoadRefused(file, message);
  }

  it("refuses a bomb whose manifest tells the truth, before its target is written to", async () => {
    const bomb = await writeBombArchive(
      good,
      path.join(dir, `bomb-${engine}-${jobs}.tar`),
      64 * MiB,
    );
    await expectLoadRefused(bomb.file, perFileCap);
  });

  it("refuses an entry larger than any the writer makes, before reading it", async () => {
    const settingsFile = entries.find((e) => /^data\/\d{3}-settings\.0\.tsv\.gz$/.test(e.name))!;
    const huge = {
      name: settingsFile.name.replace(".0.", ".99."),
      data: Buffer.alloc(MAX_ENTRY_BYTES + 1),
    };
    const at = entries.findIndex((e) => e.name === "restore.sql");
    await expectRefused(
      "huge-entry",
      tarOf([...entries.slice(0, at), huge, ...entries.slice(at)]),
      new RegExp(
        `The archive's entry ${huge.name.replace(/\./g, "\\.")} has ${MAX_ENTRY_BYTES + 1} bytes, more than the ${MAX_ENTRY_BYTES} \\(16\\.06 MiB\\) an entry may have`,
      ),
    );
  });

  it("refuses a manifest larger than the writer could make", async () => {
    const padded = editManifest(entries, (m) => {
      Object.assign(m, { padding: "x".repeat(MAX_MANIFEST_BYTES) });
    });
    await expectRefused(
      "huge-manifest",
      tarOf(padded),
      /manifest\.json has \d+ bytes, more than the 8 MiB a manifest may have/,
    );
  });

  it("refuses a manifest that lists more tables than a manifest may", async () => {
    const many = editManifest(entries, (m) => {
      const model = m.tables[0]!;
      for (let i = m.tables.length; i <= MANIFEST_LIST_LIMITS.tables; i++) {
        m.tables.push({ ...model, name: `extra_${i}`, order: 900 + (i % 99), files: [] });
      }
    });
    const file = path.join(dir, `many-tables-${engine}-${jobs}.tar`);
    fs.writeFileSync(file, tarOf(many));
    const message =
      /manifest\.json is malformed: tables: lists more than 1000 tables, the most a manifest may/;
    await expect(verifyDumpArchive(file)).rejects.toThrow(message);
    const target = await createTestDatabase(engine, { migrate: false });
    try {
      await expect(loadDumpArchive(target, file, { jobs })).rejects.toMatchObject({
        code: "malformed",
        message: expect.stringMatching(message) as unknown,
      });
    } finally {
      await target.drop();
    }
  });

  it("refuses an archive whose text, all files together, is more than the reader allows", async () => {
    const { manifest } = await verifyDumpArchive(good);
    const total = manifest.tables.reduce((n, t) => n + t.bytes, 0);
    const message =
      /The archive's data inflates to more than .*, the most that is restored from one archive/;
    // Counted as it inflates (verify reads the manifest last; here there is none) …
    const unlisted = path.join(dir, `no-manifest-${engine}-${jobs}.tar`);
    fs.writeFileSync(unlisted, tarOf(entries.filter((e) => e.name !== "manifest.json")));
    const refusal = await refusalOf(
      verifyDumpArchive(unlisted, codeMigrations(), { maxTextBytes: total - 1 }),
    );
    expect(refusal?.code).toBe("too_large");
    expect(refusal?.message).toMatch(message);
    // … and from the manifest's claims before a load writes anything.
    await expectLoadRefused(good, message, total - 1);
    // Exactly at the limit, it loads.
    const target = await createTestDatabase(engine, { migrate: false });
    try {
      await loadDumpArchive(target, good, { jobs, maxTextBytes: total });
    } finally {
      await target.drop();
    }
  });
});

describeEachEngine("the writer keeps to the limits", (database) => {
  const file = path.join(dir, `writer-${crypto.randomUUID()}.tar`);

  it("takes no chunk size above the largest", async () => {
    const out = new PassThrough();
    await expect(
      writeDumpArchive(database(), out, { chunkBytes: MAX_CHUNK_BYTES + 1 }),
    ).rejects.toThrow(`chunkBytes must be between 1 and ${MAX_CHUNK_BYTES}.`);
  });

  it("stores a file that would inflate more than 200 times uncompressed, and it passes", async () => {
    await database()
      .db.insert(settings)
      .values({ key: "zz-repetitive", value: "a".repeat(2 * MiB) });
    const { manifest } = await dumpToFile(database(), file);
    const stored = manifest.tables.find((t) => t.name === "settings")!.files[0]!;
    expect(stored.compressedBytes).toBeGreaterThan(stored.bytes);
    await verifyDumpArchive(file);
  });

  it("makes files up to the largest a reader takes, which pass, and no larger", async () => {
    const handle = database();
    await handle.db.delete(settings).where(like(settings.key, "zz-%"));
    // Barely compressible rows that fill a chunk, all but a little, then one
    // row as long as a file then has room for: the writer's largest file.
    const filler = crypto.randomBytes(MiB).toString("base64").slice(0, MiB);
    const fillers = Math.floor((MAX_CHUNK_BYTES - 64 * 1024) / MiB);
    for (let i = 0; i < fillers; i++) {
      await handle.db.insert(settings).values({ key: `zz-x-filler-${i}`, value: filler });
    }
    const room = MAX_DATA_FILE_BYTES - fillers * (MiB + 64) - 64 * 1024;
    await handle.db
      .insert(settings)
      .values({ key: "zz-y-long", value: filler.repeat(16).slice(0, room) });
    const { manifest } = await dumpToFile(handle, file);
    const largest = Math.max(...manifest.tables.flatMap((t) => t.files.map((f) => f.bytes)));
    expect(largest).toBeGreaterThan(MAX_DATA_FILE_BYTES - 256 * 1024);
    expect(largest).toBeLessThanOrEqual(MAX_DATA_FILE_BYTES);
    await verifyDumpArchive(file);

    await handle.db.insert(settings).values({ key: "zz-z-longer", value: filler.repeat(17) });
    // The failed dump breaks its stream, which then reports the error too.
    const out = fs.createWriteStream(path.join(dir, "too-long.tar")).on("error", () => {});
    await expect(writeDumpArchive(handle, out)).rejects.toThrow(
      /Table settings has a row of more than 16 MiB of text, the most a data file of an archive may hold/,
    );
  }, 120_000);
});
