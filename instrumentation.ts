/**
 * Runs once when a server process starts: opens and prepares the database
 * (migrations, read-only guard), starts this node's services (listeners,
 * heartbeat, scheduler), then takes over or ends any migration a stopped node
 * left behind — before the first request is served.
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { getDatabaseHandle, registerLocalNode } = await import("./lib/runtime");
  const { startNodeServices } = await import("./lib/cluster");
  const { builtInJobs } = await import("./lib/scheduler");
  const { migrationContextFromEnv, recoverMigrations } = await import("./lib/migration");
  const { log } = await import("./lib/log");
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
