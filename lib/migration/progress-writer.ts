import type { Database } from "@/db/client";
import { updateMigration } from "./row";
import { progressFor, type Phase } from "./states";

export interface PhaseProgress {
  fraction: number;
  bytesDone: number;
  bytesTotal: number | null;
  throughputBytesPerSecond?: number | null;
  etaSeconds?: number | null;
}

/**
 * A phase that does not measure its own speed (the dump) gets one from its
 * progress since the phase began: bytes per second, and the time left from
 * the share done (the byte total is an estimate there; the share is not).
 * Nothing in the first quarter second, when a rate means little.
 */
export function phaseEstimates(
  progress: PhaseProgress,
  elapsedSeconds: number,
): { throughput: number | null; eta: number | null } {
  if (progress.throughputBytesPerSecond != null || progress.etaSeconds != null) {
    return {
      throughput: progress.throughputBytesPerSecond ?? null,
      eta: progress.etaSeconds ?? null,
    };
  }
  if (elapsedSeconds < 0.25 || progress.fraction <= 0) return { throughput: null, eta: null };
  const share = Math.min(1, progress.fraction);
  return {
    throughput: progress.bytesDone / elapsedSeconds,
    eta: (elapsedSeconds * (1 - share)) / share,
  };
}

/**
 * Writes a phase's progress to the row at most every `intervalMs` (and always
 * when the percentage moves), so a fast dump does not flood the database and
 * the stream of events. A write that matches no row means the migration ended
 * elsewhere (a cancel): `onGone` lets the runner stop.
 */
export class ProgressWriter {
  private lastWrite = 0;
  private lastPercent = -1;
  private readonly startedAt = Date.now();
  private pending: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Database,
    private readonly id: number,
    private readonly phase: Phase,
    private readonly onGone: () => void,
    private readonly intervalMs = 100,
  ) {}

  report(progress: PhaseProgress): void {
    const percent = progressFor(this.phase, progress.fraction);
    const now = Date.now();
    if (percent === this.lastPercent && now - this.lastWrite < this.intervalMs) return;
    if (now - this.lastWrite < this.intervalMs / 4) return;
    this.lastWrite = now;
    this.lastPercent = percent;
    const { throughput, eta } = phaseEstimates(progress, (now - this.startedAt) / 1000);
    this.pending = this.pending.then(async () => {
      const ok = await updateMigration(this.db, this.id, this.phase, {
        progress: percent,
        bytesDone: Math.round(progress.bytesDone),
        bytesTotal: progress.bytesTotal === null ? null : Math.round(progress.bytesTotal),
        throughputBytesPerSecond: throughput === null ? null : Math.round(throughput),
        etaSeconds: eta === null ? null : Math.round(eta),
      });
      if (!ok) this.onGone();
    });
  }

  /** Waits for writes under way; call before leaving the phase. */
  flush(): Promise<void> {
    return this.pending;
  }
}
