import crypto from "node:crypto";
import os from "node:os";
import { and, eq, inArray, ne, sql } from "drizzle-orm";
import type { DatabaseHandle } from "@/db/client";
import { isProcessAlive } from "@/db/data-dir-lock";
import { clusterNodes } from "@/db/schema";
import { appVersion } from "@/lib/config/version";
import { log } from "@/lib/log";
import {
  readOnlyStatus,
  releaseLocalLease,
  removeReadOnlyGuard,
  setLocalReadOnlyState,
} from "@/lib/read-only";
import { isSchedulerPaused, JobRunner, type JobDefinition } from "@/lib/scheduler";
import { channels, listen } from "./notify";

export interface NodeServicesOptions {
  jobs: JobDefinition[];
  heartbeatMs?: number;
  schedulerPollMs?: number;
  nodeId?: string;
}

export interface NodeServices {
  nodeId: string;
  /** This node's jobs on pg-boss; `runNow` queues a run. */
  scheduler: JobRunner;
  /** Re-reads read-only state and writes the heartbeat now (also runs on a timer). */
  refresh(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * What every server process runs besides serving requests: it listens for
 * read-only and scheduler changes, keeps a heartbeat row that says what it
 * sees, and runs the jobs (pg-boss).
 */
export async function startNodeServices(
  handle: DatabaseHandle,
  options: NodeServicesOptions,
): Promise<NodeServices> {
  const nodeId =
    options.nodeId ?? `${os.hostname()}:${process.pid}:${crypto.randomBytes(3).toString("hex")}`;
  const { db } = handle;
  const worker = new JobRunner(handle, {
    nodeId,
    jobs: options.jobs,
    pollMs: options.schedulerPollMs,
  });
  let readOnly = false;
  let schedulerPaused = false;

  const refreshReadOnly = async () => {
    const status = await readOnlyStatus(db);
    readOnly = status.enabled;
    setLocalReadOnlyState({ enabled: status.enabled, reason: status.reason });
    if (!status.enabled) {
      // Switched off elsewhere: let go of the lock if this process holds it.
      await releaseLocalLease(handle);
      // A disable leaves the guard on a table a long reader held; try again.
      await removeReadOnlyGuard(db);
    }
  };
  const heartbeat = async () => {
    schedulerPaused = await isSchedulerPaused(db);
    const row = {
      readOnly,
      schedulerPaused,
      runningJobs: worker.runningJobs,
      lastSeenAt: new Date(),
    };
    await db
      .insert(clusterNodes)
      .values({ id: nodeId, host: os.hostname(), pid: process.pid, appVersion, ...row })
      .onConflictDoUpdate({ target: clusterNodes.id, set: row });
  };
  const refresh = async () => {
    await refreshReadOnly();
    await heartbeat();
  };
  // A process on this host that is gone and left its row (a stop that could
  // not finish, a crash) is known dead at once: drop it, or every check of
  // the cluster would count it as a node that stopped answering.
  const forgetDeadNeighbours = async () => {
    const here = await db
      .select({ id: clusterNodes.id, pid: clusterNodes.pid })
      .from(clusterNodes)
      .where(and(eq(clusterNodes.host, os.hostname()), ne(clusterNodes.id, nodeId)));
    const dead = here.filter((n) => !isProcessAlive(n.pid)).map((n) => n.id);
    if (dead.length) await db.delete(clusterNodes).where(inArray(clusterNodes.id, dead));
  };
  const safely = (what: string, run: () => Promise<void>) => () => {
    run().catch((error: unknown) => log.warn({ err: error, node: nodeId }, `${what} failed`));
  };

  const unsubscribe = [
    await listen(handle, channels.readOnly, safely("read-only refresh", refresh)),
    await listen(handle, channels.scheduler, () => {
      worker.wake();
      safely("heartbeat", heartbeat)();
    }),
  ];
  await refresh();
  await forgetDeadNeighbours();
  await worker.start();
  const timer = setInterval(safely("heartbeat", refresh), options.heartbeatMs ?? 5000);
  timer.unref();
  log.info({ node: nodeId, version: appVersion }, "node services started");

  return {
    nodeId,
    scheduler: worker,
    refresh,
    async stop() {
      clearInterval(timer);
      await worker.stop();
      for (const off of unsubscribe) await off().catch(() => {});
      await db.execute(sql`delete from liftoff_cluster.nodes where id = ${nodeId}`).catch(() => {});
    },
  };
}
