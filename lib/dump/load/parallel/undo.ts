import { quoteIdent } from "../../tables";
import type { LoadTarget } from "../target";

/** The schemas present before the load: anything else in the end is the load's own. */
export async function schemaNames(target: LoadTarget): Promise<Set<string>> {
  return new Set((await target.query("select nspname::text from pg_namespace")).map((r) => r[0]!));
}

/**
 * Drops what a failed load created. The target had no relation in `public`
 * and no migration record when the load began (prepareTarget refuses it
 * otherwise), so every relation there now, and every new schema, is the load's.
 */
export async function undo(target: LoadTarget, schemasBefore: Set<string>): Promise<void> {
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
