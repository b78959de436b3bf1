import { getTableConfig } from "drizzle-orm/pg-core";
import { settings } from "@/db/schema";
import { instanceOnlySettings } from "@/lib/settings/instance-only";
import { quoteIdent, quoteLiteral } from "./tables";

const settingsTable = getTableConfig(settings).name;
const keyColumn = quoteIdent(settings.key.name);

/**
 * A condition on the rows of `table` that may leave this instance, or null
 * when all may. The session-signing secret is the one such row today: an
 * archive carrying it would let its holder sign in as anyone on the source
 * (see lib/settings/instance-only.ts). Rows are left out at read time, so the
 * manifest's counts and checksums describe exactly what the archive holds.
 */
export function exportableRows(table: string): string | null {
  if (table !== settingsTable || instanceOnlySettings.length === 0) return null;
  return `${keyColumn} not in (${instanceOnlySettings.map(quoteLiteral).join(", ")})`;
}

/** The settings a dump leaves out, for the manifest. */
export function excludedSettings(): string[] {
  return [...instanceOnlySettings];
}
