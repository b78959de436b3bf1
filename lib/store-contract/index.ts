import { z } from "zod";

/**
 * The store API's contract: its paths, and every request and reply body as
 * zod schemas. The store's routes parse requests with these and type their
 * replies by them; the instance's client sends these requests and parses the
 * replies. Neither side imports the other's code, only this module, so it
 * imports nothing but zod. Snake_case is the wire's spelling.
 */

export const storeApiPaths = {
  migrations: "/api/store/v1/migrations",
  health: "/api/store/v1/health",
  /** `GET`: which key the bearer holds (the instance's pre-flight check). */
  key: "/api/store/v1/key",
} as const;

/**
 * A migration key as the store issues it: `lok_` and 32 random bytes in
 * base64url. Sent as `Authorization: Bearer <key>` when opening a migration
 * and on `GET /key`; the migration's own routes take its token instead.
 */
export const migrationKeyPattern = /^lok_[A-Za-z0-9_-]{43}$/;

/** The first characters of a key: enough to tell keys apart, nothing to sign in with. */
export function migrationKeyDisplayPrefix(key: string): string {
  return key.slice(0, 12);
}

/** `route` is "" for the migration itself, else "/upload-url", "/multipart", …. */
export function migrationPath(externalId: string, route = ""): string {
  return `${storeApiPaths.migrations}/${externalId}${route}`;
}

const MiB = 1024 * 1024;
/** S3's limits, which every storage behind the store shares: they bound the requests. */
export const maxPartSize = 5 * 1024 * MiB;
export const maxParts = 10_000;
export const maxObjectSize = 5 * 1024 * 1024 * MiB;

// ---- Requests -------------------------------------------------------------

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, "must be a lowercase hex SHA-256");
const size = z.number().int().positive().max(maxObjectSize);
const partNumber = z.number().int();
const uploadId = z.string().min(1).max(1024);

/** `POST /migrations`. */
export const createMigrationBody = z.strictObject({
  app_version: z.string().min(1).max(64),
  schema_migration_id: z.string().min(1).max(200),
  instance_id: z.string().min(1).max(200),
});

/** `GET /health?app_version=…&schema_migration_id=…`: the same fields as create, nothing else. */
export const healthQuery = z.strictObject({
  app_version: createMigrationBody.shape.app_version,
  schema_migration_id: createMigrationBody.shape.schema_migration_id,
});

/** `POST /migrations/:id/multipart`. */
export const startMultipartBody = z.strictObject({
  size,
  part_size: z.number().int().positive().max(maxPartSize).optional(),
});

/** `POST /migrations/:id/multipart/urls`. */
export const partUrlsBody = z.strictObject({
  upload_id: uploadId,
  parts: z.array(partNumber).min(1).max(maxParts),
});

/** `POST /migrations/:id/multipart/complete`. */
export const completeBody = z.strictObject({
  upload_id: uploadId,
  parts: z
    .array(
      z.strictObject({
        n: partNumber,
        // Quoted hex on S3, MinIO and R2; only the storage can say whether it matches.
        etag: z.string().regex(/^"?[0-9A-Za-z\-_]{1,128}"?$/, "is not an ETag"),
      }),
    )
    .min(1)
    .max(maxParts),
});

/**
 * `POST /migrations/:id/uploaded`. `base`: the archive is a base copy taken
 * while the instance kept working; deltas follow, and the copy is complete
 * only once the final one is applied.
 */
export const uploadedBody = z.strictObject({ sha256, size, base: z.boolean().optional() });

const round = z.number().int().positive().max(1000);

/** `POST /migrations/:id/delta-url`: where to PUT the delta of this round. */
export const deltaUrlBody = z.strictObject({ round });

/** `POST /migrations/:id/delta`: the delta of this round is uploaded; apply it. */
export const deltaBody = z.strictObject({ round, sha256, size });

/** Path segments: the external id is the store's own 24-hex format, nothing else reaches a query. */
/** A migration's id at the store: 24 lowercase hex digits (it names a database there). */
export const externalIdPattern = /^[0-9a-f]{24}$/;
export const externalIdParam = z.string().regex(externalIdPattern);

export type CreateMigrationBody = z.infer<typeof createMigrationBody>;
export type HealthQuery = z.infer<typeof healthQuery>;
export type StartMultipartBody = z.infer<typeof startMultipartBody>;
export type PartUrlsBody = z.infer<typeof partUrlsBody>;
export type CompleteBody = z.infer<typeof completeBody>;
export type UploadedBody = z.infer<typeof uploadedBody>;
export type DeltaUrlBody = z.infer<typeof deltaUrlBody>;
export type DeltaBody = z.infer<typeof deltaBody>;

