/**
 * A server process that starts one migration and keeps running it, for the
 * tests that kill it mid-way (kill -9) and check what a restart makes of it.
 * Env: LIFTOFF_TEST_NODE_URL (database), LIFTOFF_TEST_STORE_URL,
 * LIFTOFF_TEST_WORK_DIR, LIFTOFF_TEST_ADMIN_ID, LIFTOFF_CLOUD_KEY (the store's key); LIFTOFF_TEST_MULTIPART=1
 * sends even a small archive multipart (so `complete` is called).
 */
import os from "node:os";
import { openDatabase } from "@/db/client";
import { startMigration } from "../control";

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const handle = await openDatabase({ databaseUrl: env("LIFTOFF_TEST_NODE_URL"), maxConnections: 4 });
const id = await startMigration(
  {
    handle,
    nodeId: `${os.hostname()}:${process.pid}:child`,
    workDir: env("LIFTOFF_TEST_WORK_DIR"),
    storeUrl: env("LIFTOFF_TEST_STORE_URL"),
    secretKey: null,
    cloudKey: { env: env("LIFTOFF_CLOUD_KEY"), file: null },
    ...(process.env.LIFTOFF_TEST_MULTIPART === "1" ? { upload: { multipartThreshold: 1 } } : {}),
  },
  {
    id: Number(env("LIFTOFF_TEST_ADMIN_ID")),
    email: "admin@example.test",
    name: "Admin",
    role: "admin",
  },
  // The product's default cut-over: read-only once done.
  { afterDone: "read_only" },
);
process.send?.({ started: id });
