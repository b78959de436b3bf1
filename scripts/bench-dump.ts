/**
 * npm run bench:dump -- [--rows N] [--admin-url postgres://...]
 * Dump and load times of lib/dump against pg_dump -Fd -j2 / pg_restore -j2 at
 * the same gzip level, in the same run, on generated rows; and peak RSS.
 * Each side runs in its own process so its peak RSS is its own
 * (GNU time's %M for every process).
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import postgres from "postgres";
import { migrateDatabase, openDatabase } from "@/db/client";
import { loadDumpArchive } from "@/lib/dump/load";
import { writeDumpArchive } from "@/lib/dump/write";

const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "1000000" },
    "admin-url": { type: "string", default: "postgres://postgres@127.0.0.1:5432/postgres" },
    child: { type: "string" },
    url: { type: "string" },
    file: { type: "string" },
  },
});
const LEVEL = 6;

if (values.child) {
  // Child mode: one dump or one load, timed inside the process.
  const handle = await openDatabase({ databaseUrl: values.url!, maxConnections: 3 });
  const started = performance.now();
  if (values.child === "dump") {
    await writeDumpArchive(handle, fs.createWriteStream(values.file!), {
      parallel: 2,
      compressionLevel: LEVEL,
    });
  } else {
    await loadDumpArchive(handle, values.file!);
  }
  const ms = performance.now() - started;
  await handle.close();
  console.log(JSON.stringify({ ms }));
  process.exit(0);
}

const rows = Number(values.rows);
const admin = postgres(values["admin-url"], { max: 1, onnotice: () => {} });
const dbUrl = (name: string) => {
  const url = new URL(values["admin-url"]);
  url.pathname = "/" + name;
  return url.toString();
};
const names = {
  source: "liftoff_bench_src",
  ours: "liftoff_bench_ours",
  theirs: "liftoff_bench_pg",
};
for (const name of Object.values(names))
  await admin.unsafe(`drop database if exists ${name} with (force)`);
await admin.unsafe(`create database ${names.source}`);

console.log(`Generating ${rows.toLocaleString()} rows…`);
const source = await openDatabase({ databaseUrl: dbUrl(names.source), maxConnections: 2 });
await migrateDatabase(source);
const sql = source.raw as postgres.Sql;
await sql.unsafe(
  `insert into users (email, name, password_hash) select 'user' || g || '@example.com', 'User ' || g, md5(g::text) from generate_series(1, 1000) g`,
);
await sql.unsafe(`insert into audit_log (actor_id, action, target_type, target_id, details, created_at)
  select 1 + g % 1000, 'card.update', 'card', g::text, jsonb_build_object('field', 'name', 'note', 'tab\there, back\\slash', 'n', g), now() - g * interval '1 second'
  from generate_series(1, ${Math.ceil(rows * 0.6)}) g`);
await sql.unsafe(`insert into view_log (user_id, model, model_id, duration_ms, viewed_at)
  select 1 + g % 1000, 'card', g % 5000, (g % 100000) / 7.0, now() - g * interval '1 second'
  from generate_series(1, ${Math.floor(rows * 0.4) - 1000}) g`);
await sql.unsafe("vacuum analyze");
await source.close();

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "liftoff-bench-"));
const archive = path.join(dir, "ours.tar");
const pgDir = path.join(dir, "pg_dump");

/** Runs a command under GNU time: wall seconds and peak RSS in MB. */
function timed(
  command: string,
  args: string[],
): { seconds: number; rssMb: number; stdout: string } {
  const result = spawnSync("/usr/bin/time", ["-f", "%e %M", command, ...args], {
    encoding: "utf8",
  });
  if (result.status !== 0) throw new Error(`${command} failed: ${result.stderr}`);
  const [seconds, kb] = result.stderr.trim().split("\n").at(-1)!.split(" ").map(Number);
  return { seconds: seconds!, rssMb: kb! / 1024, stdout: result.stdout };
}
const self = [
  path.join(import.meta.dirname, "..", "node_modules", ".bin", "tsx"),
  import.meta.filename,
];

const ourDump = timed(self[0]!, [
  self[1]!,
  "--child",
  "dump",
  "--url",
  dbUrl(names.source),
  "--file",
  archive,
]);
const theirDump = timed("pg_dump", ["-Fd", "-j2", `-Z${LEVEL}`, "-f", pgDir, dbUrl(names.source)]);
await admin.unsafe(`create database ${names.ours}`);
await admin.unsafe(`create database ${names.theirs}`);
const ourLoad = timed(self[0]!, [
  self[1]!,
  "--child",
  "load",
  "--url",
  dbUrl(names.ours),
  "--file",
  archive,
]);
const theirLoad = timed("pg_restore", ["-j2", "-d", dbUrl(names.theirs), pgDir]);

const size = (p: string): number =>
  fs.statSync(p).isDirectory()
    ? fs.readdirSync(p).reduce((n, f) => n + size(path.join(p, f)), 0)
    : fs.statSync(p).size;
const row = (
  label: string,
  ours: { seconds: number; rssMb: number },
  theirs: { seconds: number; rssMb: number },
) =>
  console.log(
    `${label.padEnd(6)} ours ${ours.seconds.toFixed(2)} s (peak RSS ${ours.rssMb.toFixed(0)} MB)  pg ${theirs.seconds.toFixed(2)} s (peak RSS ${theirs.rssMb.toFixed(0)} MB)  ratio ${(ours.seconds / theirs.seconds).toFixed(2)}`,
  );
console.log(`rows: ${rows.toLocaleString()}, gzip level ${LEVEL}, 2 workers each`);
row("dump", ourDump, theirDump);
row("load", ourLoad, theirLoad);
console.log(
  `size   ours ${(size(archive) / 1e6).toFixed(1)} MB  pg_dump ${(size(pgDir) / 1e6).toFixed(1)} MB`,
);
const inProcess = (r: { stdout: string }) =>
  ((JSON.parse(r.stdout.trim().split("\n").at(-1)!) as { ms: number }).ms / 1000).toFixed(2);
console.log(
  `ours in-process (without Node/tsx start-up): dump ${inProcess(ourDump)} s, load ${inProcess(ourLoad)} s (load includes its verification pass)`,
);

for (const name of Object.values(names))
  await admin.unsafe(`drop database if exists ${name} with (force)`);
await admin.end();
fs.rmSync(dir, { recursive: true, force: true });
