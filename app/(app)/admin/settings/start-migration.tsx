"use client";

import { useState, useTransition, type ReactNode } from "react";
import type { AfterDone } from "@/db/schema/migration-states";
import type { MigrationView } from "@/lib/migration/row";
import { ConfirmDialog } from "./confirm-dialog";
import { startMigrationAction } from "./migration-actions";
import { MigrationProgress } from "./migration-progress";
import { useMigrationStartedElsewhere } from "./use-live-migration";

/**
 * The checks and the start button, or the live progress of the migration
 * under way. One component holds both so the progress keeps its place in the
 * tree whoever found the migration: this page's start (replayed from its
 * first change so no phase is missed), the server's render, or a refresh
 * after another tab started one. A refresh mid-migration (the read-only
 * banner refreshes the page when the freeze begins) must not remount the
 * progress, or an open "Cancel migration?" dialog would vanish under the
 * admin's pointer.
 */
export function StartMigration({
  active,
  latestId,
  canStart,
  copyEstimate,
  children,
}: {
  /** The migration under way when the server rendered the page. */
  active: MigrationView | null;
  /** The newest migration the server knew of, to notice one started elsewhere. */
  latestId: number | null;
  canStart: boolean;
  copyEstimate: string;
  children: ReactNode;
}) {
  const [confirming, setConfirming] = useState(false);
  const [pending, startTransition] = useTransition();
  const [error, setError] = useState<string | null>(null);
  const [started, setStarted] = useState<MigrationView | null>(null);
  const [afterDone, setAfterDone] = useState<AfterDone>("read_only");
  const start = () =>
    startTransition(async () => {
      setConfirming(false);
      setError(null);
      const form = new FormData();
      form.set("afterDone", afterDone);
      const result = await startMigrationAction(null, form);
      if (result.ok) setStarted(result.data.view);
      else setError(result.error.message);
    });
  const shown = started ?? active;
  useMigrationStartedElsewhere(latestId, shown === null && !pending);
  if (shown !== null) {
    return (
      <MigrationProgress
        key={shown.id}
        initial={shown}
        replayFrom={started ? 0 : undefined}
        onFinished={() => setStarted(null)}
      />
    );
  }
  return (
    <>
      {children}
      <button
        type="button"
        disabled={!canStart || pending}
        onClick={() => setConfirming(true)}
        data-testid="start-migration"
        className="rounded-md bg-indigo-600 px-3 py-2 text-sm font-medium text-white hover:bg-indigo-500 disabled:opacity-50"
      >
        {pending ? "Starting…" : "Migrate to Cloud"}
      </button>
      {error && (
        <p role="alert" className="mt-2 text-sm text-red-700" data-testid="migration-start-error">
          {error}
        </p>
      )}
      {confirming && (
        <ConfirmDialog
          title="Migrate this instance to the cloud?"
          body={`Liftoff copies its data while everyone keeps working (${copyEstimate}), then is read-only for a few seconds while the last changes are copied. Reads and sign-in keep working. You can cancel at any time.`}
          confirmLabel="Start migration"
          onConfirm={start}
          onClose={() => setConfirming(false)}
        >
          <fieldset className="mt-4 space-y-2 text-sm" data-testid="after-done-choice">
            <legend className="font-medium">Once the cloud has the copy</legend>
            <label className="flex gap-2">
              <input
                type="radio"
                name="afterDone"
                value="read_only"
                checked={afterDone === "read_only"}
                onChange={() => setAfterDone("read_only")}
              />
              <span>
                Keep this instance read-only and point everyone to the cloud (recommended: the copy
                never drifts from what moved)
              </span>
            </label>
            <label className="flex gap-2">
              <input
                type="radio"
                name="afterDone"
                value="writable"
                checked={afterDone === "writable"}
                onChange={() => setAfterDone("writable")}
              />
              <span>Let this instance keep working (its changes will not reach the cloud)</span>
            </label>
          </fieldset>
        </ConfirmDialog>
      )}
    </>
  );
}
