/**
 * The Node.js half of instrumentation.ts, in its own module so that the Edge
 * build of instrumentation.ts never sees Node APIs (process.exit, signals).
 */
import { startNodeServices } from "./lib/cluster";
import { log } from "./lib/log";
import { migrationContextFromEnv, recoverMigrations } from "./lib/migration";
import { getDatabaseHandle, registerLocalNode } from "./lib/runtime";
import { builtInJobs } from "./lib/scheduler";

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
  // Another node may stop while this one runs: look again now and then.
  setInterval(() => void recover(), 15_000).unref();
  log.info({ engine: handle.engine, node: services.nodeId }, "server ready");
  const shutdown = () => {
    void services
      .stop()
      .then(() => handle.close())
      .finally(() => process.exit(0));
  };
  process.once("SIGTERM", shutdown);
  process.once("SIGINT", shutdown);
}
