import { is } from "drizzle-orm";
import { getTableConfig, PgTable } from "drizzle-orm/pg-core";
import * as schema from "./schema";

/**
 * Every table of the app's own schema (`public`), read from the Drizzle
 * schema: what the dump copies and the read-only guard protects. Tables in
 * other schemas (cluster control, the store) are neither.
 */
export function appTables(): PgTable[] {
  const exported: unknown[] = Object.values(schema);
  return exported.filter(
    (value): value is PgTable => is(value, PgTable) && getTableConfig(value).schema === undefined,
  );
}
