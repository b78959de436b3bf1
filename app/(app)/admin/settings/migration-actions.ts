"use server";

import { z } from "zod";
import { defineAction } from "@/app/_lib/action";
import { migrationContext } from "@/app/_lib/migration-context";
import { id } from "@/lib/content";
import { AppError } from "@/lib/errors";
import { afterDoneChoices } from "@/db/schema/migration-states";
import {
  cancelMigration,
  getMigration,
  preflightPasses,
  resumeEditingHere,
  runPreflight,
  startMigration,
  toView,
} from "@/lib/migration";

export const startMigrationAction = defineAction(
  {
    name: "migration.start",
    role: "admin",
    input: z.object({ afterDone: z.enum(afterDoneChoices) }),
  },
  async ({ actor, input }) => {
    const context = await migrationContext();
    // The page showed the checks; the action runs them again and trusts only its own.
    const checks = await runPreflight(context);
    if (!preflightPasses(checks)) {
      const failed = checks
        .filter((c) => c.status === "fail")
        .map((c) => `${c.title}: ${c.detail}`);
      throw new AppError("conflict", "preflight", `Pre-flight checks failed. ${failed.join(" ")}`);
    }
    const id = await startMigration(context, actor, { afterDone: input.afterDone });
    // The page shows this view at once and replays every change after it.
    const row = await getMigration(context.handle.db, id);
    if (!row) throw new AppError("not_found", "migration", "The migration vanished.");
    return { view: toView(row) };
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

export const resumeEditingAction = defineAction(
  // The instance is read-only (it moved): this is the way out of it.
  { name: "migration.resume_editing", role: "admin", input: z.object({}), allowInReadOnly: true },
  async ({ actor }) => {
    await resumeEditingHere(await migrationContext(), actor);
    return null;
  },
  { revalidate: () => ["/admin/settings"] },
);
