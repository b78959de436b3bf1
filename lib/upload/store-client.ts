import { z } from "zod";
import { readErrorBody } from "@/lib/errors/http";
import { sealingKeyId } from "@/lib/secrets/sealed-box";
import {
  abortedReply,
  completedReply,
  createdReply,
  healthReply,
  keyReply,
  migrationPath,
  partUrlsReply,
  sealingKey,
  singleUploadReply,
  startedMultipartReply,
  statusReply,
  storeApiPaths,
  uploadedReply,
  deltaAppliedReply,
  deltaUrlReply,
  type DeltaBody,
  type DeltaUrlBody,
  type CompleteBody,
  type CreateMigrationBody,
  type HealthQuery,
  type PartUrlsBody,
  type StartMultipartBody,
  type UploadedBody,
} from "@/lib/store-contract";
import { backoffMs, classifyError, defaultRetryPolicy, sleep, type RetryPolicy } from "./retry";

/** Answers that mean "not now" rather than "no". */
const retryableStatuses = new Set([429, 502, 503, 504]);
const neverAborted = new AbortController().signal;

/**
 * The store's sealing key as the instance takes it: its id is the key's
 * fingerprint, checked here, so a key garbled on the way is caught before
 * anything is sealed for it.
 */
const verifiedSealingKey = sealingKey.refine((key) => {
  try {
    return sealingKeyId(key.public_key) === key.id;
  } catch {
    return false;
  }
}, "is not a valid X25519 public key with its fingerprint");

// What the instance reads of each reply (see the contract: unread fields are not checked).
const created = createdReply
  .pick({ external_id: true, token: true })
  .extend({ sealing_key: verifiedSealingKey });
const health = healthReply
  .pick({ accepts: true, reason: true })
  .extend({ sealing_key: verifiedSealingKey.optional() });
const completed = completedReply.pick({ status: true });
const status = statusReply.pick({
  status: true,
  reason: true,
  tables: true,
  queue_position: true,
  delta_round: true,
});

export type StartedMultipart = z.infer<typeof startedMultipartReply>;
export type StoreStatus = z.infer<typeof status>;
export type StoreCreated = z.infer<typeof created>;
export type StoreHealth = z.infer<typeof health>;
export type StoreKey = z.infer<typeof keyReply>;

/**
 * A refusal from the store, with its status and code (`conflict:upload_id`, …).
 */
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

async function refusal(response: Response, call: string): Promise<StoreRequestError> {
  const error = await readErrorBody(response);
  return new StoreRequestError(
    response.status,
    error.code,
    `The store refused ${call} (${response.status}): ${error.message}`,
    error.message,
  );
}

/** A reply that is not JSON parses as null, and fails the schema like any other bad reply. */
async function readReply<S extends z.ZodType>(response: Response, schema: S): Promise<z.infer<S>> {
  const payload: unknown = await response.json().catch(() => null);
  return schema.parse(payload);
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
 * never logs it; responses are parsed, not trusted. Refusals throw
 * StoreRequestError, replies that do not fit the contract a ZodError, and a
 * store out of reach fetch's own error.
 */
export class StoreClient {
  /**
   * Asks the store to open a migration: it checks the version and hands out
   * a token and the public key to seal the archive's secrets for. Sent once,
   * never again: a repeated create would open a second migration.
   */
  static async createMigration(
    baseUrl: string,
    body: CreateMigrationBody,
    migrationKey: string,
  ): Promise<StoreCreated> {
    const response = await fetch(`${baseUrl}${storeApiPaths.migrations}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${migrationKey}` },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    if (!response.ok) throw await refusal(response, "POST /migrations");
    return readReply(response, created);
  }

  /** Which key this is to the store (its label), or the store's refusal of it (401, 403, 429). */
  static async checkKey(baseUrl: string, migrationKey: string): Promise<StoreKey> {
    const response = await fetch(`${baseUrl}${storeApiPaths.key}`, {
      headers: { authorization: `Bearer ${migrationKey}` },
      signal: AbortSignal.timeout(10_000),
    });
    if (!response.ok) throw await refusal(response, "GET /key");
    return readReply(response, keyReply);
  }

  /** Is the store there, and would it take this version? No token: it reveals only the store's. */
  static async health(baseUrl: string, query: HealthQuery): Promise<StoreHealth> {
    const search = new URLSearchParams(query);
    const response = await fetch(`${baseUrl}${storeApiPaths.health}?${search.toString()}`, {
      signal: AbortSignal.timeout(10_000),
    });
    if (!response.ok) throw await refusal(response, "GET /health");
    return readReply(response, health);
  }

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
        response = await fetch(`${this.baseUrl}${migrationPath(this.externalId, route)}`, {
          method,
          headers: {
            authorization: `Bearer ${this.token}`,
            ...(body === undefined ? {} : { "content-type": "application/json" }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.any([this.signal, AbortSignal.timeout(120_000)]),
        });
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
      if (!response.ok) throw await refusal(response, `${method} ${route || "/"}`);
      return readReply(response, schema);
    }
  }

  singleUploadUrl() {
    return this.call("POST", "/upload-url", singleUploadReply);
  }

  startMultipart(size: number, partSize?: number) {
    const body: StartMultipartBody = { size, part_size: partSize };
    return this.call("POST", "/multipart", startedMultipartReply, body);
  }

  partUrls(uploadId: string, parts: number[]) {
    const body: PartUrlsBody = { upload_id: uploadId, parts };
    return this.call("POST", "/multipart/urls", partUrlsReply, body);
  }

  complete(uploadId: string, parts: { n: number; etag: string }[]) {
    const body: CompleteBody = { upload_id: uploadId, parts };
    return this.call("POST", "/multipart/complete", completed, body);
  }

  /** `base`: deltas follow this archive (see ARCHITECTURE.md, the migration). */
  uploaded(sha256: string, size: number, base = false) {
    const body: UploadedBody = base ? { sha256, size, base } : { sha256, size };
    return this.call("POST", "/uploaded", uploadedReply, body);
  }

  deltaUploadUrl(round: number) {
    const body: DeltaUrlBody = { round };
    return this.call("POST", "/delta-url", deltaUrlReply, body);
  }

  /** Applies an uploaded delta; answers once the copy has it (a repeat is answered alike). */
  applyDelta(round: number, sha256: string, size: number) {
    const body: DeltaBody = { round, sha256, size };
    return this.call("POST", "/delta", deltaAppliedReply, body);
  }

  abort() {
    return this.call("DELETE", "", abortedReply);
  }

  status() {
    return this.call("GET", "", status);
  }
}
