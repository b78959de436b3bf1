// The uploader in a process of its own, so a test can kill -9 it mid-way and
// start it again. Input: LIFTOFF_UPLOAD_CHILD (JSON). Output: one line per
// acknowledged part ("part N"), then "done {outcome}".
import { migrateDatabase, openDatabase } from "@/db/client";
import { StoreClient, uploadArchive } from "..";

interface ChildInput {
  databaseUrl?: string;
  pgliteDir?: string;
  migrationId: number;
  storeUrl: string;
  externalId: string;
  token: string;
  file: string;
  partSize: number;
  concurrency: number;
}

const input = JSON.parse(process.env.LIFTOFF_UPLOAD_CHILD ?? "{}") as ChildInput;
const handle = await openDatabase({ databaseUrl: input.databaseUrl, pgliteDir: input.pgliteDir });
try {
  await migrateDatabase(handle);
  const outcome = await uploadArchive({
    db: handle.db,
    migrationId: input.migrationId,
    store: new StoreClient(input.storeUrl, input.externalId, input.token),
    file: input.file,
    multipartThreshold: 1,
    partSize: input.partSize,
    concurrency: input.concurrency,
    onPart: (n) => console.log(`part ${n}`),
  });
  console.log(`done ${JSON.stringify(outcome)}`);
} finally {
  await handle.close();
}
