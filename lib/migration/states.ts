import { terminalMigrationStates, type MigrationState } from "@/db/schema/migration-states";

/** The phases in order; `error` and `cancelled` may end any of them. */
export const phaseOrder = ["init", "setup", "dump", "upload", "sync", "done"] as const;
export type Phase = (typeof phaseOrder)[number];

export const terminalStates: readonly MigrationState[] = terminalMigrationStates;

export function isTerminal(state: string): boolean {
  return (terminalStates as readonly string[]).includes(state);
}

/**
 * Whether a migration may go from `from` to `to`: one step forward along the
 * phases, or from any unfinished state to `error` or `cancelled`. Nothing
 * ever leaves a terminal state.
 */
export function canTransition(from: MigrationState, to: MigrationState): boolean {
  if (isTerminal(from)) return false;
  if (to === "error" || to === "cancelled") return true;
  const i = phaseOrder.indexOf(from as Phase);
  return i >= 0 && phaseOrder[i + 1] === to;
}

/** The share of the bar each phase owns, as in ARCHITECTURE.md. */
export const progressBands: Record<Phase, readonly [number, number]> = {
  init: [0, 0],
  setup: [1, 3],
  dump: [3, 45],
  upload: [45, 90],
  sync: [90, 99],
  done: [100, 100],
};

/**
 * The overall progress for `fraction` (0–1) of a phase. Whole percents,
 * clamped to the band, so a phase never reports more than it owns.
 */
export function progressFor(phase: Phase, fraction: number): number {
  const [low, high] = progressBands[phase];
  const clamped = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  return Math.floor(low + (high - low) * clamped);
}

/** Words for the page, per state. */
export const stateLabels: Record<MigrationState, string> = {
  init: "Talking to the cloud…",
  setup: "Preparing to copy: recording changes from now on…",
  // On PGlite (one connection) the snapshot freezes writes while it is taken: the banner says so.
  dump: "Copying: taking a consistent snapshot…",
  upload: "Copying — you can keep working. Uploading the snapshot…",
  sync: "Switching over: read-only for a few seconds while the last changes are copied…",
  done: "Migrated",
  error: "Failed",
  cancelled: "Cancelled",
};
