import { quoteIdent } from "../tables";
import { shareOut } from "./share-out";
import { execAll, type LoadTarget } from "./target";

export interface KeyStatement {
  /** The table's name in `public`, as the manifest names it. */
  table: string;
  /** What puts the key or index back. */
  sql: string;
  /** A foreign key's referenced table. */
  references?: string;
}

/** The schema's keys and indexes, as taken off before a load. */
export interface KeysAndIndexes {
  /** Indexes, primary keys, unique and exclusion constraints: each needs only its own table. */
  own: KeyStatement[];
  /** Foreign keys: each needs the key it references, on another table or its own. */
  foreign: KeyStatement[];
}

/** Takes the keys and indexes of the `public` tables off, and returns them. */
export async function dropKeysAndIndexes(target: LoadTarget): Promise<KeysAndIndexes> {
  // Foreign keys first (they depend on the keys they reference).
  const constraints = await target.query(`
    select conrelid::regclass::text, conname::text, pg_get_constraintdef(k.oid),
           c.relname::text, (contype = 'f')::text, r.relname::text
    from pg_constraint k join pg_class c on c.oid = k.conrelid
      left join pg_class r on r.oid = k.confrelid
    where connamespace = 'public'::regnamespace and contype in ('f', 'p', 'u', 'x')
    order by contype = 'f' desc, 1, 2`);
  // Indexes that no constraint owns.
  const indexes = await target.query(`
    select i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid), c.relname::text
    from pg_index i join pg_class c on c.oid = i.indrelid
    where c.relnamespace = 'public'::regnamespace
      and not exists (select from pg_constraint k where k.conindid = i.indexrelid)
    order by 1`);
  const keys: KeysAndIndexes = { own: [], foreign: [] };
  await execAll(target, [
    ...constraints.map(
      ([table, name]) => `alter table ${table} drop constraint ${quoteIdent(name!)}`,
    ),
    ...indexes.map(([index]) => `drop index ${index}`),
  ]);
  for (const [, definition, table] of indexes) keys.own.push({ table: table!, sql: definition! });
  for (const [qualifiedTable, name, definition, table, foreign, references] of constraints) {
    const sql = `alter table ${qualifiedTable} add constraint ${quoteIdent(name!)} ${definition}`;
    if (foreign === "true") keys.foreign.push({ table: table!, sql, references: references! });
    else keys.own.push({ table: table!, sql });
  }
  return keys;
}

/** Runs every statement once, spread over `targets` (see shareOut). */
const spread = (targets: LoadTarget[], statements: KeyStatement[]) =>
  shareOut(targets, statements, (target, key) => target.exec(key.sql));

/**
 * Puts keys and indexes back: the tables' own, then the foreign keys that
 * reference them, each step spread over `targets` (one, or several
 * connections of a parallel load).
 */
export async function restoreKeysAndIndexes(
  targets: LoadTarget[],
  keys: KeysAndIndexes,
): Promise<void> {
  await spread(targets, keys.own);
  await spread(targets, keys.foreign);
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
