import { sql } from "drizzle-orm";
import { getTableConfig } from "drizzle-orm/pg-core";
import { appTables } from "@/db/app-tables";
import type { Database } from "@/db/client";
import { rowsOf } from "@/db/rows";
import type { TextQuery } from "@/lib/dump/catalog";
import type { DigestSpec } from "@/lib/dump/delta/digest";
import { capturedTables } from "@/lib/dump/delta/capture";
import { quoteLiteral } from "@/lib/dump/tables";
import { readOnlyGuardPlan } from "@/lib/read-only/tables";

export { installCapture, removeCapture, captureInstalled } from "@/lib/dump/delta/capture";

/** A text query on the app's database, outside any snapshot. */
export function captureQuery(db: Database): TextQuery {
  return async (text) =>
    rowsOf<Record<string, string | null>>(await db.execute(sql.raw(text))).map((row) =>
      Object.values(row).map((v) => (v === null ? null : String(v))),
    );
}

/** The planner's estimate of the rows the copy holds: cheap, and enough to size a delta against. */
export async function copiedRowsEstimate(db: Database): Promise<number> {
  const tables = capturedTables().map(quoteLiteral).join(", ");
  const [row] = rowsOf<{ rows: string | number | null }>(
    await db.execute(
      // reltuples is -1 until a table is first analyzed; the live-row count fills in.
      sql.raw(`select coalesce(sum(greatest(c.reltuples, s.n_live_tup, 0)), 0) as rows
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      left join pg_stat_user_tables s on s.relid = c.oid
      where n.nspname = 'public' and c.relkind = 'r' and c.relname in (${tables})`),
    ),
  );
  return Number(row?.rows ?? 0);
}

/**
 * What the final delta's digests cover: what read-only mode freezes. A
 * table exempt as a whole (the logs, sessions) goes on changing and is left
 * out; of a table with exempt columns, the other columns; of one with exempt
 * rows, the other rows. The cloud must match every digest before done.
 */
export function frozenDigestSpecs(): DigestSpec[] {
  const copied = new Set(capturedTables());
  const columnsOf = new Map(
    appTables().map((t) => {
      const config = getTableConfig(t);
      return [config.name, config.columns.map((c) => c.name)] as const;
    }),
  );
  const specs: DigestSpec[] = [];
  for (const { table, exemption } of readOnlyGuardPlan()) {
    if (!copied.has(table) || exemption?.kind === "table") continue;
    const columns = columnsOf.get(table) ?? [];
    if (exemption?.kind === "columns") {
      specs.push({ table, columns: columns.filter((c) => !exemption.columns.includes(c)) });
    } else if (exemption?.kind === "rows") {
      specs.push({
        table,
        columns,
        exclude: { column: exemption.column, keys: [...exemption.keys] },
      });
    } else {
      specs.push({ table, columns });
    }
  }
  return specs;
}
