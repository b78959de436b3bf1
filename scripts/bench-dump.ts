/**
 * npm run bench:dump -- [--scale N | --source-url postgres://...] [--runs R] [--admin-url postgres://...]
 *
 * Dump and load times of lib/dump against pg_dump / pg_restore at the same
 * gzip level, on the generator's data (`npm run seed`; scale 1000 ≈ 1 GB),
 * in the same run, as ratios:
 *   dump                 ours (2 connections)  vs  pg_dump -Fd -j2
 *   load, one transaction ours                  vs  pg_restore --single-transaction
 *   load, 2 connections  ours --jobs 2          vs  pg_restore -j2
 * Each side is its command as a user runs it (ours: `npm run dump` / `npm run
 * load`, less npm's own start), in its own process, so its peak RSS is its
 * own (GNU time's %M), and so is its CPU time (user and system, all its
 * threads and child processes): a figure the machine's noise moves much less
 * than wall time. The runs alternate ours and theirs, so noise on the machine
 * falls on both, and each command starts after a CHECKPOINT, so that none
 * pays for writing out the buffers the one before it dirtied. The ratio of
 * each run and the medians are printed.
 * --source-url uses an already seeded database (left as it is) instead of
 * seeding a new one.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import postgres from "postgres";

const { values } = parseArgs({
  options: {
    scale: { type: "string", default: "1000" },
    "source-url": { type: "string" },
    runs: { type: "string", default: "2" },
    "admin-url": { type: "string", default: "postgres://postgres@127.0.0.1:5432/postgres" },
  },
});
/** gzip level: the dump command's default, as gzip's and pg_dump's. */
const LEVEL = 6;

const admin = postgres(values["admin-url"], { max: 1, onnotice: () => {} });
const dbUrl = (name: string) => {
  const url = new URL(values["admin-url"]);
  url.pathname = "/" + name;
  return url.toString();
};
const targets = ["liftoff_bench_ours", "liftoff_bench_pg"];
const dropTargets = async () => {
  for (const name of targets) await admin.unsafe(`drop database if exists ${name} with (force)`);
};
const freshTargets = async () => {
  await dropTargets();
  for (const name of targets) await admin.unsafe(`create database ${name}`);
};
const tsx = path.join(import.meta.dirname, "..", "node_modules", ".bin", "tsx");
const runner = path.join(import.meta.dirname, "run.mjs");

let sourceUrl = values["source-url"];
const seeded = !sourceUrl;
if (!sourceUrl) {
  const name = "liftoff_bench_src";
  await admin.unsafe(`drop database if exists ${name} with (force)`);
  await admin.unsafe(`create database ${name}`);
  sourceUrl = dbUrl(name);
  console.log(`Seeding the generator's data at scale ${values.scale}…`);
  const seed = spawnSync(
    tsx,
    [path.join(import.meta.dirname, "seed.ts"), "--scale", values.scale],
    {
      env: { ...process.env, DATABASE_URL: sourceUrl, LIFTOFF_LOG_LEVEL: "silent" },
      stdio: ["ignore", "ignore", "inherit"],
    },
  );
  if (seed.status !== 0) throw new Error("seeding failed");
}
const source = postgres(sourceUrl, { max: 1, onnotice: () => {} });
await source.unsafe("vacuum analyze");
const [sized] = await source<{ size: string }[]>`
  select pg_size_pretty(pg_database_size(current_database())) as size`;
const size = sized!.size;
await source.end();

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "liftoff-bench-"));
const archive = path.join(dir, "ours.tar");
const pgDir = path.join(dir, "pg_dump");

interface Timed {
  seconds: number;
  cpuSeconds: number;
  rssMb: number;
}
/**
 * Runs a command under GNU time, after a checkpoint and a `sync` (the files a
 * dump just wrote, or a dropped database's, would otherwise be flushed during
 * the next command): wall seconds, CPU seconds and peak RSS in MB.
 */
