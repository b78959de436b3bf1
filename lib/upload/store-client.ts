import { z } from "zod";
import { readErrorBody } from "@/lib/errors/http";

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
});

export type StartedMultipart = z.infer<typeof started>;
export type StoreStatus = z.infer<typeof status>;

/** A refusal from the store, with its status and code (`conflict:upload_id`, …). */
export class StoreRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "StoreRequestError";
  }
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
  ) {}

  private async call<S extends z.ZodType>(
    method: string,
    route: string,
    schema: S,
    body?: unknown,
  ) {
    const response = await fetch(
      `${this.baseUrl}/api/store/v1/migrations/${this.externalId}${route}`,
      {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(120_000),
      },
    );
    if (!response.ok) {
      const error = await readErrorBody(response);
      throw new StoreRequestError(
        response.status,
        error.code,
        `The store refused ${method} ${route || "/"} (${response.status}): ${error.message}`,
      );
    }
    const payload: unknown = await response.json().catch(() => null);
    return schema.parse(payload);
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
