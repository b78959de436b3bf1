import { getTableConfig, type PgTable } from "drizzle-orm/pg-core";
import { appTables } from "@/db/app-tables";
import * as schema from "@/db/schema";
import { settingsWrittenWhileFrozen } from "@/lib/settings/instance-only";

/**
 * What read-only mode lets through. Anything not named here is blocked: a
 * table added to the schema later is guarded without anyone remembering.
 * `columns`: updates that change only these columns pass (opening a card
 * stamps `last_used_at`; signing in stamps `last_login_at`).
 * `rows`: only rows whose `column` holds one of `keys` may change.
 */
export type Exemption =
  | { kind: "table" }
  | { kind: "columns"; columns: string[] }
  | { kind: "rows"; column: string; keys: readonly string[] };

const exemptions = new Map<PgTable, Exemption>([
  [schema.loginHistory, { kind: "table" }],
  [schema.auditLog, { kind: "table" }],
  [schema.viewLog, { kind: "table" }],
  // An admin's setting edited while frozen would never reach the cloud: only
  // the keys the instance itself must write then pass (see that list).
  [schema.settings, { kind: "rows", column: "key", keys: settingsWrittenWhileFrozen }],
  [schema.cloudMigration, { kind: "table" }],
  // The upload of the migration's archive is recorded while writes are frozen.
  [schema.cloudMigrationUpload, { kind: "table" }],
  [schema.cloudMigrationPart, { kind: "table" }],
  [schema.cloudMigrationEvent, { kind: "table" }],
  [schema.cards, { kind: "columns", columns: ["last_used_at", "updated_at"] }],
  [schema.users, { kind: "columns", columns: ["last_login_at", "updated_at"] }],
]);

export interface GuardPlanEntry {
  table: string;
  exemption: Exemption | null;
}

/** Each app table with what it is allowed in read-only mode (null: nothing). */
export function readOnlyGuardPlan(): GuardPlanEntry[] {
  return appTables()
    .map((table) => ({
      table: getTableConfig(table).name,
      exemption: exemptions.get(table) ?? null,
    }))
    .sort((a, b) => a.table.localeCompare(b.table));
}
