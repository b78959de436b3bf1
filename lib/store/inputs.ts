import { z } from "zod";
import { maxObjectSize, maxPartSize, maxParts } from "./part-size";

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, "must be a lowercase hex SHA-256");
const size = z.number().int().positive().max(maxObjectSize);
const partNumber = z.number().int();

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

export const startMultipartBody = z.strictObject({
  size,
  part_size: z.number().int().positive().max(maxPartSize).optional(),
});

export const partUrlsBody = z.strictObject({
  upload_id: z.string().min(1).max(1024),
  parts: z.array(partNumber).min(1).max(maxParts),
});

export const completeBody = z.strictObject({
  upload_id: z.string().min(1).max(1024),
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

export const uploadedBody = z.strictObject({ sha256, size });

/** Path segments: the external id is our own 24-hex format, nothing else reaches a query. */
export const externalIdParam = z.string().regex(/^[0-9a-f]{24}$/);
