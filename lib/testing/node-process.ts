/**
 * A second app process for cluster tests: started with `fork` and driven over
 * IPC. It opens the database at LIFTOFF_TEST_NODE_URL, starts the same node
 * services as the server (heartbeat, listeners, scheduler worker) with one
 * test job, and answers commands.
 */
import { sql } from "drizzle-orm";
import { openDatabase } from "@/db/client";
import { pgErrorCode } from "@/lib/errors";
import { startNodeServices } from "@/lib/cluster/node";
import { disableReadOnly, enableReadOnly, localReadOnlyState } from "@/lib/read-only";

type Command =
  | { id: number; cmd: "write" }
  | { id: number; cmd: "enable" }
  | { id: number; cmd: "disable" }
  | { id: number; cmd: "local-state" }
  | { id: number; cmd: "stop" };

const url = process.env.LIFTOFF_TEST_NODE_URL;
if (!url || !process.send) throw new Error("run me with fork() and LIFTOFF_TEST_NODE_URL");
const send = (message: unknown) => process.send?.(message);

const handle = await openDatabase({ databaseUrl: url, maxConnections: 3 });
const services = await startNodeServices(handle, {
  nodeId: `child-${process.pid}`,
  heartbeatMs: 500,
  schedulerPollMs: 50,
  jobs: [
    {
      name: "test-child-tick",
      // The test queues its runs (see two-nodes.test.ts); cron never comes round.
      cron: "0 0 1 1 *",
      async run() {
        send({ event: "job-ran", at: Date.now() });
        await Promise.resolve();
      },
    },
  ],
});

process.on("message", (message: Command) => {
  void (async () => {
    try {
      switch (message.cmd) {
        case "write":
          await handle.db.execute(sql`insert into collections (name) values ('from child')`);
          return send({ id: message.id, ok: true, at: Date.now() });
        case "enable":
          await enableReadOnly(handle, { reason: "child", source: "test" });
          return send({ id: message.id, ok: true, at: Date.now() });
        case "disable":
          await disableReadOnly(handle);
          return send({ id: message.id, ok: true });
        case "local-state":
          return send({ id: message.id, ok: true, state: localReadOnlyState() });
        case "stop":
          await services.stop();
          await handle.close();
          send({ id: message.id, ok: true });
          return process.exit(0);
      }
    } catch (error) {
      send({
        id: message.id,
        ok: false,
        code: pgErrorCode(error) ?? null,
        message: String(error),
        at: Date.now(),
      });
    }
  })();
});
send({ event: "ready", nodeId: services.nodeId });
