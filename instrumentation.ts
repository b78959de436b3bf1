/**
 * Runs once when a server process starts: opens and prepares the database
 * (migrations, read-only guard), then starts this node's services (listeners,
 * heartbeat, scheduler) before the first request is served.
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { getDatabaseHandle } = await import("./lib/runtime");
  const { startNodeServices } = await import("./lib/cluster");
  const { builtInJobs } = await import("./lib/scheduler");
  const { log } = await import("./lib/log");
  const handle = await getDatabaseHandle();
  const services = await startNodeServices(handle, { jobs: builtInJobs });
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
