import type { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import type { Job, PgBoss } from "pg-boss";
import type { DatabaseHandle } from "@/db/client";
import { rowsOf } from "@/db/rows";
import { log } from "@/lib/log";
import { isReadOnlyError } from "@/lib/read-only/errors";
import { createBoss, inPgliteTransaction } from "./boss";
import { schedulerLockKey } from "./control";
import type { JobDefinition } from "./jobs";

export interface RunnerOptions {
  nodeId: string;
  jobs: JobDefinition[];
  /** How often an idle queue is asked for work. */
  pollMs?: number;
}

/**
 * Runs this node's jobs on pg-boss. pg-boss keeps the record (state, retries
 * with backoff, expiry of stuck runs, cron forwarding, history); this class
 * only decides when to fetch. It fetches through a gate instead of using
 * pg-boss's own workers, because a cluster-wide pause must be able to say
 * "no job starts after I return", which needs the fetch and the pause flag
 * to meet in one place (see claim()).
 */
export class JobRunner {
  readonly boss: PgBoss;
  private readonly byName: Map<string, JobDefinition>;
  private readonly running = new Map<string, Promise<void>>();
  private readonly busyQueues = new Set<string>();
  private readonly abort = new AbortController();
  private timer: NodeJS.Timeout | null = null;
  private stopped = true;
  private polling: Promise<void> | null = null;

  constructor(
    private readonly handle: DatabaseHandle,
    private readonly options: RunnerOptions,
  ) {
    this.byName = new Map(options.jobs.map((job) => [job.name, job]));
    this.boss = createBoss(handle);
    this.boss.on("error", (error) =>
      log.warn({ err: error, node: options.nodeId }, "pg-boss reported an error"),
    );
  }

  get jobNames(): string[] {
    return [...this.byName.keys()];
  }

  /** The next time a cron expression comes round, as pg-boss reads it. */
  nextOccurrence(cron: string, timezone: string): Date | null {
    try {
      return this.boss.previewSchedule(cron, { tz: timezone, count: 1 })[0] ?? null;
    } catch {
      return null;
    }
  }

  get runningJobs(): number {
    return this.running.size;
  }

  async start(): Promise<void> {
    await this.boss.start();
    for (const job of this.options.jobs) {
      const settings = {
        retryLimit: job.retryLimit ?? 2,
        retryDelay: 30,
        retryBackoff: true,
        expireInSeconds: job.expireInSeconds ?? 15 * 60,
      };
      // At most one run waiting and one running: a long pause does not pile up runs.
      await this.boss.createQueue(job.name, { policy: "stately", ...settings });
      // A queue made by an earlier version keeps its policy but takes today's settings.
      await this.boss.updateQueue(job.name, settings);
      await this.boss.schedule(job.name, job.cron, null, { tz: "UTC" });
    }
    this.stopped = false;
    this.schedule(0);
  }

  /** Looks for work now (after a resume, say) instead of at the next poll. */
  wake(): void {
    if (!this.stopped) this.schedule(0);
  }

  /** Queues a run of a job now, on whichever node fetches it first; null if one is already waiting. */
  async runNow(name: string): Promise<string | null> {
    return this.boss.send(name, null);
  }

  /** Stops fetching, waits for the jobs in hand, stops pg-boss. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.polling;
    await Promise.allSettled([...this.running.values()]);
    this.abort.abort();
    await this.boss.stop({ graceful: true, close: true });
  }

  private schedule(delayMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.polling) return this.schedule(this.options.pollMs ?? 1000);
      this.polling = this.poll().finally(() => {
        this.polling = null;
        if (!this.stopped) this.schedule(this.options.pollMs ?? 1000);
      });
    }, delayMs);
  }

  /** One pass over the idle queues; each fetched job runs without holding up the others. */
  private async poll(): Promise<void> {
    for (const name of this.byName.keys()) {
      if (this.stopped) return;
      if (this.busyQueues.has(name)) continue;
      let job: Job | null | "paused";
      try {
        job = await this.claim(name);
      } catch (error) {
        log.warn({ err: error, node: this.options.nodeId, job: name }, "could not fetch a job");
        continue;
      }
      if (job === "paused") return;
      if (job) this.track(name, job);
    }
  }

  /**
   * Fetches one job of a queue unless the scheduler is paused. On PostgreSQL
   * the gate transaction holds the pause lock shared while pg-boss fetches
   * (on its own connection) and commits only after: pauseScheduler takes
   * that lock exclusively after committing the flag, so it waits for every
   * fetch under way, and every later gate sees the flag. On PGlite (one
   * connection, one process) the flag check and the fetch run in one
   * transaction, which nothing else can interleave with.
   */
  private async claim(name: string): Promise<Job | null | "paused"> {
    const record = async (
      job: Job | undefined,
      exec: (q: string, v: unknown[]) => Promise<unknown>,
    ) => {
      if (job) {
        await exec(
          `update liftoff_cluster.nodes set running_job_ids = array_append(running_job_ids, $1)
           where id = $2`,
          [job.id, this.options.nodeId],
        );
      }
      return job ?? null;
    };
    if (this.handle.engine === "pglite") {
      return (this.handle.raw as PGlite).transaction(async (tx) => {
        const state = await tx.query<{ paused: boolean }>(
          "select paused from liftoff_cluster.scheduler_state where id = 1",
        );
        if (state.rows[0]?.paused) return "paused" as const;
        const [job] = await inPgliteTransaction(tx, () => this.boss.fetch<object>(name));
        return record(job, (q, v) => tx.query(q, v));
      });
    }
    return this.handle.db.transaction(async (tx) => {
      const [gate] = rowsOf<{ ok: boolean }>(
        await tx.execute(
          sql`select pg_try_advisory_xact_lock_shared(${schedulerLockKey[0]}, ${schedulerLockKey[1]}) as ok`,
        ),
      );
      if (!gate?.ok) return "paused" as const;
      // A statement of its own, after the lock: its snapshot sees a flag committed before it.
      const [state] = rowsOf<{ paused: boolean }>(
        await tx.execute(sql`select paused from liftoff_cluster.scheduler_state where id = 1`),
      );
      if (state?.paused) return "paused" as const;
      const [job] = await this.boss.fetch<object>(name);
      return record(job, (q, v) =>
        tx.execute(sql`update liftoff_cluster.nodes
          set running_job_ids = array_append(running_job_ids, ${v[0] as string})
          where id = ${v[1] as string}`),
      );
    });
  }

  private track(name: string, job: Job): void {
    this.busyQueues.add(name);
    const run = this.execute(name, job).finally(() => {
      this.running.delete(job.id);
      this.busyQueues.delete(name);
      if (!this.stopped) this.schedule(0);
    });
    this.running.set(job.id, run);
  }

  private async execute(name: string, job: Job): Promise<void> {
    const definition = this.byName.get(name)!;
    try {
      await definition.run({ db: this.handle.db, signal: this.abort.signal });
      await this.boss.complete(name, job.id);
    } catch (error) {
      if (isReadOnlyError(error)) {
        // Not a fault of the job: it runs again at its next occurrence.
        await this.boss
          .complete(name, job.id, { skipped: "read-only mode" })
          .catch((e: unknown) => log.warn({ err: e, job: name }, "could not settle a job"));
      } else {
        log.error({ err: error, job: name, node: this.options.nodeId }, "job failed");
        await this.boss
          .fail(name, job.id, error instanceof Error ? error : new Error(String(error)))
          .catch((e: unknown) => log.warn({ err: e, job: name }, "could not settle a job"));
      }
    } finally {
      await this.handle.db
        .execute(
          sql`update liftoff_cluster.nodes set running_job_ids = array_remove(running_job_ids, ${job.id})
            where id = ${this.options.nodeId}`,
        )
        .catch((e: unknown) => log.warn({ err: e, job: name }, "could not record a job's end"));
    }
  }
}
