import type { LoadTarget } from "./load-target";
import { quoteIdent } from "./tables";

/** The schema's keys and indexes, as taken off before a load. */
export interface KeysAndIndexes {
  /** [table, name, definition]: keys (primary, unique, exclusion) and foreign keys. */
  constraints: (string | null)[][];
  /** [index, definition]: indexes no constraint owns. */
  indexes: (string | null)[][];
}

/** Takes the keys and indexes of the `public` tables off, and returns them. */
export async function dropKeysAndIndexes(target: LoadTarget): Promise<KeysAndIndexes> {
  // Foreign keys first (they depend on the keys they reference).
  const constraints = await target.query(`
    select conrelid::regclass::text, conname::text, pg_get_constraintdef(oid)
    from pg_constraint
    where connamespace = 'public'::regnamespace and contype in ('f', 'p', 'u', 'x')
    order by contype = 'f' desc, 1, 2`);
  const indexes = await target.query(`
    select i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
    from pg_index i join pg_class c on c.oid = i.indrelid
    where c.relnamespace = 'public'::regnamespace
      and not exists (select from pg_constraint k where k.conindid = i.indexrelid)
    order by 1`);
  for (const [table, name] of constraints) {
    await target.exec(`alter table ${table} drop constraint ${quoteIdent(name!)}`);
  }
  for (const [index] of indexes) await target.exec(`drop index ${index}`);
  return { constraints, indexes };
}

/** Runs every statement once, each target taking the next as soon as it is free. */
async function spread(targets: LoadTarget[], statements: string[]): Promise<void> {
  const queue = [...statements];
  await Promise.all(
    targets.map(async (target) => {
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
        await target.exec(next);
      }
    }),
  );
}

/**
 * Puts keys and indexes back: indexes, then keys, then the foreign keys that
 * reference them, each step spread over `targets` (one, or several
 * connections of a parallel load).
 */
export async function restoreKeysAndIndexes(
  targets: LoadTarget[],
  { constraints, indexes }: KeysAndIndexes,
): Promise<void> {
  const add = ([table, name, definition]: (string | null)[]) =>
    `alter table ${table} add constraint ${quoteIdent(name!)} ${definition}`;
  const isForeign = (c: (string | null)[]) => c[2]!.startsWith("FOREIGN KEY");
  await spread(
    targets,
    indexes.map(([, definition]) => definition!),
  );
  await spread(targets, constraints.filter((c) => !isForeign(c)).map(add));
  await spread(targets, constraints.filter(isForeign).map(add));
}

/**
 * Runs `load` with the schema's keys and indexes taken off, and puts them
 * back after it, inside the same transaction, as pg_restore does: building
 * an index once over the loaded rows is much faster than maintaining it row
 * by row, and chunks of a table may reference rows of the same table in a
 * later chunk. Re-creating a key checks every row, so a duplicate or a
 * dangling reference still fails the load (and rolls it back).
 */
export async function withoutKeysAndIndexes(
  target: LoadTarget,
  load: () => Promise<void>,
): Promise<void> {
  const keys = await dropKeysAndIndexes(target);
  await load();
  await restoreKeysAndIndexes([target], keys);
}