async function timed(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<Timed> {
  await admin.unsafe("checkpoint");
  spawnSync("sync");
  const result = spawnSync("/usr/bin/time", ["-f", "%e %U %S %M", command, ...args], {
    encoding: "utf8",
    env,
  });
  if (result.status !== 0) throw new Error(`${command} failed: ${result.stderr}`);
  const [seconds, user, system, kb] = result.stderr
    .trim()
    .split("\n")
    .at(-1)!
    .split(" ")
    .map(Number);
  return { seconds: seconds!, cpuSeconds: user! + system!, rssMb: kb! / 1024 };
}
/** `npm run <script> -- args` without npm: what package.json runs. */
const ours = (script: string, args: string[], env: Record<string, string> = {}) =>
  timed("node", [runner, path.join(import.meta.dirname, `${script}.ts`), ...args], {
    ...process.env,
    LIFTOFF_LOG_LEVEL: "silent",
    ...env,
  });
// The first start compiles the commands (scripts/run.mjs); no run pays for that.
for (const script of ["dump", "load"]) await ours(script, ["--help"]);

const rows: Record<string, { ours: Timed; theirs: Timed }[]> = {
  "dump (2 connections)": [],
  "load, one transaction": [],
  "load, 2 connections": [],
};
const runs = Number(values.runs);
/**
 * Times both sides of one comparison, ours first on even runs and theirs
 * first on odd ones: whichever goes first after the targets are made (and the
 * last ones dropped) would otherwise always pay for it.
 */
async function pair(
  run: number,
  oursSide: () => Promise<Timed>,
  theirsSide: () => Promise<Timed>,
): Promise<{ ours: Timed; theirs: Timed }> {
  if (run % 2 === 0) {
    const first = await oursSide();
    return { ours: first, theirs: await theirsSide() };
  }
  const first = await theirsSide();
  return { ours: await oursSide(), theirs: first };
}
for (let run = 0; run < runs; run++) {
  fs.rmSync(archive, { force: true });
  fs.rmSync(pgDir, { recursive: true, force: true });
  rows["dump (2 connections)"]!.push(
    await pair(
      run,
      // --plaintext: pg_dump too writes the values as stored; no key here.
      () => ours("dump", ["--out", archive, "--plaintext"], { DATABASE_URL: sourceUrl }),
      () => timed("pg_dump", ["-Fd", "-j2", `-Z${LEVEL}`, "-f", pgDir, sourceUrl]),
    ),
  );
  await freshTargets();
  rows["load, one transaction"]!.push(
    await pair(
      run,
      () => ours("load", [archive, "--database-url", dbUrl(targets[0]!)]),
      () => timed("pg_restore", ["--single-transaction", "-d", dbUrl(targets[1]!), pgDir]),
    ),
  );
  await freshTargets();
  rows["load, 2 connections"]!.push(
    await pair(
      run,
      () => ours("load", [archive, "--jobs", "2", "--database-url", dbUrl(targets[0]!)]),
      () => timed("pg_restore", ["-j2", "-d", dbUrl(targets[1]!), pgDir]),
    ),
  );
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const sizeOf = (p: string): number =>
  fs.statSync(p).isDirectory()
    ? fs.readdirSync(p).reduce((n, f) => n + sizeOf(path.join(p, f)), 0)
    : fs.statSync(p).size;
console.log(
  `\nsource: ${seeded ? `generator scale ${values.scale}, ` : ""}database ${size}; gzip level ${LEVEL}; ${runs} run(s), ours first on even runs, theirs first on odd; ${os.cpus().length} cores`,
);
console.log(
  `archive: ours ${(sizeOf(archive) / 1e6).toFixed(1)} MB, pg_dump ${(sizeOf(pgDir) / 1e6).toFixed(1)} MB`,
);
for (const [label, results] of Object.entries(rows)) {
  const ratios = results.map((r) => r.ours.seconds / r.theirs.seconds);
  const each = results
    .map(
      (r) =>
        `${r.ours.seconds.toFixed(1)}/${r.theirs.seconds.toFixed(1)} s (CPU ${r.ours.cpuSeconds.toFixed(1)}/${r.theirs.cpuSeconds.toFixed(1)} s, RSS ${r.ours.rssMb.toFixed(0)}/${r.theirs.rssMb.toFixed(0)} MB)`,
    )
    .join(", ");
  const cpu = (side: "ours" | "theirs") => median(results.map((r) => r[side].cpuSeconds));
  console.log(
    `${label.padEnd(22)} ours/theirs ${each}  ratio median ${median(ratios).toFixed(2)} [${ratios.map((x) => x.toFixed(2)).join(", ")}]; client CPU median ${cpu("ours").toFixed(1)}/${cpu("theirs").toFixed(1)} s`,
  );
}

await dropTargets();
if (seeded) await admin.unsafe(`drop database if exists liftoff_bench_src with (force)`);
await admin.end();
fs.rmSync(dir, { recursive: true, force: true });
