import type { PutResult } from "./put-range";

export interface RetryPolicy {
  /** Attempts per request, the first included. */
  attempts: number;
  baseMs: number;
  capMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { attempts: 6, baseMs: 250, capMs: 20_000 };

/** "Full jitter" (AWS architecture blog): uniform in [0, min(cap, base·2^n)], so retries spread out. */
export function backoffMs(policy: RetryPolicy, attempt: number, random = Math.random): number {
  return random() * Math.min(policy.capMs, policy.baseMs * 2 ** attempt);
}

export type Verdict = "ok" | "retry" | "expired" | "fatal";

const retryableCodes = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
  "ESTALLED",
  "EAI_AGAIN",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "UND_ERR_SOCKET",
]);

export function classifyError(error: unknown): Verdict {
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && retryableCodes.has(code)) return "retry";
  if (error instanceof Error && /socket hang up/i.test(error.message)) return "retry";
  return "fatal";
}

/**
 * 5xx and throttling (429, 503 SlowDown) are worth another try; an expired
 * presigned URL needs a new one; any other 4xx will not get better.
 */
export function classifyResponse(result: PutResult): Verdict {
  if (result.status >= 200 && result.status < 300) return "ok";
  if (result.status === 403 && /expired/i.test(result.body)) return "expired";
  if (result.status === 429 || result.status >= 500) return "retry";
  if (result.status === 400 && /RequestTimeout|SlowDown/i.test(result.body)) return "retry";
  return "fatal";
}

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
