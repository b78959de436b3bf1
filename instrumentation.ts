/**
 * Runs once when a server process starts: opens and prepares the database
 * (migrations, read-only guard), starts this node's services (listeners,
 * heartbeat, scheduler), then takes over or ends any migration a stopped node
 * left behind — before the first request is served.
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { registerNode } = await import("./instrumentation-node");
  await registerNode();
}
