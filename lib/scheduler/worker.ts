import { sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { rowsOf } from "@/db/rows";
import { scheduledJobs } from "@/db/schema";
import { log } from "@/lib/log";
import { isReadOnlyError } from "@/lib/read-only/errors";
import { schedulerLockKey } from "./control";
import type { JobDefinition } from "./jobs";

export interface WorkerOptions {
  nodeId: string;
  jobs: JobDefinition[];
  pollMs?: number;
}

/**
 * Runs due jobs on this node. Several nodes may run workers: a job is claimed
 * by one conditional UPDATE (FOR UPDATE SKIP LOCKED), so it runs on one node
 * at a time.
 */
export class SchedulerWorker {
  private timer: NodeJS.Timeout | null = null;
  private stopped = true;
  private current: Promise<void> | null = null;
  private readonly abort = new AbortController();
  private readonly byName: Map<string, JobDefinition>;

  constructor(
    private readonly db: Database,
    private readonly options: WorkerOptions,
  ) {
    this.byName = new Map(options.jobs.map((job) => [job.name, job]));
  }

  get runningJobs(): number {
    return this.current ? 1 : 0;
  }

  async start(): Promise<void> {
    for (const job of this.options.jobs) {
      await this.db
        .insert(scheduledJobs)
        .values({ name: job.name, intervalSeconds: job.intervalSeconds })
        .onConflictDoUpdate({
          target: scheduledJobs.name,
          set: { intervalSeconds: job.intervalSeconds },
        });
    }
    this.stopped = false;
    this.schedule(0);
  }

  /** Looks for due work now (after a resume, say) instead of at the next poll. */
  wake(): void {
    if (!this.stopped && !this.current) this.schedule(0);
  }

  /** Stops claiming; waits for the job in hand to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.current;
  }

  private schedule(delayMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.current = this.tick().finally(() => {
        this.current = null;
        if (!this.stopped) this.schedule(this.options.pollMs ?? 1000);
      });
    }, delayMs);
  }

  private async tick(): Promise<void> {
    let name: string | null;
    try {
      name = await this.claim();
    } catch (error) {
      log.warn({ err: error, node: this.options.nodeId }, "scheduler could not claim a job");
      return;
    }
    if (!name) return;
    const job = this.byName.get(name);
    if (!job) return;
    const started = Date.now();
    let failure: string | null = null;
    let skipped: string | null = null;
    try {
      await job.run({ db: this.db, signal: this.abort.signal });
    } catch (error) {
      if (isReadOnlyError(error)) {
        // Not a fault of the job: it runs again on its next turn.
        skipped = "skipped: read-only mode";
      } else {
        failure = error instanceof Error ? error.message : String(error);
        log.error({ err: error, job: name, node: this.options.nodeId }, "job failed");
      }
    }
    await this.db.execute(sql`
      update liftoff_cluster.jobs set
        running_node = null, running_since = null,
        last_finished_at = now(), last_duration_ms = ${Date.now() - started},
        last_error = ${failure ?? skipped}, run_count = run_count + 1,
        failure_count = failure_count + ${failure ? 1 : 0},
        next_run_at = now() + make_interval(secs => interval_seconds)
      where name = ${name} and running_node = ${this.options.nodeId}`);
  }

  /**
   * Claims one due job, or none while paused. The shared lock and the flag
   * check share one transaction: pauseScheduler's exclusive lock therefore
   * waits for this claim, and any claim after it sees the flag.
   */
  private async claim(): Promise<string | null> {
    if (this.byName.size === 0) return null;
    return this.db.transaction(async (tx) => {
      const [gate] = rowsOf<{ ok: boolean }>(
        await tx.execute(
          sql`select pg_try_advisory_xact_lock_shared(${schedulerLockKey[0]}, ${schedulerLockKey[1]}) as ok`,
        ),
      );
      if (!gate?.ok) return null;
      const names = [...this.byName.keys()];
      const [claimed] = rowsOf<{ name: string }>(
        await tx.execute(sql`
          update liftoff_cluster.jobs set
            running_node = ${this.options.nodeId}, running_since = now(), last_started_at = now()
          where name = (
            select name from liftoff_cluster.jobs
            where next_run_at <= now() and running_node is null
              and name in (${sql.join(
                names.map((n) => sql`${n}`),
                sql`, `,
              )})
              and not (select paused from liftoff_cluster.scheduler_state where id = 1)
            order by next_run_at
            limit 1
            for update skip locked)
          returning name`),
      );
      return claimed?.name ?? null;
    });
  }
}
