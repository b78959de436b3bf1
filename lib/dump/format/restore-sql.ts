import { qualified, quoteIdent, quoteLiteral } from "../tables";
import type { DumpManifest } from "./manifest";

/** The statement that moves a sequence past the archive's state and the table's rows. */
export function setSequenceSql(sequence: DumpManifest["sequences"][number]): string {
  const table = qualified(sequence.table);
  const column = quoteIdent(sequence.column);
  return `SELECT setval(pg_get_serial_sequence(${quoteLiteral(table)}, ${quoteLiteral(sequence.column)}), greatest(${sequence.nextValue}, (SELECT coalesce(max(${column}), 0) + 1 FROM ${table})), false)`;
}

/**
 * restore.sql: restores the extracted archive into an empty PostgreSQL
 * database with psql and gzip alone. One `\copy` per table reads all of its
 * chunks as one stream (gzip -dc concatenates), so rows that reference rows
 * of the same table in a later chunk are checked at the end of the statement;
 * tables come in foreign-key order. Everything is one transaction.
 */
export function restoreSql(
  manifest: Pick<DumpManifest, "tables" | "excludedTables" | "sequences" | "schema">,
): string {
  const allTables = [
    ...manifest.tables.map((t) => t.name),
    ...manifest.excludedTables.map((t) => t.name),
  ];
  const lines = [
    `-- Restores this Liftoff archive (schema ${manifest.schema.migrationId}) into an EMPTY PostgreSQL database.`,
    "-- Run it from the folder the archive was extracted into, e.g.:",
    "--   mkdir dump && tar -xf liftoff.tar -C dump && cd dump",
    "--   psql -d postgres://user@host/newdb -f restore.sql",
    "\\set ON_ERROR_STOP on",
    "SET client_encoding = 'UTF8';",
    "SET standard_conforming_strings = on;",
    "BEGIN;",
    "\\ir schema.sql",
    "-- Rows a migration may have inserted are replaced by the archive's.",
    `TRUNCATE ${allTables.map(qualified).join(", ")};`,
  ];
  for (const table of [...manifest.tables].sort((a, b) => a.order - b.order)) {
    if (table.files.length === 0) continue;
    const columns = table.columns.map(quoteIdent).join(", ");
    const files = table.files.map((f) => f.path).join(" ");
    lines.push(`\\copy ${qualified(table.name)} (${columns}) from program 'gzip -dc ${files}'`);
  }
  for (const sequence of manifest.sequences) lines.push(setSequenceSql(sequence) + ";");
  lines.push("COMMIT;", "");
  return lines.join("\n");
}
