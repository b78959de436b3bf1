/**
 * npm run bench:migrate -- [--scale 100] [--engine postgres|pglite] [--writes 50] [--copy-of DB]
 * The whole trip on this machine: seeds a fresh instance database at the given
 * scale, starts a real store (routes over HTTP, a local s3rver, restore into a
 * new database), runs "Migrate to Cloud" to done with a steady background
 * write load (`--writes` a second, across tables, on a connection of its own)
 * and prints the total time, the base phase, each delta, the read-only window
 * and each phase's share. First, the cost of change capture to an
 * insert-heavy workload: single-row inserts with and without capture,
 * alternated in the same run, as a ratio. Not part of the tests.
 * `--copy-of DB` (PostgreSQL): copy a database seeded before (`npm run seed`
 * with DATABASE_URL) instead of seeding one: scale 1000 seeds for minutes.
 */
import os from "node:os";
import { parseArgs } from "node:util";
import { sql } from "drizzle-orm";
import postgres from "postgres";
import type { DatabaseHandle } from "@/db/client";
import { installCapture, removeCapture } from "@/lib/migration/capture";
import type { DeltaReport } from "@/lib/migration/context";
import type { Engine } from "@/db/client";
import type { Actor } from "@/lib/auth";
import { startMigration } from "@/lib/migration/control";
import { startMigrationRig, watchMigration } from "@/lib/migration/testing/rig";
import { seedDatabase } from "@/lib/seed";
import { measureTables } from "@/lib/seed/table-sizes";
import { createTestDatabase } from "@/lib/testing/databases";
import { insertUser } from "@/lib/testing/fixtures";

const { values } = parseArgs({
  options: {
    scale: { type: "string", default: "100" },
    engine: { type: "string", default: "postgres" },
    writes: { type: "string", default: "50" },
    "copy-of": { type: "string" },
  },
});
const writesPerSecond = Number(values.writes);
const scale = Number(values.scale);
const engine = values.engine as Engine;
const copyOf = values["copy-of"];
if (!(scale > 0) || !["postgres", "pglite"].includes(engine) || (copyOf && engine !== "postgres")) {
  console.error(
    "Usage: npm run bench:migrate -- [--scale N] [--engine postgres|pglite] [--writes N] [--copy-of DB (postgres)]",
  );
  process.exit(2);
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
console.log(
  `machine: ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`,
);
const database = await createTestDatabase(engine, { copyOf });
try {
  const seeding = Date.now();
  if (!copyOf) await seedDatabase(database.db, { scale, seed: 1, secretKey: null });
  const bytes = (await measureTables(database.db)).reduce((sum, t) => sum + t.bytes, 0);
  console.log(
    copyOf
      ? `copied ${copyOf} on ${engine}: ${(bytes / 2 ** 20).toFixed(1)} MB of tables in ${seconds(Date.now() - seeding)}`
      : `seeded scale ${scale} on ${engine}: ${(bytes / 2 ** 20).toFixed(1)} MB of tables in ${seconds(Date.now() - seeding)}`,
  );
  await measureCaptureOverhead(database);
  const admin: Actor = await insertUser(database.db, { role: "admin" });
  const rig = await startMigrationRig(database, engine);
  const deltas: DeltaReport[] = [];
  rig.context.onDelta = (d) => deltas.push(d);
  const load = startWriteLoad(database, writesPerSecond);
  try {
    const started = Date.now();
    const id = await startMigration(rig.context, admin, { afterDone: "writable" });
    // When each phase was first seen (the rig polls the row every 10 ms).
    const firstSeen = new Map<string, number>();
    const row = await watchMigration(
      rig,
      id,
      (r) => {
        if (!firstSeen.has(r.state)) firstSeen.set(r.state, Date.now());
        return ["done", "error", "cancelled"].includes(r.state);
      },
      [],
      60 * 60_000,
    );
    const total = Date.now() - started;
    const written = await load.stop();
    if (row.state !== "done") throw new Error(`migration ended ${row.state}: ${row.error ?? ""}`);
    const window = row.readOnlyUntil!.getTime() - row.readOnlyFrom!.getTime();
    const phases = ["init", "setup", "dump", "upload", "sync", "done"];
    const durations = phases.slice(0, -1).map((phase, i) => {
      const from = firstSeen.get(phase) ?? started;
      const to = firstSeen.get(phases[i + 1]!) ?? from;
      return `${phase} ${seconds(to - from)}`;
    });
    console.log(`archive: ${((row.archiveBytes ?? 0) / 2 ** 20).toFixed(1)} MB`);
    const baseMs = (firstSeen.get("sync") ?? started) - started;
    console.log(
      `background load: ${written.acknowledged} writes acknowledged (${(written.acknowledged / (total / 1000)).toFixed(1)}/s), ${written.refused} refused while read-only, ${written.failed} failed otherwise${written.firstFailure ? ` (first: ${written.firstFailure.slice(0, 200)})` : ""}`,
    );
    for (const d of deltas) {
      console.log(
        `delta ${d.round}${d.final ? " (final, read-only)" : " (writable)"}: ${d.rows} rows, ${d.keys} keys, ${(d.bytes / 1024).toFixed(1)} KiB, ${seconds(d.ms)} (written in ${seconds(d.writeMs)}, then sent and applied)`,
      );
    }
    console.log(
      `total: ${seconds(total)}; base phase (writable): ${seconds(baseMs)}; read-only window: ${seconds(window)}; delta rows: ${deltas.reduce((n, d) => n + d.rows, 0)}`,
    );
    console.log(`phases: ${durations.join(", ")} (upload includes the store's verify and restore)`);
  } finally {
    await load.stop();
    await rig.close();
  }
} finally {
  await database.drop();
}

/**
 * Writes at a steady rate, round robin over copied tables (a card added, a
 * card renamed, a dashboard added, a collection renamed), on a connection of
 * its own on PostgreSQL. Refusals while read-only are counted, not retried.
 */
function startWriteLoad(handle: DatabaseHandle, perSecond: number) {
  const own = handle.engine === "postgres" && handle.url ? postgres(handle.url, { max: 2 }) : null;
  const run = async (text: string) => {
    if (own) await own.unsafe(text);
    else await handle.db.execute(sql.raw(text));
  };
  const statements = [
    `insert into cards (name, query) values ('bench ' || now(), '{}')`,
    `update cards set name = name || '.' where id = (select max(id) from cards)`,
    `insert into dashboards (name) values ('bench ' || now())`,
    `update collections set description = now()::text where id = (select min(id) from collections)`,
  ];
  const counts = { acknowledged: 0, refused: 0, failed: 0, firstFailure: "" };
  let stopped = false;
  let n = 0;
  const loop = (async () => {
    const interval = 1000 / Math.max(1, perSecond);
    let next = Date.now();
    while (!stopped && perSecond > 0) {
      try {
        await run(statements[n++ % statements.length]!);
        counts.acknowledged++;
      } catch (error) {
        const code = (error as { code?: string; cause?: { code?: string } }).code;
        const cause = (error as { cause?: { code?: string } }).cause?.code;
        if (code === "25006" || cause === "25006") counts.refused++;
        else if (counts.failed++ === 0) counts.firstFailure = String(error);
      }
      next += interval;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - Date.now())));
    }
  })();
  let ended: Promise<typeof counts> | null = null;
  return {
    stop() {
      stopped = true;
      ended ??= loop.then(async () => {
        await own?.end({ timeout: 1 });
        return counts;
      });
      return ended;
    },
  };
}

