/**
 * Process B of `npm run bench:read-only`: forked by the benchmark, driven over
 * IPC. It runs the same node services as a server (so its local read-only
 * state flips through NOTIFY exactly as in production) and, on "arm", a tight
 * loop of single-row INSERTs into a guarded table until both its first
 * refused write and its local-state flip have been seen.
 * Times: performance.timeOrigin + performance.now() (ms, sub-ms precision).
 */
import postgres from "postgres";
import { openDatabase } from "@/db/client";
import { channels, listen, startNodeServices } from "@/lib/cluster";
import { pgErrorCode } from "@/lib/errors";
import { localReadOnlyState, READ_ONLY_SQLSTATE } from "@/lib/read-only";

export type WriterCommand = { cmd: "clock" } | { cmd: "arm"; timeoutMs: number } | { cmd: "stop" };

export interface WriterRun {
  /** First refused INSERT: when its error reached B. */
  firstRefusalAt: number | null;
  /** Last acknowledged INSERT before the refusals. */
  lastSuccessAt: number | null;
  /** The NOTIFY reached B's listener. */
  notifyAt: number | null;
  /** B's local state (lib/read-only/local-state) read enabled, checked after every INSERT. */
  localFlipAt: number | null;
  inserts: number;
  otherError?: string;
}

export type WriterReply =
  | { event: "ready" }
  | { event: "clock"; at: number }
  | { event: "armed" }
  | ({ event: "run" } & WriterRun);

const now = () => performance.timeOrigin + performance.now();
const url = process.env.BENCH_DATABASE_URL;
if (!url || !process.send) throw new Error("forked by scripts/bench-read-only.ts only");
const send = (reply: WriterReply) => process.send?.(reply);

const handle = await openDatabase({ databaseUrl: url, maxConnections: 3 });
const sql = handle.raw as postgres.Sql;
// No heartbeat during a run: the state may only flip through NOTIFY.
const services = await startNodeServices(handle, { jobs: [], heartbeatMs: 3_600_000 });
let notifyAt: number | null = null;
const unlisten = await listen(handle, channels.readOnly, (payload) => {
  if ((payload as { enabled?: boolean } | null)?.enabled) notifyAt ??= now();
});

async function run(timeoutMs: number): Promise<WriterRun> {
  for (let i = 0; i < 500 && localReadOnlyState().enabled; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  notifyAt = null;
  const result: WriterRun = {
    firstRefusalAt: null,
    lastSuccessAt: null,
    notifyAt: null,
    localFlipAt: null,
    inserts: 0,
  };
  let armedAt: number | null = null;
  const deadline = now() + timeoutMs;
  while ((result.firstRefusalAt === null || result.localFlipAt === null) && now() < deadline) {
    try {
      await sql`insert into collections (name) values ('bench writer')`;
      result.inserts++;
      if (result.firstRefusalAt === null) result.lastSuccessAt = now();
      if (armedAt === null) {
        armedAt = now();
      } else if (result.inserts === 20) send({ event: "armed" });
    } catch (error) {
      if (pgErrorCode(error) !== READ_ONLY_SQLSTATE) {
        result.otherError = String(error);
        break;
      }
      result.firstRefusalAt ??= now();
    }
    if (localReadOnlyState().enabled) result.localFlipAt ??= now();
  }
  result.notifyAt = notifyAt;
  return result;
}

process.on("message", (message: WriterCommand) => {
  void (async () => {
    switch (message.cmd) {
      case "clock":
        return send({ event: "clock", at: now() });
      case "arm":
        return send({ event: "run", ...(await run(message.timeoutMs)) });
      case "stop":
        await unlisten();
        await services.stop();
        await handle.close();
        return process.exit(0);
    }
  })();
});
send({ event: "ready" });
