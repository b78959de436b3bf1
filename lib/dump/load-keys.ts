import type { LoadTarget } from "./load-target";
import { quoteIdent } from "./tables";

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
  // Foreign keys first (they depend on the keys they reference), back last.
  const constraints = await target.query(`
    select conrelid::regclass::text, conname::text, pg_get_constraintdef(oid)
    from pg_constraint
    where connamespace = 'public'::regnamespace and contype in ('f', 'p', 'u', 'x')
    order by contype = 'f' desc, 1, 2`);
  // Indexes that no constraint owns.
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
  await load();
  for (const [, definition] of indexes) await target.exec(definition!);
  for (const [table, name, definition] of [...constraints].reverse()) {
    await target.exec(`alter table ${table} add constraint ${quoteIdent(name!)} ${definition}`);
  }
}