/**
 * Single-row inserts a second, with and without capture, alternated: the
 * ratio is capture's cost to an insert-heavy workload. On PostgreSQL on a
 * connection of its own with synchronous_commit off, so that the figure is
 * the triggers' work, not the disk's flushes.
 */
async function measureCaptureOverhead(handle: DatabaseHandle): Promise<void> {
  const rows = 5000;
  const own = handle.engine === "postgres" && handle.url ? postgres(handle.url, { max: 1 }) : null;
  await own?.unsafe("set synchronous_commit = off");
  const insert = async (i: number) => {
    const text = `insert into cards (name, query) values ('overhead ${i}', '{}')`;
    if (own) await own.unsafe(text);
    else await handle.db.execute(sql.raw(text));
  };
  const insertRate = async () => {
    const began = process.hrtime.bigint();
    for (let i = 0; i < rows; i++) await insert(i);
    const rate = rows / (Number(process.hrtime.bigint() - began) / 1e9);
    await handle.db.execute(sql`delete from cards where name like 'overhead %'`);
    return rate;
  };
  const plain: number[] = [];
  const captured: number[] = [];
  await insertRate(); // warm-up
  for (let round = 0; round < 5; round++) {
    plain.push(await insertRate());
    await installCapture(handle.db);
    captured.push(await insertRate());
    await removeCapture(handle.db);
  }
  await own?.end({ timeout: 1 });
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[2]!;
  const ratio = median(captured) / median(plain);
  console.log(
    `capture overhead (single-row inserts, median of 5 alternated runs of ${rows}): ${median(plain).toFixed(0)}/s without, ${median(captured).toFixed(0)}/s with: ${((1 - ratio) * 100).toFixed(1)} % fewer (ratio ${ratio.toFixed(3)})`,
  );
}
