import { z } from "zod";
import { readErrorBody } from "@/lib/errors/http";
import { backoffMs, classifyError, defaultRetryPolicy, sleep, type RetryPolicy } from "./retry";

/** Answers that mean "not now" rather than "no". */
const retryableStatuses = new Set([429, 502, 503, 504]);
const neverAborted = new AbortController().signal;

const partUrls = z.array(z.object({ n: z.number().int(), url: z.string() }));
const started = z.object({
  upload_id: z.string(),
  part_size: z.number().int(),
  part_count: z.number().int(),
  part_urls: partUrls,
  expires_at: z.string(),
});
const reissued = z.object({ part_urls: partUrls, expires_at: z.string() });
const singleUrl = z.object({
  upload_url: z.string(),
  upload_headers: z.record(z.string(), z.string()),
  expires_at: z.string(),
});
const status = z.object({
  status: z.string(),
  reason: z.string().nullable(),
  tables: z.record(z.string(), z.number()).nullable(),
  /** Place in the store's restore line while waiting (1 = next); null or absent otherwise. */
  queue_position: z.number().int().positive().nullable().optional(),
});

export type StartedMultipart = z.infer<typeof started>;
export type StoreStatus = z.infer<typeof status>;

/** A refusal from the store, with its status and code (`conflict:upload_id`, …). */
export class StoreRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** The store's own words (its messages are public ones), without the route. */
    readonly reason: string = message,
  ) {
    super(message);
    this.name = "StoreRequestError";
  }
}

/**
 * The store's "this migration is past that step" (it received, verified or
 * restored the archive, or ended it): the instance must ask for the status
 * and follow it, not fail.
 */
export function isStateConflict(error: unknown): error is StoreRequestError {
  return (
    error instanceof StoreRequestError && error.status === 409 && error.code === "conflict:state"
  );
}

/**
 * The instance's side of the store API. It holds the migration token and
 * never logs it; responses are parsed, not trusted.
 */
export class StoreClient {
  constructor(
    readonly baseUrl: string,
    readonly externalId: string,
    private readonly token: string,
    private readonly retry: RetryPolicy = defaultRetryPolicy,
    /** Ends a call and its waits between attempts at once (a cancel). */
    private readonly signal: AbortSignal = neverAborted,
  ) {}

  /** The same client, its calls ended by `signal` too. */
  withSignal(signal: AbortSignal): StoreClient {
    return new StoreClient(
      this.baseUrl,
      this.externalId,
      this.token,
      this.retry,
      AbortSignal.any([this.signal, signal]),
    );
  }

  /**
   * One store request, sent again when the connection failed or the store
   * answered "try later" (429, 502-504): a reset on a kept-alive socket must
   * not cost a fully uploaded archive. Sending again is safe because every
   * route answers a repeated request as it answered the first (the store
   * accepts a repeated `complete` and `uploaded`; the others only presign or
   * read).
   */
  private async call<S extends z.ZodType>(
    method: string,
    route: string,
    schema: S,
    body?: unknown,
  ): Promise<z.infer<S>> {
    for (let attempt = 0; ; attempt++) {
      const last = attempt + 1 >= this.retry.attempts;
      let response: Response;
      try {
        response = await fetch(
          `${this.baseUrl}/api/store/v1/migrations/${this.externalId}${route}`,
          {
            method,
            headers: {
              authorization: `Bearer ${this.token}`,
              ...(body === undefined ? {} : { "content-type": "application/json" }),
            },
            body: body === undefined ? undefined : JSON.stringify(body),
            signal: AbortSignal.any([this.signal, AbortSignal.timeout(120_000)]),
          },
        );
      } catch (error) {
        // fetch wraps the socket's error: the code sits on its cause.
        const cause = (error as { cause?: unknown }).cause ?? error;
        if (last || this.signal.aborted || classifyError(cause) !== "retry") throw error;
        await sleep(backoffMs(this.retry, attempt), this.signal);
        continue;
      }
      if (!last && retryableStatuses.has(response.status)) {
        await response.body?.cancel();
        await sleep(backoffMs(this.retry, attempt), this.signal);
        continue;
      }
      if (!response.ok) {
        const error = await readErrorBody(response);
        throw new StoreRequestError(
          response.status,
          error.code,
          `The store refused ${method} ${route || "/"} (${response.status}): ${error.message}`,
          error.message,
        );
      }
      const payload: unknown = await response.json().catch(() => null);
      return schema.parse(payload);
    }
  }

  singleUploadUrl() {
    return this.call("POST", "/upload-url", singleUrl);
  }

  startMultipart(size: number, partSize?: number) {
    return this.call("POST", "/multipart", started, { size, part_size: partSize });
  }

  partUrls(uploadId: string, parts: number[]) {
    return this.call("POST", "/multipart/urls", reissued, { upload_id: uploadId, parts });
  }

  complete(uploadId: string, parts: { n: number; etag: string }[]) {
    return this.call("POST", "/multipart/complete", z.object({ status: z.string() }), {
      upload_id: uploadId,
      parts,
    });
  }

  uploaded(sha256: string, size: number) {
    return this.call("POST", "/uploaded", z.object({ status: z.string() }), { sha256, size });
  }

  abort() {
    return this.call("DELETE", "", z.object({ status: z.string(), multipart: z.string() }));
  }

  status() {
    return this.call("GET", "", status);
  }
}
