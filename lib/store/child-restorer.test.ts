import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { AppError } from "@/lib/errors";
import { defaultArchiveLimits } from "@/lib/dump/format/limits";
import { adminUrl, describeEachEngine } from "@/lib/testing/engines";
import { pgliteBlankCluster } from "@/lib/testing/templates";
import { childProcessRestorer } from "./child-restorer";
import { pgliteTargets, postgresTargets, type RestoreTargets } from "./targets";
import {
  makeRealArchive,
  tamperWithDataFile,
  targetDigests,
  type RealArchive,
} from "./testing/real-archive";

const MiB = 1024 * 1024;
let counter = 0;
/** A fresh id in the store's format (24 hex digits): it names the target. */
const nextId = () =>
  `${process.pid.toString(16).padStart(8, "0")}${Date.now().toString(16)}${(counter++).toString(16)}`
    .padEnd(24, "0")
    .slice(0, 24);

/** How a restore ended: its tables, or the error it threw. */
async function outcome<T>(run: Promise<T>): Promise<T | Error> {
  return run.catch((error: unknown) => error as Error);
}

describeEachEngine("the store's restore in a process of its own", (_database, engine) => {
  let tmp: string;
  let archive: RealArchive;
  let targets: RestoreTargets;
  const made: string[] = [];
  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "liftoff-child-restore-"));
    archive = await makeRealArchive(engine, path.join(tmp, "source.tar"), { scale: 0.05 });
    targets =
      engine === "postgres"
        ? postgresTargets(adminUrl())
        : pgliteTargets(path.join(tmp, "cloud"), { blank: pgliteBlankCluster() });
  });
  afterAll(async () => {
    for (const id of made) await targets.drop(targets.locate(id));
    fs.rmSync(tmp, { recursive: true, force: true });
  });
  const newTarget = () => {
    const id = nextId();
    made.push(id);
    return targets.create(id);
  };
  const keys = {
    get dir() {
      return path.join(tmp, "store-keys");
    },
  };
  const restorer = (memoryBytes = 1024 * MiB) =>
    childProcessRestorer(keys, { memoryBytes, sampleMs: 20 });

  it("restores row for row, as the in-process loader does", { timeout: 120_000 }, async () => {
    const target = await newTarget();
    const { tables } = await restorer()(archive.file, target, defaultArchiveLimits);
    expect(tables).toEqual(archive.counts);
    expect(await targetDigests(target)).toEqual(archive.digests);
  });

  it(
    "refuses a damaged archive in the loader's own public words",
    { timeout: 120_000 },
    async () => {
      const tampered = await tamperWithDataFile(archive.file, path.join(tmp, "tampered.tar"));
      const refusal = await outcome(
        restorer()(tampered.file, await newTarget(), defaultArchiveLimits),
      );
      // What the in-process restore says too (store-restore.test.ts), not a crash report.
      expect(refusal).toBeInstanceOf(AppError);
      expect((refusal as Error).message).toContain(tampered.entry);
      expect((refusal as Error).message).toMatch(
        /^Data file .* (is damaged|does not match its checksum)/,
      );
    },
  );

  it(
    "stops a restore that goes over its memory cap, with a public reason",
    { timeout: 120_000 },
    async () => {
      // Far below what a Node process with the loader needs: the watchdog fires.
      const refusal = await outcome(
        restorer(24 * MiB)(archive.file, await newTarget(), defaultArchiveLimits),
      );
      expect(refusal).toBeInstanceOf(AppError);
      expect((refusal as Error).message).toBe(
        "The restore used more than its memory cap of 24 MiB (LIFTOFF_STORE_RESTORE_MEMORY_MB) and was stopped.",
      );
    },
  );
});
