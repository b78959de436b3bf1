import { sql } from "drizzle-orm";
import type { Job, PgBoss } from "pg-boss";
import type { DatabaseHandle } from "@/db/client";
import { rowsOf } from "@/db/rows";
import { log } from "@/lib/log";
import { createBoss } from "@/lib/scheduler/boss";

/**
 * The store's own pg-boss schema. Not the instance's `pgboss`: pausing the
 * instance's jobs (before a dump) waits for every active job there, and must
 * not wait for a restore. Outside `public`, so never dumped, never guarded.
 */
export const storeBossSchema = "pgboss_store";

export const restoreQueueName = "store-restore";

/** The sweep of uploads whose token expired (sweep.ts), fed by a cron schedule. */
export const sweepQueueName = "store-sweep-expired-uploads";

export interface RestoreJobData {
  externalId: string;
}

/** Runs one restore job; `signal` aborts when the store stops before it has finished. */
export type RestoreJobHandler = (externalId: string, signal: AbortSignal) => Promise<void>;

export interface RestoreQueueOptions {
  /** Restores this store process runs at once (LIFTOFF_STORE_RESTORE_WORKERS). */
  workers: number;
  /** How often an idle worker asks for work. */
  pollSeconds?: number;
  /** Wait before a restore cut short (store stopped or died) runs again. */
  retryDelaySeconds?: number;
  /** How long stop() waits for restores under way before giving them back to the queue. */
  stopTimeoutMs?: number;
  /**
   * How long a running restore may go without a heartbeat before another
   * store process takes it over (its own died): at least 10 (pg-boss's
   * floor), 60 by default (LIFTOFF_STORE_RESTORE_HEARTBEAT_SECONDS). The
   * check runs as often, so a takeover comes one to two of these after the
   * death, plus the retry delay.
   */
  heartbeatSeconds?: number;
}

export function assertWorkerCount(workers: number): void {
  if (!Number.isInteger(workers) || workers < 1 || workers > 64) {
    throw new Error(
      `The number of restore workers must be a whole number from 1 to 64, not ${workers}.`,
    );
  }
}

/**
 * Restores as jobs on pg-boss, one job per migration. pg-boss keeps the line
 * (creation order), bounds how many run at once (the workers), and gives back
 * a restore whose store stopped (graceful stop fails it; a dead process
 * stops heartbeating) so that another store process runs it again. The
 * handler never throws for a bad archive: it records the failure on the
 * migration and completes the job, so only an interrupted restore is retried.
 */
export class RestoreQueue {
  private readonly boss: PgBoss;
  private started = false;

  constructor(
    private readonly handle: DatabaseHandle,
    private readonly options: RestoreQueueOptions,
  ) {
    assertWorkerCount(options.workers);
    // Cron on: the sweep's schedule (startSweep) is forwarded into jobs, once cluster-wide.
    const heartbeatSeconds = options.heartbeatSeconds ?? 60;
    this.boss = createBoss(handle, {
      schema: storeBossSchema,
      schedule: true,
      superviseIntervalSeconds: heartbeatSeconds,
    });
    this.boss.on("error", (error) =>
      log.warn({ err: error }, "the store's pg-boss reported an error"),
    );
  }

  async start(run: RestoreJobHandler): Promise<void> {
    await this.boss.start();
    const settings = {
      // An attempt ends in a migration that is restored or failed; the job
      // fails only when the attempt was cut short, and then it runs again.
      retryLimit: 3,
      retryDelay: this.options.retryDelaySeconds ?? 5,
      // A big restore takes long; a dead store is found by its missing heartbeat instead,
      // with room for a PGlite restore that keeps the event loop busy between beats.
      expireInSeconds: 6 * 60 * 60,
      heartbeatSeconds: this.options.heartbeatSeconds ?? 60,
    };
    // `exclusive` with the migration as key: one job per migration queued or running,
    // so a repeated `uploaded` or a resume on start-up adds nothing.
    await this.boss.createQueue(restoreQueueName, { policy: "exclusive", ...settings });
    await this.boss.updateQueue(restoreQueueName, settings);
    await this.boss.work<RestoreJobData>(
      restoreQueueName,
      {
        localConcurrency: this.options.workers,
        pollingIntervalSeconds: this.options.pollSeconds ?? 2,
      },
      async ([job]: Job<RestoreJobData>[]) => {
        if (!job) return;
        await run(job.data.externalId, job.signal);
      },
    );
    this.started = true;
  }

  /**
   * The sweep as a pg-boss cron schedule in the store's schema: pg-boss
   * forwards each occurrence once across every store node, and `singleton`
   * lets only one run at a time. Call after start().
   */
  async startSweep(run: () => Promise<void>, cron: string): Promise<void> {
    await this.boss.createQueue(sweepQueueName, {
      policy: "singleton",
      retryLimit: 0,
      expireInSeconds: 15 * 60,
    });
    await this.boss.schedule(sweepQueueName, cron);
    await this.boss.work(
      sweepQueueName,
      { pollingIntervalSeconds: this.options.pollSeconds ?? 2 },
      async () => {
        await run();
      },
    );
  }

  /** Puts one sweep in line now, as its schedule does at each occurrence. */
  async sweepNow(): Promise<void> {
    await this.boss.send(sweepQueueName, {});
  }

  /** The sweep's cron schedules as pg-boss keeps them (for tests and the operator). */
  async sweepSchedules(): Promise<{ cron: string }[]> {
    return (await this.boss.getSchedules(sweepQueueName)).map((s) => ({ cron: s.cron }));
  }

  /** Puts a migration's restore in line; a no-op while one is already queued or running. */
  async enqueue(externalId: string): Promise<boolean> {
    const id = await this.boss.send(restoreQueueName, { externalId } satisfies RestoreJobData, {
      singletonKey: externalId,
    });
    return id !== null;
  }

  /**
   * 1-based place in line among restores not started yet (queued, or waiting
   * to run again), in the order pg-boss fetches them; null when this
   * migration's restore is running or not queued.
   */
  async positionOf(externalId: string): Promise<number | null> {
    const job = sql.raw(`${storeBossSchema}.job`);
    const [row] = rowsOf<{ position: number | string | null }>(
      await this.handle.db.execute(sql`
        select (select count(*) from ${job} ahead
                where ahead.name = ${restoreQueueName}
                  and ahead.state in ('created', 'retry')
                  and (ahead.priority, -extract(epoch from ahead.created_on))
                      >= (mine.priority, -extract(epoch from mine.created_on))
               ) as position
        from ${job} mine
        where mine.name = ${restoreQueueName}
          and mine.singleton_key = ${externalId}
          and mine.state in ('created', 'retry')
        order by mine.created_on desc
        limit 1`),
    );
    return row?.position == null ? null : Number(row.position);
  }

  /** What became of the migration's last restore job, if it has one. */
  async lastJobState(externalId: string): Promise<string | null> {
    const [row] = rowsOf<{ state: string }>(
      await this.handle.db.execute(sql`
        select state from ${sql.raw(`${storeBossSchema}.job`)}
        where name = ${restoreQueueName} and singleton_key = ${externalId}
        order by created_on desc limit 1`),
    );
    return row?.state ?? null;
  }

  /**
   * Stops taking restores and waits (bounded) for those under way. One still
   * running at the bound is failed back to the queue and its signal aborted:
   * the next store process to start runs it again from an empty target.
   */
  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await this.boss.stop({
      graceful: true,
      close: true,
      timeout: this.options.stopTimeoutMs ?? 30_000,
    });
  }
}
