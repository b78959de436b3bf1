// `npm run bench:upload`: the same file (1 GB by default, BENCH_BYTES to
// change) to the same local s3rver, Liftoff's uploader against
// @aws-sdk/lib-storage's Upload with the same part size and concurrency, then
// both again with 10 % of part PUTs failing. Not part of the tests.
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { S3Client } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { migrateDatabase, openDatabase } from "@/db/client";
import { cloudMigration } from "@/db/schema";
import {
  handleStoreRequest,
  RestoreQueue,
  startStoreRestores,
  type StoreContext,
} from "@/lib/store";
import { defaultEnrolmentPolicy, issueKey } from "@/lib/store/keys";
import { startLocalS3, localS3Credentials } from "@/lib/store/local-s3";
import { ObjectStorage } from "@/lib/store/object-storage";
import { restorableVersions } from "@/lib/store/restorable";
import { loadStoreKeys } from "@/lib/store/sealing-key";
import { pgliteTargets } from "@/lib/store/targets";
import { serveFetchHandler } from "@/lib/store/serve";
import { seededRandom, startFaultProxy, type Fault } from "@/lib/upload/testing/fault-proxy";
import { StoreClient, sha256OfFile, uploadArchive } from "@/lib/upload";
import { DEFAULT_MAX_TEXT_BYTES } from "@/lib/dump/limits";
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

async function peakRss<T>(run: () => Promise<T>): Promise<{ seconds: number; peakMiB: number }> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const started = performance.now();
  try {
    await run();
  } finally {
    clearInterval(timer);
  }
  return { seconds: (performance.now() - started) / 1000, peakMiB: Math.round(peak / MiB) };
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
  await handle.db.update(cloudMigration).set({ state: "cancelled" });
  const [row] = await handle.db.insert(cloudMigration).values({ state: "upload" }).returning();
  const result = await peakRss(() =>
    uploadArchive({
      db: handle.db,
      migrationId: row!.id,
      store: new StoreClient(api.url, created.external_id, created.token),
      file,
      sha256,
      multipartThreshold: 1,
      partSize,
      concurrency,
      retry: { attempts: 8, baseMs: 100, capMs: 2000 },
    }),
  );
  await ctx.restores.stop(); // waits for a read-back verification under way, outside the timing
  await api.close();
  return result;
}

async function libStorage(endpoint: string, key: string) {
  const client = new S3Client({
    region: "us-east-1",
    endpoint,
    forcePathStyle: true,
    credentials: localS3Credentials,
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
  try {
    return await peakRss(() =>
      new Upload({
        client,
        params: {
          Bucket: s3.bucket,
          Key: key,
          Body: fs.createReadStream(file),
          ServerSideEncryption: "aws:kms",
          SSEKMSKeyId: "bench",
        },
        partSize,
        queueSize: concurrency,
      }).done(),
    );
  } finally {
    client.destroy();
  }
}

const gb = (size / 1e9).toFixed(2);
const line = (name: string, r: { seconds: number; peakMiB: number }) =>
  console.log(
    `${name.padEnd(34)} ${r.seconds.toFixed(2)} s  ${(size / MiB / r.seconds).toFixed(0)} MiB/s  peak RSS ${r.peakMiB} MiB`,
  );

console.log(
  `${gb} GB, parts of ${partSize / MiB} MiB, concurrency ${concurrency}, s3rver on 127.0.0.1`,
);
const ours = await liftoff(store());
line("liftoff uploader", ours);
const theirs = await libStorage(s3.endpoint, "lib-storage.bin");
line("@aws-sdk/lib-storage Upload", theirs);
console.log(`ratio liftoff/lib-storage time: ${(ours.seconds / theirs.seconds).toFixed(2)}`);

const random = seededRandom(7);
const kinds: Fault[] = ["error500", "slowdown503", "reset"];
proxy.plan = () => (random() < 0.1 ? kinds[Math.floor(random() * kinds.length)]! : "pass");
type Timing = { seconds: number; peakMiB: number };
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
console.log(
  `faults injected: liftoff run ${faults}, lib-storage run ${proxy.requests.filter((r) => r.fault !== "pass").length}`,
);

await proxy.close();
await s3.close();
await handle.close();
fs.rmSync(tmp, { recursive: true, force: true });
