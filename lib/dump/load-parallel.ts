import type postgres from "postgres";
import { dropKeysAndIndexes, ownKeysOf, restoreKeysAndIndexes } from "./load-keys";
import { postgresTarget, type LoadTarget } from "./load-target";
import {
  finishTarget,
  forEachDataFile,
  loadListedFile,
  prepareTarget,
  type LoadPlan,
  type LoadReport,
} from "./load-steps";
import type { ArchiveSource } from "./read-archive";
import { stableOutputSettings } from "./source";
import { qualified, quoteIdent } from "./tables";
import { ArchiveTally } from "./verify";

async function inTransaction<T>(target: LoadTarget, fn: () => Promise<T>): Promise<T> {
  await target.exec("begin");
  try {
    await target.exec(stableOutputSettings);
    const result = await fn();
    await target.exec("commit");
    return result;
  } catch (error) {
    await target.exec("rollback").catch(() => {});
    throw error;
  }
}

/**
 * One connection's share of the data: the tables given to it, loaded in one
 * transaction of its own, file after file in archive order, each table's own
 * indexes and keys built as soon as its last file is in (while the other
 * connections go on loading, as pg_restore -j overlaps them). At most a few
 * compressed files wait their turn, so memory stays bounded.
 */
class Lane {
  assignedBytes = 0;
  private readonly tables = new Set<string>();
  private last: Promise<void>;
  private readonly queued: Promise<void>[] = [];
  private failure: { error: unknown } | null = null;

  constructor(readonly target: LoadTarget) {
    this.last = target.exec("begin").then(() => target.exec(stableOutputSettings));
  }

  has(table: string): boolean {
    return this.tables.has(table);
  }

  /** Gives this lane a table: emptied in the lane's own transaction, so COPY FREEZE may write it. */
  take(table: string, bytes: number): Promise<void> {
    this.tables.add(table);
    this.assignedBytes += bytes;
    return this.enqueue(() => this.target.exec(`truncate ${qualified(table)}`));
  }

  async enqueue(work: () => Promise<void>): Promise<void> {
    if (this.failure) throw this.failure.error;
    const run = this.last.then(() => {
      if (this.failure) throw this.failure.error;
      return work();
    });
    run.catch((error: unknown) => (this.failure ??= { error }));
    this.last = run.catch(() => {});
    this.queued.push(run);
    if (this.queued.length > 8) await this.queued.shift();
  }

  /**
   * After a failure anywhere: runs nothing more of its queue, and returns once
   * the statement under way has ended, so that nothing else is sent on the
   * connection in the middle of a COPY.
   */
  async stop(error: unknown): Promise<void> {
    this.failure ??= { error };
    await this.last.catch(() => {});
  }

  async commit(): Promise<void> {
    await this.last.catch(() => {});
    if (this.failure) throw this.failure.error;
    await this.target.exec("commit");
  }
}

/** The schemas present before the load: anything else in the end is the load's own. */
async function schemaNames(target: LoadTarget): Promise<Set<string>> {
  return new Set((await target.query("select nspname::text from pg_namespace")).map((r) => r[0]!));
}

/**
 * Drops what a failed load created. The target had no relation in `public`
 * and no migration record when the load began (prepareTarget refuses it
 * otherwise), so every relation there now, and every new schema, is the load's.
 */
async function undo(target: LoadTarget, schemasBefore: Set<string>): Promise<void> {
  for (const schema of await schemaNames(target)) {
    if (!schemasBefore.has(schema)) await target.exec(`drop schema ${quoteIdent(schema)} cascade`);
  }
  // Tables first: the sequences their identity columns own go with them.
  for (const [kinds, drop] of [
    ["'r', 'p'", "table"],
    ["'m'", "materialized view"],
    ["'v'", "view"],
    ["'S'", "sequence"],
  ]) {
    const names = await target.query(`
      select c.oid::regclass::text from pg_class c
      where c.relnamespace = 'public'::regnamespace and c.relkind in (${kinds})`);
    if (names.length) await target.exec(`drop ${drop} if exists ${names.join(", ")} cascade`);
  }
}

/**
 * A load on several connections, as `pg_restore -j` does: the schema first,
 * then the tables shared out between the connections as their files come
 * (largest share first), keys and indexes rebuilt side by side, and last the
 * checks, sequences and migration records. Each step is its own transaction,
 * so the load is all or nothing by other means than rollback: until the last
 * step the migrations are unrecorded and the app will not start on the
 * database, and if any step fails everything the load created is dropped
 * again, leaving the target as empty as it was.
 */
export async function loadInParallel(
  sql: postgres.Sql,
  jobs: number,
  source: ArchiveSource,
  plan: LoadPlan,
): Promise<LoadReport> {
  const { manifest, migrations } = plan.verified;
  const reserved: postgres.ReservedSql[] = [];
  try {
    for (let i = 0; i < Math.min(jobs, sql.options.max); i++) reserved.push(await sql.reserve());
    const targets = reserved.map((connection) => postgresTarget(connection));
    const main = targets[0]!;
    const schemasBefore = await schemaNames(main);
    const keys = await inTransaction(main, async () => {
      await prepareTarget(main, manifest, migrations, { record: false });
      return dropKeysAndIndexes(main);
    });
    try {
      const tally = new ArchiveTally();
      const lanes = targets.map((target) => new Lane(target));
      const filesLeft = new Map(manifest.tables.map((t) => [t.name, t.files.length]));
      const keysBack = new Set<string>();
      try {
        await forEachDataFile(source, plan, tally, async (listed, compressed) => {
          const name = listed.table.name;
          let lane = lanes.find((l) => l.has(name));
          if (!lane) {
            lane = lanes.reduce((a, b) => (b.assignedBytes < a.assignedBytes ? b : a));
            await lane.take(name, listed.table.bytes);
          }
          const chosen = lane;
          await chosen.enqueue(() =>
            loadListedFile(chosen.target, plan, tally, listed, compressed),
          );
          const left = filesLeft.get(name)! - 1;
          filesLeft.set(name, left);
          if (left === 0) {
            keysBack.add(name);
            for (const statement of ownKeysOf(keys, name)) {
              await chosen.enqueue(() => chosen.target.exec(statement));
            }
          }
        });
        for (const lane of lanes) await lane.commit();
      } catch (error) {
        await Promise.all(lanes.map((lane) => lane.stop(error)));
        await Promise.all(lanes.map((lane) => lane.target.exec("rollback").catch(() => {})));
        throw error;
      }
      // The rest: tables with no data file, and the foreign keys.
      await restoreKeysAndIndexes(targets, keys, keysBack);
      return await inTransaction(main, () =>
        finishTarget(main, plan, tally, { recordBefore: true }),
      );
    } catch (error) {
      try {
        await undo(main, schemasBefore);
      } catch (undoError) {
        throw new Error(
          `The load failed (${(error as Error).message}) and dropping what it had created failed too (${(undoError as Error).message}): drop and recreate the target database before loading again.`,
          { cause: error },
        );
      }
      throw error;
    }
  } finally {
    for (const connection of reserved) connection.release();
  }
}
