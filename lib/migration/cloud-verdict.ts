import type { StoreStatus } from "@/lib/upload";

/**
 * What the instance does next, given what the store holds. Up to the end of
 * the upload the instance leads; after it, the store is the truth: a restart
 * or a "not any more" answer asks the store and follows it, so the two never
 * disagree about whether the cloud has the copy.
 */
export type CloudVerdict =
  | { next: "upload" }
  | { next: "wait"; phase: CloudPhase; queuePosition: number | null }
  | { next: "done"; tables: Record<string, number> }
  /** The base copy is restored: the deltas follow (the `sync` phase). */
  | { next: "sync"; deltaRound: number }
  | { next: "failed"; reason: string };

/** What the page says while the cloud works: its phase, "queued" while in line. */
export type CloudPhase = "received" | "queued" | "verifying" | "restoring";

export function followStore(status: StoreStatus): CloudVerdict {
  switch (status.status) {
    case "awaiting_upload":
      return { next: "upload" };
    case "received": {
      const queuePosition = status.queue_position ?? null;
      return { next: "wait", phase: queuePosition ? "queued" : "received", queuePosition };
    }
    case "verifying":
    case "restoring":
      return { next: "wait", phase: status.status, queuePosition: null };
    case "restored":
      return { next: "done", tables: status.tables ?? {} };
    case "base_restored":
      return { next: "sync", deltaRound: status.delta_round ?? 0 };
    case "failed":
      return { next: "failed", reason: status.reason ?? "no reason given" };
    case "aborted":
      return { next: "failed", reason: "the cloud side ended this migration" };
    default:
      return { next: "failed", reason: `the cloud reports a state this version does not know` };
  }
}

/** What the cloud copy page says for a store state, in words; an unknown state as it came. */
export function cloudStateLabel(state: string | null): string {
  switch (state) {
    case null:
      return "unknown";
    case "awaiting_upload":
      return "Waiting for the upload";
    case "received":
      return "Uploaded; waiting to be verified";
    case "verifying":
      return "Verifying the upload";
    case "restoring":
      return "Restoring the copy";
    case "base_restored":
      return "Base copy restored; the last changes have not arrived yet";
    case "restored":
      return "Restored: the copy is complete";
    case "failed":
      return "Failed";
    case "aborted":
      return "Ended before the copy was complete";
    default:
      return `"${state}" (a state this version does not know)`;
  }
}
