"use client";

import { useRouter } from "next/navigation";
import { useEffect } from "react";
import type { MigrationView } from "@/lib/migration/row";
import { isTerminal, stateLabels } from "@/lib/migration/states";
import { ConfirmedAction } from "./confirm-dialog";
import { formatBytes, formatDuration } from "./format";
import { cancelMigrationAction } from "./migration-actions";
import { useLiveMigration } from "./use-live-migration";

const ordinal = (n: number) =>
  `${n}${n % 100 >= 11 && n % 100 <= 13 ? "th" : (["th", "st", "nd", "rd"][n % 10] ?? "th")}`;

/** After the upload, the cloud's own phase; before, the migration's. */
function phaseLabel(view: MigrationView): string {
  if (view.state !== "upload" || !view.cloudPhase) return stateLabels[view.state];
  switch (view.cloudPhase) {
    case "queued":
      return `Waiting for the cloud (${ordinal(view.cloudQueuePosition ?? 1)} in line)…`;
    case "verifying":
      return "Copying — you can keep working. The cloud is verifying the snapshot…";
    case "restoring":
      return "Copying — you can keep working. The cloud is restoring the snapshot…";
    default:
      return "Copying — you can keep working. The cloud received the snapshot…";
  }
}

export function MigrationProgress({
  initial,
  replayFrom,
  onFinished,
}: {
  initial: MigrationView;
  /** Show every change after this version (a migration this page just started). */
  replayFrom?: number;
  onFinished?: () => void;
}) {
  const router = useRouter();
  const view = useLiveMigration(initial, replayFrom);
  const finished = isTerminal(view.state);
  useEffect(() => {
    if (!finished || isTerminal(initial.state)) return;
    // Let the last step show, then hand over to the server's view of the ending.
    const timer = setTimeout(() => {
      onFinished?.();
      router.refresh();
    }, 300);
    return () => clearTimeout(timer);
  }, [finished, initial.state, router, onFinished]);

  return (
    <div data-testid="migration-progress-panel">
      <div className="flex items-baseline justify-between">
        <p className="font-medium" data-testid="migration-state" data-state={view.state}>
          {phaseLabel(view)}
        </p>
        <p className="text-sm text-slate-600">{view.progress}%</p>
      </div>
      <div
        role="progressbar"
        aria-label="Migration progress"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={view.progress}
        data-testid="migration-progress"
        className="mt-2 h-3 w-full overflow-hidden rounded bg-slate-200"
      >
        <div
          className={`h-full transition-all ${view.state === "error" ? "bg-red-500" : view.state === "cancelled" ? "bg-slate-400" : "bg-indigo-600"}`}
          style={{ width: `${view.progress}%` }}
        />
      </div>
      <dl className="mt-3 grid grid-cols-3 gap-2 text-sm text-slate-600">
        <div>
          <dt className="text-xs uppercase">Done</dt>
          <dd data-testid="migration-bytes">
            {formatBytes(view.bytesDone)} of{" "}
            {/* The dump's total is the tables' size on disk: what it writes comes out smaller. */}
            {view.state === "dump" && view.bytesTotal !== null ? "about " : ""}
            {formatBytes(view.bytesTotal)}
          </dd>
        </div>
        <div>
          <dt className="text-xs uppercase">Throughput</dt>
          <dd>
            {view.throughputBytesPerSecond
              ? `${formatBytes(view.throughputBytesPerSecond)}/s`
              : "—"}
          </dd>
        </div>
        <div>
          <dt className="text-xs uppercase">Time left</dt>
          <dd data-testid="migration-eta">{formatDuration(view.etaSeconds)}</dd>
        </div>
      </dl>
      {!finished && (
        <div className="mt-4">
          <ConfirmedAction
            label="Cancel migration"
            buttonClassName="rounded-md bg-red-600 px-3 py-2 text-sm font-medium text-white"
            dialog={{
              title: "Cancel the migration?",
              body: "The upload stops, the cloud discards what arrived, and this instance becomes writable again. Nothing is lost here.",
              confirmLabel: "Cancel migration",
              danger: true,
            }}
            action={() => {
              const form = new FormData();
              form.set("id", String(view.id));
              return cancelMigrationAction(null, form);
            }}
          />
        </div>
      )}
    </div>
  );
}
