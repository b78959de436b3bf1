/**
 * npm run bench:migrate -- [--scale 100] [--engine postgres|pglite]
 * The whole trip on this machine: seeds a fresh instance database at the given
 * scale, starts a real store (routes over HTTP, a local s3rver, restore into a
 * new database), runs "Migrate to Cloud" to done and prints the total time,
 * the read-only window and each phase's share. Not part of the tests.
 */
import os from "node:os";
import { parseArgs } from "node:util";
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
  },
});
const scale = Number(values.scale);
const engine = values.engine as Engine;
if (!(scale > 0) || !["postgres", "pglite"].includes(engine)) {
  console.error("Usage: npm run bench:migrate -- [--scale N] [--engine postgres|pglite]");
  process.exit(2);
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
console.log(
  `machine: ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`,
);
const database = await createTestDatabase(engine);
try {
  const seeding = Date.now();
  await seedDatabase(database.db, { scale, seed: 1, secretKey: null });
  const bytes = (await measureTables(database.db)).reduce((sum, t) => sum + t.bytes, 0);
  console.log(
    `seeded scale ${scale} on ${engine}: ${(bytes / 2 ** 20).toFixed(1)} MB of tables in ${seconds(Date.now() - seeding)}`,
  );
  const admin: Actor = await insertUser(database.db, { role: "admin" });
  const rig = await startMigrationRig(database, engine);
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
    if (row.state !== "done") throw new Error(`migration ended ${row.state}: ${row.error ?? ""}`);
    const window = row.readOnlyUntil!.getTime() - row.readOnlyFrom!.getTime();
    const phases = ["init", "setup", "dump", "upload", "done"];
    const durations = phases.slice(0, -1).map((phase, i) => {
      const from = firstSeen.get(phase) ?? started;
      const to = firstSeen.get(phases[i + 1]!) ?? from;
      return `${phase} ${seconds(to - from)}`;
    });
    console.log(`archive: ${((row.archiveBytes ?? 0) / 2 ** 20).toFixed(1)} MB`);
    console.log(`total: ${seconds(total)}; read-only window: ${seconds(window)}`);
    console.log(`phases: ${durations.join(", ")} (upload includes the store's verify and restore)`);
  } finally {
    await rig.close();
  }
} finally {
  await database.drop();
}