// ---- Replies --------------------------------------------------------------
// The instance parses only the fields it reads (`.pick`), so a store that
// adds a field, or an older one that lacks one the instance ignores, does not
// fail a migration. Fields an older v1 store may leave out are optional here.

/** The public half of the store's sealing key: the archive's secrets are sealed for it. */
export const sealingKey = z.object({ id: z.string(), public_key: z.string() });

const uploadHeaders = z.record(z.string(), z.string());
const partUrls = z.array(z.object({ n: z.number().int(), url: z.string() }));

/** `POST /migrations` → 201. */
export const createdReply = z.object({
  external_id: z.string().min(1),
  token: z.string().min(1),
  token_expires_at: z.string(),
  upload_url: z.string(),
  upload_headers: uploadHeaders,
  expires_at: z.string(),
  sealing_key: sealingKey,
});

/** `GET /key` → 200. */
export const keyReply = z.object({ label: z.string(), prefix: z.string() });

/** `GET /health` → 200. */
export const healthReply = z.object({
  accepts: z.boolean(),
  reason: z.string().nullable().optional(),
  store_version: z.string().optional(),
  // Absent from a store too old to open sealed secrets: the preflight says so.
  sealing_key: sealingKey.optional(),
});

/** `POST /migrations/:id/upload-url` → 200. */
export const singleUploadReply = z.object({
  upload_url: z.string(),
  upload_headers: uploadHeaders,
  expires_at: z.string(),
});

/** `POST /migrations/:id/multipart` → 200. */
export const startedMultipartReply = z.object({
  upload_id: z.string(),
  part_size: z.number().int(),
  part_count: z.number().int(),
  part_urls: partUrls,
  expires_at: z.string(),
});

/** `POST /migrations/:id/multipart/urls` → 200. */
export const partUrlsReply = z.object({ part_urls: partUrls, expires_at: z.string() });

/** `POST /migrations/:id/multipart/complete` → 200. */
export const completedReply = z.object({ status: z.string(), part_count: z.number().int() });

/** `POST /migrations/:id/uploaded` → 202. */
export const uploadedReply = z.object({ status: z.string() });

/** `POST /migrations/:id/delta-url` → 200: the same shape as a single upload's. */
export const deltaUrlReply = singleUploadReply;

/**
 * `POST /migrations/:id/delta` → 200, once the delta is applied: `status` is
 * `restored` after the final one (the copy is complete), else `base_restored`.
 */
export const deltaAppliedReply = z.object({
  status: z.string(),
  round: z.number().int(),
  tables: z.record(z.string(), z.number()).nullable(),
});

/** `DELETE /migrations/:id` → 200. `multipart`: "none", "aborted" or "not_supported". */
export const abortedReply = z.object({ status: z.string(), multipart: z.string() });

/**
 * `GET /migrations/:id` → 200. `status` is a plain string on purpose: a newer
 * store may report a state this version does not know, and the instance
 * treats that as a failure rather than as a malformed reply.
 */
export const statusReply = z.object({
  external_id: z.string(),
  status: z.string(),
  reason: z.string().nullable(),
  tables: z.record(z.string(), z.number()).nullable(),
  upload_id: z.string().nullable(),
  part_size: z.number().int().nullable(),
  part_count: z.number().int().nullable(),
  /** Deltas applied to the copy so far; absent from stores without deltas. */
  delta_round: z.number().int().nonnegative().optional(),
  /** Place in the store's restore line while waiting (1 = next); null or absent otherwise. */
  queue_position: z.number().int().positive().nullable().optional(),
  created_at: z.string(),
  updated_at: z.string(),
});

export type CreatedReply = z.infer<typeof createdReply>;
export type HealthReply = z.infer<typeof healthReply>;
export type KeyReply = z.infer<typeof keyReply>;
export type SingleUploadReply = z.infer<typeof singleUploadReply>;
export type StartedMultipartReply = z.infer<typeof startedMultipartReply>;
export type PartUrlsReply = z.infer<typeof partUrlsReply>;
export type CompletedReply = z.infer<typeof completedReply>;
export type UploadedReply = z.infer<typeof uploadedReply>;
export type AbortedReply = z.infer<typeof abortedReply>;
export type DeltaAppliedReply = z.infer<typeof deltaAppliedReply>;
export type StatusReply = z.infer<typeof statusReply>;

// Error replies are every API's one shape, `{error: {code, message}}`: lib/errors/http.
