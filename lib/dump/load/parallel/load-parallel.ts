import type postgres from "postgres";
import { stableOutputSettings } from "../../catalog";
import { ArchiveTally } from "../../verify/verify";
import { openIndexed } from "../data-files";
import { dropKeysAndIndexes, restoreKeysAndIndexes } from "../keys";
import type { LoadPlan, LoadReport } from "../plan";
import { progressOf, StoredRows } from "../progress";
import { TableCopy } from "../table-copy";
import { postgresTarget, type LoadTarget } from "../target";
import { finishTarget, prepareTarget } from "../target-steps";
import { LoadCosts } from "./costs";
import { feedLanes } from "./feed-lanes";
import { KeyWork } from "./key-work";
import { drainAll, Lane } from "./lane";
import { schemaNames, undo } from "./undo";

async function inTransaction<T>(target: LoadTarget, fn: () => Promise<T>): Promise<T> {
  await target.exec(`begin; ${stableOutputSettings}`);
  try {
    const result = await fn();
    await target.exec("commit");
    return result;
  } catch (error) {
    await target.exec("rollback").catch(() => {});
    throw error;
  }
}

/**
 * A load on several connections, as `pg_restore -j` does: the schema first,
 * then the tables shared out between the connections (see feedLanes), keys
 * and indexes rebuilt side by side, and last the checks, sequences and
 * migration records. Each step is its own transaction, so the load is all
 * or nothing by other means than rollback: until the last step the
 * migrations are unrecorded and the app will not start on the database, and
 * if any step fails everything the load created is dropped again, leaving
 * the target as empty as it was.
 */
export async function loadInParallel(
  sql: postgres.Sql,
  jobs: number,
  file: string,
  plan: LoadPlan,
): Promise<LoadReport> {
  const { manifest, migrations } = plan.verified;
  // The archive's structure and its data files against the manifest, before anything is written.
  const archive = await openIndexed(file, plan);
  const reserved: postgres.ReservedSql[] = [];
  try {
    // Connected side by side (each start-up is a few round trips); any that
    // connected are released below even if another failed.
    const connecting = await Promise.allSettled(
      Array.from({ length: Math.min(jobs, sql.options.max) }, () => sql.reserve()),
    );
    for (const c of connecting) if (c.status === "fulfilled") reserved.push(c.value);
    for (const c of connecting) if (c.status === "rejected") throw c.reason;
    const targets = reserved.map((connection) => postgresTarget(connection));
    const main = targets[0]!;
    const schemasBefore = await schemaNames(main);
    const keys = await inTransaction(main, async () => {
      await prepareTarget(main, manifest, migrations, { record: false });
      return dropKeysAndIndexes(main);
    });
    try {
      const tally = new ArchiveTally(plan.verified.limits);
      const stored = new StoredRows();
      const costs = new LoadCosts(manifest.tables, keys);
      const keyWork = new KeyWork(keys, costs);
      const lanes = targets.map(
        (target) =>
          new Lane(
            target,
            keyWork,
            stored,
            (table) => new TableCopy(table, tally, progressOf(plan)),
          ),
      );
      try {
        await feedLanes(lanes, archive, plan, tally, keyWork, costs);
        await drainAll(lanes);
      } catch (error) {
        await Promise.all(lanes.map((lane) => lane.stop(error).catch(() => {})));
        await Promise.all(lanes.map((lane) => lane.target.exec("rollback").catch(() => {})));
        throw error;
      }
      // The rest: keys not built yet, those of tables with no data file, and the foreign keys.
      await restoreKeysAndIndexes(targets, keyWork.rest());
      return await inTransaction(main, () =>
        finishTarget(main, plan, tally, stored, { recordBefore: true }),
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
    await archive.handle.close();
  }
}
