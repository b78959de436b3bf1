/**
 * Runs once when a server process starts: opens the database and applies the
 * committed migrations before the first request is served.
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { getDatabaseHandle } = await import("./lib/runtime");
  const { log } = await import("./lib/log");
  const handle = await getDatabaseHandle();
  log.info({ engine: handle.engine }, "database ready");
  const close = () => {
    void handle.close().finally(() => process.exit(0));
  };
  process.once("SIGTERM", close);
  process.once("SIGINT", close);
}
