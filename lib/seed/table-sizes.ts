import { sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { rowsOf } from "@/db/rows";

export interface TableSize {
  table: string;
  rows: number;
  /** Heap, TOAST and indexes: what the table costs on disk. */
  bytes: number;
}

/** Every table of the app schema with its exact row count and total size. */
export async function measureTables(db: Database): Promise<TableSize[]> {
  const tables = rowsOf<{ table: string; bytes: string }>(
    await db.execute(sql`
      select c.relname as "table", pg_total_relation_size(c.oid)::text as bytes
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = 'public' and c.relkind = 'r'
       order by c.relname`),
  );
  const sizes: TableSize[] = [];
  for (const { table, bytes } of tables) {
    const [count] = rowsOf<{ rows: string }>(
      await db.execute(sql`select count(*)::text as rows from ${sql.identifier(table)}`),
    );
    sizes.push({ table, rows: Number(count?.rows ?? 0), bytes: Number(bytes) });
  }
  return sizes;
}
