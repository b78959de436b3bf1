/**
 * The Node.js half of instrumentation.ts, in its own module so that the Edge
 * build of instrumentation.ts never sees Node APIs (process.exit, signals).
 */
import { startNodeServices } from "./lib/cluster";
import { log } from "./lib/log";
import { migrationContextFromEnv, recoverMigrations } from "./lib/migration";
import { getDatabaseHandle, registerLocalNode } from "./lib/runtime";
import { builtInJobs } from "./lib/scheduler";
import { getStore } from "./lib/store/from-env";
import { stopStoreRestores } from "./lib/store/running";

export async function registerNode(): Promise<void> {
  const handle = await getDatabaseHandle();
  const services = await startNodeServices(handle, { jobs: builtInJobs });
  registerLocalNode(services);
  const context = migrationContextFromEnv(handle, services.nodeId);
  const recover = () =>
    recoverMigrations(context).catch((error: unknown) =>
      log.error({ err: error }, "could not recover interrupted migrations"),
    );
  await recover();
  // TODO(store process): the local store hands its instance a key in
  // LIFTOFF_STORE_LOCAL_KEY_FILE (scripts/start.mjs). Start it now, not on its
  // first request, so the file is there before the first pre-flight reads it.
  if (process.env.LIFTOFF_STORE_LOCAL_KEY_FILE) {
    await getStore().catch((error: unknown) =>
      log.error({ err: error }, "could not start the local store"),
    );
  }
  // Another node may stop while this one runs: look again now and then.
  setInterval(() => void recover(), 15_000).unref();
  log.info({ engine: handle.engine, node: services.nodeId }, "server ready");
  const shutdown = () => {
    // Restores under way get a bounded wait; one still running then goes back to the queue.
    void stopStoreRestores()
      .catch((error: unknown) => log.warn({ err: error }, "could not stop the store's restores"))
      .then(() => services.stop())
      .then(() => handle.close())
      .finally(() => process.exit(0));
  };
  process.once("SIGTERM", shutdown);
  process.once("SIGINT", shutdown);
}
