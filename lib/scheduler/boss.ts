import { AsyncLocalStorage } from "node:async_hooks";
import type { PGlite, Transaction } from "@electric-sql/pglite";
import { PgBoss, fromPglite, type Db } from "pg-boss";
import type { DatabaseHandle } from "@/db/client";

/** pg-boss's own tables live here: never dumped, never guarded by read-only mode. */
export const bossSchema = "pgboss";

/**
 * On PGlite (one connection) a statement issued while a transaction is open
 * waits for it to end. The claim gate (see runner.ts) fetches a job inside its
 * transaction, and pg-boss may look a queue up on its way: both must go through
 * that transaction or they would wait for it forever. This store says which
 * transaction the current async call chain is in.
 */
const pgliteTransaction = new AsyncLocalStorage<Transaction>();

export function inPgliteTransaction<T>(tx: Transaction, run: () => Promise<T>): Promise<T> {
  return pgliteTransaction.run(tx, run);
}

function pgliteAdapter(client: PGlite): Db {
  const outside = fromPglite(client);
  return {
    ...outside,
    async executeSql(text: string, values?: unknown[]) {
      const tx = pgliteTransaction.getStore();
      if (!tx) return outside.executeSql(text, values);
      const result = await tx.query(text, values ?? []);
      return { rows: result.rows };
    },
  };
}

export interface BossOptions {
  /** Whether this instance forwards cron schedules into jobs (every node may). */
  schedule?: boolean;
  /** A pg-boss schema of its own (the store's restores), so pausing the instance's jobs leaves it alone. */
  schema?: string;
  /** How often pg-boss looks for expired jobs and silent workers (its default: 60). */
  superviseIntervalSeconds?: number;
}

/**
 * A pg-boss instance on the app's database. PGlite goes through pg-boss's
 * `fromPglite` adapter (backend "pglite"). PostgreSQL goes through pg-boss's
 * own `pg` pool on the same URL, a few connections: its default driver, the
 * one it is tested with, which runs its multi-statement migration scripts
 * (`BEGIN ... COMMIT` in one message) as written. `fromDrizzle` over
 * postgres.js would need those scripts on a reserved connection, and nothing
 * here needs pg-boss inside the app's own transactions on PostgreSQL (see
 * runner.ts for why the fetch does not).
 */
export function createBoss(handle: DatabaseHandle, options: BossOptions = {}): PgBoss {
  const common = {
    schema: options.schema ?? bossSchema,
    schedule: options.schedule ?? true,
    // Workers are ours (runner.ts); pg-boss keeps the record, cron, expiry and retries.
    supervise: true,
    migrate: true,
    ...(options.superviseIntervalSeconds
      ? { superviseIntervalSeconds: options.superviseIntervalSeconds }
      : {}),
  };
  if (handle.engine === "pglite") {
    return new PgBoss({
      ...common,
      db: pgliteAdapter(handle.raw as PGlite),
      backend: "pglite",
    });
  }
  if (!handle.url) throw new Error("a PostgreSQL handle without a URL cannot host pg-boss");
  return new PgBoss({ ...common, connectionString: handle.url, max: 3 });
}
