"use server";

import { z } from "zod";
import { defineAction } from "@/app/_lib/action";
import { migrationContext } from "@/app/_lib/migration-context";
import { id } from "@/lib/content";
import { AppError } from "@/lib/errors";
import { cancelMigration, preflightPasses, runPreflight, startMigration } from "@/lib/migration";

export const startMigrationAction = defineAction(
  { name: "migration.start", role: "admin", input: z.object({}) },
  async ({ actor }) => {
    const context = await migrationContext();
    // The page showed the checks; the action runs them again and trusts only its own.
    const checks = await runPreflight(context);
    if (!preflightPasses(checks)) {
      const failed = checks
        .filter((c) => c.status === "fail")
        .map((c) => `${c.title}: ${c.detail}`);
      throw new AppError("conflict", "preflight", `Pre-flight checks failed. ${failed.join(" ")}`);
    }
    return { id: await startMigration(context, actor) };
  },
  // No revalidation: the page shows the migration it started from its first
  // change (a re-render now would jump in half-way).
);

export const cancelMigrationAction = defineAction(
  // Cancelling must work while the migration holds read-only mode.
  { name: "migration.cancel", role: "admin", input: z.object({ id }), allowInReadOnly: true },
  async ({ actor, input }) => {
    await cancelMigration(await migrationContext(), actor, input.id);
    return null;
  },
  { revalidate: () => ["/admin/settings"] },
);
