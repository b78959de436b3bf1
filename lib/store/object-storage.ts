import { createHash } from "node:crypto";
import fs from "node:fs";
import { Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { AppError } from "@/lib/errors";

export interface StorageSettings {
  /** Unset means AWS S3 itself. */
  endpoint?: string;
  /** The host presigned URLs point at, when instances see the storage elsewhere. */
  publicEndpoint?: string;
  bucket: string;
  region: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  /** SSE-KMS key; unset means the bucket's AWS-managed KMS key. */
  kmsKeyId?: string;
}

export type AbortOutcome = "aborted" | "not_supported";

function createClient(settings: StorageSettings, endpoint: string | undefined): S3Client {
  return new S3Client({
    region: settings.region,
    endpoint,
    // Path style works on S3, MinIO, R2 and s3rver alike; virtual hosts need DNS.
    forcePathStyle: Boolean(endpoint),
    credentials:
      settings.accessKeyId && settings.secretAccessKey
        ? { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey }
        : undefined,
    // The default checksums put chunk framing into streamed objects on some
    // S3-compatible servers and sign an empty-body CRC into presigned part
    // URLs that S3, R2 and MinIO then reject (see STACK.md).
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
}

function storageCode(error: unknown): string | undefined {
  return error instanceof S3ServiceException ? error.name : undefined;
}

function statusOf(error: unknown): number | undefined {
  return error instanceof S3ServiceException ? error.$metadata.httpStatusCode : undefined;
}

/** Counts and hashes bytes on their way to disk. */
function hashingCounter(hash: ReturnType<typeof createHash>, counter: { bytes: number }) {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      counter.bytes += chunk.length;
      callback(null, chunk);
    },
  });
}

/** The store's view of one bucket: presigning, multipart bookkeeping, read-back. */
export class ObjectStorage {
  private readonly client: S3Client;
  private readonly presigner: S3Client;

  constructor(readonly settings: StorageSettings) {
    this.client = createClient(settings, settings.endpoint);
    this.presigner = createClient(settings, settings.publicEndpoint ?? settings.endpoint);
  }

  /** Signed into the single-PUT URL (X-Amz-SignedHeaders): the uploader must send them. */
  get sseHeaders(): Record<string, string> {
    return {
      "x-amz-server-side-encryption": "aws:kms",
      ...(this.settings.kmsKeyId
        ? { "x-amz-server-side-encryption-aws-kms-key-id": this.settings.kmsKeyId }
        : {}),
    };
  }

  private get sse() {
    return { ServerSideEncryption: "aws:kms" as const, SSEKMSKeyId: this.settings.kmsKeyId };
  }

  presignPut(key: string, expiresIn: number): Promise<string> {
    const command = new PutObjectCommand({ Bucket: this.settings.bucket, Key: key, ...this.sse });
    return getSignedUrl(this.presigner, command, { expiresIn });
  }

  /** SSE-KMS is fixed here: S3's UploadPart accepts no SSE-KMS headers, parts inherit it. */
  async createMultipart(key: string): Promise<string> {
    const result = await this.guard(() =>
      this.client.send(
        new CreateMultipartUploadCommand({ Bucket: this.settings.bucket, Key: key, ...this.sse }),
      ),
    );
    if (!result.UploadId)
      throw new AppError("upstream", "storage", "The storage gave no upload id.");
    return result.UploadId;
  }

  presignPart(key: string, uploadId: string, partNumber: number, expiresIn: number) {
    const command = new UploadPartCommand({
      Bucket: this.settings.bucket,
      Key: key,
      UploadId: uploadId,
      PartNumber: partNumber,
    });
    return getSignedUrl(this.presigner, command, { expiresIn });
  }

  async completeMultipart(key: string, uploadId: string, parts: { n: number; etag: string }[]) {
    try {
      await this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.settings.bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts.map((p) => ({ PartNumber: p.n, ETag: p.etag })) },
        }),
      );
    } catch (error) {
      const code = storageCode(error);
      if (code === "InvalidPart" || code === "InvalidPartOrder" || code === "EntityTooSmall") {
        throw new AppError("invalid", "parts", `The storage refused the part list (${code}).`);
      }
      if (code === "NoSuchUpload") {
        throw new AppError("conflict", "upload_id", "The storage no longer knows that upload.");
      }
      throw this.upstream(error);
    }
  }

  /**
   * Some S3-compatible servers (s3rver) answer AbortMultipartUpload with 405;
   * the abort is still recorded by the store and the parts are left to the
   * bucket's lifecycle rule.
   */
  async abortMultipart(key: string, uploadId: string): Promise<AbortOutcome> {
    try {
      await this.client.send(
        new AbortMultipartUploadCommand({
          Bucket: this.settings.bucket,
          Key: key,
          UploadId: uploadId,
        }),
      );
      return "aborted";
    } catch (error) {
      const status = statusOf(error);
      if (status === 405 || status === 501 || storageCode(error) === "NotImplemented") {
        return "not_supported";
      }
      if (storageCode(error) === "NoSuchUpload") return "aborted";
      throw this.upstream(error);
    }
  }

  async head(key: string): Promise<{ size: number } | null> {
    try {
      const result = await this.client.send(
        new HeadObjectCommand({ Bucket: this.settings.bucket, Key: key }),
      );
      return { size: result.ContentLength ?? 0 };
    } catch (error) {
      if (statusOf(error) === 404) return null;
      throw this.upstream(error);
    }
  }

  /** Streams the object into a file, hashing on the way: memory stays bounded. */
  async download(key: string, file: string): Promise<{ sha256: string; size: number }> {
    const result = await this.guard(() =>
      this.client.send(new GetObjectCommand({ Bucket: this.settings.bucket, Key: key })),
    );
    const hash = createHash("sha256");
    const counter = { bytes: 0 };
    await pipeline(
      result.Body as Readable,
      hashingCounter(hash, counter),
      fs.createWriteStream(file),
    );
    return { sha256: hash.digest("hex"), size: counter.bytes };
  }

  async deleteObject(key: string): Promise<void> {
    await this.guard(() =>
      this.client.send(new DeleteObjectCommand({ Bucket: this.settings.bucket, Key: key })),
    );
  }

  private async guard<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw this.upstream(error);
    }
  }

  private upstream(error: unknown): AppError {
    const appError = new AppError("upstream", "storage", "The object storage failed; try again.");
    appError.cause = error;
    return appError;
  }
}
