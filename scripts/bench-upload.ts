// `npm run bench:upload`: the same file (1 GB by default, BENCH_BYTES to
// change) to the same local s3rver, Liftoff's uploader against
// @aws-sdk/lib-storage's Upload with the same part size and concurrency, then
// both again with 10 % of part PUTs failing. Each uploader runs in a process
// of its own (bench-upload-child.ts), so its peak RSS is its own: s3rver, the
// store and the fault proxy stay here. Not part of the tests.
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { migrateDatabase, openDatabase } from "@/db/client";
import {
  handleStoreRequest,
  RestoreQueue,
  startStoreRestores,
  type StoreContext,
} from "@/lib/store";
import { defaultEnrolmentPolicy, issueKey } from "@/lib/store/keys";
import { startLocalS3, localS3Credentials } from "@/lib/store/local-s3";
import type { BenchJob } from "./bench-upload-child";
import { ObjectStorage } from "@/lib/store/object-storage";
import { restorableVersions } from "@/lib/store/restorable";
import { loadStoreKeys } from "@/lib/store/sealing-key";
import { pgliteTargets } from "@/lib/store/targets";
import { serveFetchHandler } from "@/lib/store/serve";
import { seededRandom, startFaultProxy, type Fault } from "@/lib/upload/testing/fault-proxy";
import { sha256OfFile } from "@/lib/upload";
import { DEFAULT_MAX_TEXT_BYTES } from "@/lib/dump/format/limits";
import { codeMigrations } from "@/lib/dump/migrations";
import { appVersion } from "@/lib/config/version";

const MiB = 1024 * 1024;
const size = Number(process.env.BENCH_BYTES || 1000 * 1000 * 1000);
const partSize = 16 * MiB;
const concurrency = 4;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "liftoff-bench-"));
const file = path.join(tmp, "archive.bin");
{
  const out = fs.openSync(file, "w");
  for (let written = 0; written < size; written += 8 * MiB) {
    fs.writeSync(out, randomBytes(Math.min(8 * MiB, size - written)));
  }
  fs.closeSync(out);
}
const sha256 = await sha256OfFile(file);
const s3 = await startLocalS3({ directory: path.join(tmp, "s3"), bucket: "bench" });
const proxy = await startFaultProxy(s3.endpoint);
const handle = await openDatabase({});
await migrateDatabase(handle);

function store(publicEndpoint?: string): StoreContext {
  return {
    db: handle.db,
    storage: new ObjectStorage({
      endpoint: s3.endpoint,
      publicEndpoint,
      bucket: s3.bucket,
      region: "us-east-1",
      ...localS3Credentials,
      kmsKeyId: "bench",
    }),
    // The archive is random bytes: restoring is not what is measured here.
    restorer: () => Promise.resolve({ tables: {} }),
    targets: pgliteTargets(path.join(tmp, "cloud")),
    versions: restorableVersions(),
    keys: loadStoreKeys({ dir: path.join(tmp, "store-keys") }),
    workDir: path.join(tmp, "work"),
    tokenTtlMs: 3600_000,
    urlTtlSeconds: 3600,
    restores: new RestoreQueue(handle, { workers: 1 }),
    maxRestoreBytes: DEFAULT_MAX_TEXT_BYTES,
    enrolment: defaultEnrolmentPolicy,
  };
}

type Timing = { seconds: number; peakMiB: number; beforeMiB: number };

/** Runs one upload in a process of its own and reads its one-line answer. */
async function inOwnProcess(job: BenchJob): Promise<Timing> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      "--import",
      "tsx",
      path.join(import.meta.dirname, "bench-upload-child.ts"),
      JSON.stringify(job),
    ],
    { maxBuffer: 16 * MiB },
  );
  return JSON.parse(stdout.trim().split("\n").at(-1)!) as Timing;
}

async function liftoff(ctx: StoreContext) {
  await startStoreRestores(ctx);
  const api = await serveFetchHandler((request) => handleStoreRequest(ctx, request));
  const { key } = await issueKey(handle.db, { label: "bench" });
  const created = (await (
    await fetch(`${api.url}/api/store/v1/migrations`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}` },
      body: JSON.stringify({
        app_version: appVersion,
        schema_migration_id: codeMigrations().at(-1)!.id,
        instance_id: "bench",
      }),
    })
  ).json()) as { external_id: string; token: string };
  const result = await inOwnProcess({
    kind: "liftoff",
    storeUrl: api.url,
    externalId: created.external_id,
    token: created.token,
    file,
    sha256,
    partSize,
    concurrency,
  });
  await ctx.restores.stop(); // waits for a read-back verification under way, outside the timing
  await api.close();
  return result;
}

function libStorage(endpoint: string, key: string): Promise<Timing> {
  return inOwnProcess({
    kind: "lib-storage",
    endpoint,
    bucket: s3.bucket,
    key,
    file,
    partSize,
    concurrency,
  });
}

const gb = (size / 1e9).toFixed(2);
const line = (name: string, r: Timing) =>
  console.log(
    `${name.padEnd(34)} ${r.seconds.toFixed(2)} s  ${(size / MiB / r.seconds).toFixed(0)} MiB/s  peak RSS ${r.peakMiB} MiB, ${r.peakMiB - r.beforeMiB} MiB more than before it`,
  );

console.log(
  `${gb} GB, parts of ${partSize / MiB} MiB, concurrency ${concurrency}, s3rver on 127.0.0.1; each uploader in a process of its own`,
);
const ours = await liftoff(store());
line("liftoff uploader", ours);
const theirs = await libStorage(s3.endpoint, "lib-storage.bin");
line("@aws-sdk/lib-storage Upload", theirs);
console.log(`ratio liftoff/lib-storage time: ${(ours.seconds / theirs.seconds).toFixed(2)}`);

const random = seededRandom(7);
const kinds: Fault[] = ["error500", "slowdown503", "reset"];
proxy.plan = () => (random() < 0.1 ? kinds[Math.floor(random() * kinds.length)]! : "pass");
const oursFaulty: Timing | Error = await liftoff(store(proxy.url)).catch(
  (e: unknown) => e as Error,
);
if (oursFaulty instanceof Error)
  console.log(`liftoff, 10 % failures: FAILED ${oursFaulty.message}`);
else line("liftoff uploader, 10 % failures", oursFaulty);
const faults = proxy.requests.filter((r) => r.fault !== "pass").length;
proxy.requests.length = 0;
const theirsFaulty: Timing | Error = await libStorage(proxy.url, "lib-storage-faulty.bin").catch(
  (e: unknown) => e as Error,
);
if (theirsFaulty instanceof Error)
  console.log(`lib-storage, 10 % failures: FAILED ${theirsFaulty.name}: ${theirsFaulty.message}`);
else line("lib-storage Upload, 10 % failures", theirsFaulty);
if (!(oursFaulty instanceof Error))
  console.log(
    `liftoff with 10 % failures / liftoff clean: ${(oursFaulty.seconds / ours.seconds).toFixed(2)}×`,
  );
console.log(
  `faults injected: liftoff run ${faults}, lib-storage run ${proxy.requests.filter((r) => r.fault !== "pass").length}`,
);

await proxy.close();
await s3.close();
await handle.close();
fs.rmSync(tmp, { recursive: true, force: true });
