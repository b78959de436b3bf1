import { UploadError } from "./errors";
import { putFileRange, type Agents, type PutResult } from "./put-range";
import { backoffMs, classifyError, classifyResponse, sleep, type RetryPolicy } from "./retry";

export interface PresignedTarget {
  url: string;
  headers: Record<string, string>;
  expiresAt: Date;
}

export interface PutWithRetryOptions {
  label: string;
  file: string;
  start: number;
  end: number;
  policy: RetryPolicy;
  signal: AbortSignal;
  stallMs: number;
  /** A URL this close to its expiry is renewed before use. */
  expiryMarginMs: number;
  agents?: Agents;
  /** Asks the store for a fresh URL when the current one expired. */
  reissue: () => Promise<PresignedTarget>;
}

/** A re-issue is not a failed attempt, but an endless loop of them is. */
const maxReissues = 5;

function describe(result: PutResult): string {
  const code = /<Code>([^<]+)<\/Code>/.exec(result.body)?.[1];
  return `HTTP ${result.status}${code ? ` ${code}` : ""}`;
}

/**
 * One range PUT, retried with exponential backoff and full jitter on network
 * errors, stalls, 5xx and throttling; an expired URL is replaced, not retried.
 */
export async function putWithRetry(
  first: PresignedTarget,
  options: PutWithRetryOptions,
): Promise<PutResult> {
  let target = first;
  let attempts = 0;
  let reissues = 0;
  const renew = async () => {
    if (++reissues > maxReissues) {
      throw new UploadError(
        `${options.label}: its upload URL kept expiring (${maxReissues} re-issues).`,
      );
    }
    target = await options.reissue();
  };
  for (;;) {
    if (target.expiresAt.getTime() - Date.now() < options.expiryMarginMs) await renew();
    let problem: string;
    try {
      const result = await putFileRange({ ...options, url: target.url, headers: target.headers });
      const verdict = classifyResponse(result);
      if (verdict === "ok") return result;
      problem = describe(result);
      if (verdict === "expired") {
        await renew();
        continue;
      }
      if (verdict === "fatal") {
        throw new UploadError(`${options.label} was refused by the storage: ${problem}.`);
      }
    } catch (error) {
      if (options.signal.aborted || error instanceof UploadError) throw error;
      if (classifyError(error) === "fatal") throw error;
      problem = (error as { code?: string }).code ?? (error as Error).message;
    }
    attempts += 1;
    if (attempts >= options.policy.attempts) {
      throw new UploadError(
        `${options.label} failed after ${attempts} attempts; last error: ${problem}.`,
      );
    }
    await sleep(backoffMs(options.policy, attempts - 1), options.signal);
  }
}
