// One side of `npm run bench:upload`, in a process of its own so that its
// peak RSS is the uploader's alone (no s3rver, no store, no fault proxy):
// `liftoff` runs Liftoff's uploader against the store at STORE_URL, with its
// progress rows in a database of its own (DATABASE_URL, else PGlite in
// memory, as the instance's would be); `lib-storage` runs @aws-sdk/lib-storage's
// Upload straight to S3. The job comes as JSON in argv[2]; the answer is one
// JSON line: seconds, peak RSS, and the RSS before the upload began.
import fs from "node:fs";
import { S3Client } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { migrateDatabase, openDatabase } from "@/db/client";
import { cloudMigration } from "@/db/schema";
import { localS3Credentials } from "@/lib/store/local-s3-credentials";
import { StoreClient, uploadArchive } from "@/lib/upload";

export type BenchJob =
  | {
      kind: "liftoff";
      storeUrl: string;
      externalId: string;
      token: string;
      file: string;
      sha256: string;
      partSize: number;
      concurrency: number;
    }
  | {
      kind: "lib-storage";
      endpoint: string;
      bucket: string;
      key: string;
      file: string;
      partSize: number;
      concurrency: number;
    };

const MiB = 1024 * 1024;
const job = JSON.parse(process.argv[2]!) as BenchJob;

async function measured(run: () => Promise<unknown>) {
  const before = process.memoryUsage().rss;
  let peak = before;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const started = performance.now();
  try {
    await run();
  } finally {
    clearInterval(timer);
  }
  return {
    seconds: (performance.now() - started) / 1000,
    peakMiB: Math.round(peak / MiB),
    beforeMiB: Math.round(before / MiB),
  };
}

let result;
if (job.kind === "liftoff") {
  const handle = await openDatabase(
    process.env.DATABASE_URL ? { databaseUrl: process.env.DATABASE_URL } : {},
  );
  await migrateDatabase(handle);
  await handle.db.update(cloudMigration).set({ state: "cancelled" });
  const [row] = await handle.db.insert(cloudMigration).values({ state: "upload" }).returning();
  result = await measured(() =>
    uploadArchive({
      db: handle.db,
      migrationId: row!.id,
      store: new StoreClient(job.storeUrl, job.externalId, job.token),
      file: job.file,
      sha256: job.sha256,
      multipartThreshold: 1,
      partSize: job.partSize,
      concurrency: job.concurrency,
      retry: { attempts: 8, baseMs: 100, capMs: 2000 },
    }),
  );
  await handle.close();
} else {
  const client = new S3Client({
    region: "us-east-1",
    endpoint: job.endpoint,
    forcePathStyle: true,
    credentials: localS3Credentials,
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
  result = await measured(() =>
    new Upload({
      client,
      params: {
        Bucket: job.bucket,
        Key: job.key,
        Body: fs.createReadStream(job.file),
        ServerSideEncryption: "aws:kms",
        SSEKMSKeyId: "bench",
      },
      partSize: job.partSize,
      queueSize: job.concurrency,
    }).done(),
  );
  client.destroy();
}
console.log(JSON.stringify(result));
