/**
 * What this process last learned of read-only mode (through NOTIFY). Only a
 * fast path for proxy.ts and the action wrapper: the database guard is the
 * line that cannot be crossed. No imports, so proxy.ts stays small.
 */
export interface LocalReadOnlyState {
  enabled: boolean;
  reason: string | null;
}

const holder = globalThis as unknown as { liftoffReadOnly?: LocalReadOnlyState };

export function localReadOnlyState(): LocalReadOnlyState {
  return holder.liftoffReadOnly ?? { enabled: false, reason: null };
}

export function setLocalReadOnlyState(state: LocalReadOnlyState): void {
  holder.liftoffReadOnly = state;
}
