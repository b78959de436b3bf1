import { getTableConfig } from "drizzle-orm/pg-core";
import { appTables } from "@/db/app-tables";
import * as schema from "@/db/schema";

export interface DumpTable {
  name: string;
  /** Position in foreign-key-safe order: referenced tables come first. */
  order: number;
  /** Copied as structure only: the cloud copy must not carry the migration in progress. */
  excluded: boolean;
}

/**
 * `cloud_migration` holds this instance's own attempts to leave, including
 * the one in progress while the dump runs. A restored instance starting with
 * that row would believe a migration is under way (the unique partial index
 * would even block a new one), so its contents are never dumped; the table
 * itself comes with the schema.
 */
export const excludedTables: ReadonlySet<string> = new Set([
  getTableConfig(schema.cloudMigration).name,
  // The upload of that same migration: meaningless (and dangling) elsewhere.
  getTableConfig(schema.cloudMigrationUpload).name,
  getTableConfig(schema.cloudMigrationPart).name,
  getTableConfig(schema.cloudMigrationEvent).name,
]);

/**
 * Every table of schema `public` that the Drizzle schema defines, in an order
 * where each table follows the tables it references (self-references are
 * ignored: a table is always restored by one statement in restore.sql, and
 * `load` re-creates foreign keys after the data anyway).
 */
export function dumpTables(): DumpTable[] {
  const configs = appTables().map((table) => getTableConfig(table));
  const references = new Map<string, Set<string>>();
  for (const config of configs) {
    const targets = new Set<string>();
    for (const fk of config.foreignKeys) {
      const target = getTableConfig(fk.reference().foreignTable).name;
      if (target !== config.name) targets.add(target);
    }
    references.set(config.name, targets);
  }
  const ordered: string[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (name: string, path: string[]) => {
    if (state.get(name) === "done") return;
    if (state.get(name) === "visiting") {
      throw new Error(`foreign keys form a cycle: ${[...path, name].join(" -> ")}`);
    }
    state.set(name, "visiting");
    for (const target of [...(references.get(name) ?? [])].sort()) visit(target, [...path, name]);
    state.set(name, "done");
    ordered.push(name);
  };
  for (const name of [...references.keys()].sort()) visit(name, []);
  return ordered.map((name, order) => ({ name, order, excluded: excludedTables.has(name) }));
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function quoteLiteral(value: string): string {
  // standard_conforming_strings is on in every session the dump opens.
  return `'${value.replace(/'/g, "''")}'`;
}

export function qualified(table: string): string {
  return `${quoteIdent("public")}.${quoteIdent(table)}`;
}
