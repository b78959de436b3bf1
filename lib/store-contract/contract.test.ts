import { describe, expect, it } from "vitest";
import {
  completeBody,
  createdReply,
  createMigrationBody,
  healthReply,
  maxParts,
  statusReply,
  uploadedBody,
} from ".";

const created = {
  external_id: "0123456789abcdef01234567",
  token: "t",
  token_expires_at: "2026-12-02T04:00:00.000Z",
  upload_url: "https://s3.example/put",
  upload_headers: { "x-amz-server-side-encryption": "aws:kms" },
  expires_at: "2026-12-02T04:15:00.000Z",
  sealing_key: { id: "k", public_key: "p" },
};

const status = {
  external_id: "0123456789abcdef01234567",
  status: "restored",
  reason: null,
  tables: { users: 3 },
  upload_id: null,
  part_size: null,
  part_count: null,
  queue_position: null,
  created_at: "2026-12-02T04:00:00.000Z",
  updated_at: "2026-12-02T04:10:00.000Z",
};

describe("the store's contract", () => {
  it("takes the store's replies as it sends them", () => {
    expect(createdReply.safeParse(created).success).toBe(true);
    expect(statusReply.safeParse(status).success).toBe(true);
    expect(healthReply.safeParse({ accepts: true }).success).toBe(true);
  });

  it("refuses a create reply without its sealing key or token", () => {
    expect(createdReply.safeParse({ ...created, sealing_key: undefined }).success).toBe(false);
    expect(createdReply.safeParse({ ...created, token: "" }).success).toBe(false);
  });

  it("refuses a status reply with a missing status, table counts that are not numbers or a place in line of 0", () => {
    expect(statusReply.safeParse({ ...status, status: undefined }).success).toBe(false);
    expect(statusReply.safeParse({ ...status, tables: { users: "3" } }).success).toBe(false);
    expect(statusReply.safeParse({ ...status, queue_position: 0 }).success).toBe(false);
  });

  it("refuses request bodies with unknown fields, bad hashes or too many parts", () => {
    const version = { app_version: "1", schema_migration_id: "0000_init", instance_id: "i" };
    expect(createMigrationBody.safeParse(version).success).toBe(true);
    expect(createMigrationBody.safeParse({ ...version, extra: 1 }).success).toBe(false);
    expect(uploadedBody.safeParse({ sha256: "A".repeat(64), size: 1 }).success).toBe(false);
    const parts = Array.from({ length: maxParts + 1 }, (_, i) => ({ n: i + 1, etag: '"e"' }));
    expect(completeBody.safeParse({ upload_id: "u", parts }).success).toBe(false);
  });
});
