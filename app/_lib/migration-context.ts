import "server-only";
import { migrationContextFromEnv, type MigrationContext } from "@/lib/migration";
import { getDatabaseHandle, localNode } from "@/lib/runtime";

/** The migration context of this server process. */
export async function migrationContext(): Promise<MigrationContext> {
  return migrationContextFromEnv(await getDatabaseHandle(), localNode().nodeId);
}
