"use client";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useEffect, useState, useTransition, type ReactNode } from "react";
import { readErrorBody } from "@/lib/errors/http";
import type { MigrationView } from "@/lib/migration/row";
import { isTerminal, stateLabels } from "@/lib/migration/states";
import { cancelMigrationAction, startMigrationAction } from "./migration-actions";
import { formatBytes, formatDuration } from "./format";

const stepMs = 150;

/**
 * Keeps one migration live: the server's render first, then Server-Sent
 * Events into React Query's cache; if the stream fails, polling takes over.
 */
function useLiveMigration(initial: MigrationView, replayFrom?: number) {
  const client = useQueryClient();
  const { id, state: initialState } = initial;
  const [streamFailed, setStreamFailed] = useState(false);
  const query = useQuery({
    queryKey: ["migration", id],
    queryFn: async () => {
      const response = await fetch(`/api/migrations/${id}`, { cache: "no-store" });
      if (!response.ok) throw new Error((await readErrorBody(response)).message);
      return (await response.json()) as MigrationView;
    },
    initialData: initial,
    refetchInterval: (q) => (streamFailed && !isTerminal(q.state.data?.state ?? "") ? 1500 : false),
  });
  useEffect(() => {
    if (isTerminal(initialState)) return;
    const key = ["migration", id];
    const replay = replayFrom === undefined ? "" : `?since=${replayFrom}`;
    const source = new EventSource(`/api/migrations/${id}/events${replay}`);
    // Changes are shown one after another, at least `stepMs` apart, so a
    // replay of several phases at once still shows each of them; consecutive
    // changes within one phase collapse into the latest.
    const queue: MigrationView[] = [];
    let timer: ReturnType<typeof setTimeout> | null = null;
    const drain = () => {
      const next = queue.shift();
      if (!next) {
        timer = null; // nothing waited: the next change shows at once
        return;
      }
      client.setQueryData<MigrationView>(key, (old) =>
        !old || next.version >= old.version ? next : old,
      );
      timer = setTimeout(drain, stepMs);
    };
    source.addEventListener("progress", (event) => {
      const view = JSON.parse((event as MessageEvent<string>).data) as MigrationView;
      const last = queue.at(-1);
      if (last && last.state === view.state) queue[queue.length - 1] = view;
      else queue.push(view);
      if (!timer) drain();
    });
    source.addEventListener("end", () => source.close());
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED) setStreamFailed(true);
    };
    return () => {
      source.close();
      if (timer) clearTimeout(timer);
    };
  }, [client, id, initialState, replayFrom]);
  return query.data;
}

function ConfirmDialog({
  title,
  body,
  confirmLabel,
  danger,
  onConfirm,
  onClose,
}: {
  title: string;
  body: string;
  confirmLabel: string;
  danger?: boolean;
  onConfirm: () => void;
  onClose: () => void;
}) {
  return (
    <div className="fixed inset-0 z-10 flex items-center justify-center bg-slate-900/40 p-4">
      <div
        role="dialog"
        aria-modal="true"
        aria-label={title}
        className="max-w-md rounded-lg bg-white p-6 shadow-xl"
      >
        <h3 className="text-lg font-semibold">{title}</h3>
        <p className="mt-2 text-sm text-slate-600">{body}</p>
        <div className="mt-5 flex justify-end gap-2">
          <button
            type="button"
            onClick={onClose}
            className="rounded-md border border-slate-300 px-3 py-2 text-sm"
          >
            Back
          </button>
          <button
            type="button"
            onClick={onConfirm}
            className={`rounded-md px-3 py-2 text-sm font-medium text-white ${danger ? "bg-red-600" : "bg-indigo-600"}`}
          >
            {confirmLabel}
          </button>
        </div>
      </div>
    </div>
  );
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
  const [confirming, setConfirming] = useState(false);
  const [pending, startTransition] = useTransition();
  const [error, setError] = useState<string | null>(null);
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

  const cancel = () =>
    startTransition(async () => {
      setConfirming(false);
      const form = new FormData();
      form.set("id", String(view.id));
      const result = await cancelMigrationAction(null, form);
      if (!result.ok) setError(result.error.message);
    });

  return (
    <div data-testid="migration-progress-panel">
      <div className="flex items-baseline justify-between">
        <p className="font-medium" data-testid="migration-state" data-state={view.state}>
          {view.state === "upload" && view.progress >= 99
            ? "The cloud is verifying and restoring the snapshot…"
            : stateLabels[view.state]}
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
          <dd>{formatDuration(view.etaSeconds)}</dd>
        </div>
      </dl>
      {!finished && (
        <button
          type="button"
          disabled={pending}
          onClick={() => setConfirming(true)}
          className="mt-4 rounded-md bg-red-600 px-3 py-2 text-sm font-medium text-white disabled:opacity-50"
        >
          Cancel migration
        </button>
      )}
      {error && (
        <p role="alert" className="mt-2 text-sm text-red-700">
          {error}
        </p>
      )}
      {confirming && (
        <ConfirmDialog
          title="Cancel the migration?"
          body="The upload stops, the cloud discards what arrived, and this instance becomes writable again. Nothing is lost here."
          confirmLabel="Cancel migration"
          danger
          onConfirm={cancel}
          onClose={() => setConfirming(false)}
        />
      )}
    </div>
  );
}

/** What the page knows of a migration it has just started, until the stream speaks. */
function justStarted(id: number): MigrationView {
  return {
    id,
    state: "init",
    progress: 0,
    bytesDone: 0,
    bytesTotal: null,
    throughputBytesPerSecond: null,
    etaSeconds: null,
    error: null,
    restoredTables: null,
    cloudUrl: null,
    createdAt: new Date().toISOString(),
    finishedAt: null,
    readOnlyFrom: null,
    readOnlyUntil: null,
    version: 0,
  };
}

/**
 * The checks and the start button; once started, the live progress in their
 * place, replaying the migration from its first change so no phase is missed.
 */
export function StartMigration({
  canStart,
  readOnlyEstimate,
  children,
}: {
  canStart: boolean;
  readOnlyEstimate: string;
  children: ReactNode;
}) {
  const [confirming, setConfirming] = useState(false);
  const [pending, startTransition] = useTransition();
  const [error, setError] = useState<string | null>(null);
  const [started, setStarted] = useState<number | null>(null);
  const start = () =>
    startTransition(async () => {
      setConfirming(false);
      setError(null);
      const result = await startMigrationAction(null, new FormData());
      if (result.ok) setStarted(result.data.id);
      else setError(result.error.message);
    });
  if (started !== null) {
    return (
      <MigrationProgress
        initial={justStarted(started)}
        replayFrom={0}
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
          body={`Liftoff will be read-only for everyone while it copies and uploads its data (${readOnlyEstimate}). Reads and sign-in keep working. You can cancel at any time.`}
          confirmLabel="Start migration"
          onConfirm={start}
          onClose={() => setConfirming(false)}
        />
      )}
    </>
  );
}
