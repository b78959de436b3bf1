import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** A bearer token for one migration: 256 random bits, shown to the instance once. */
export function issueMigrationToken(): { token: string; hash: string } {
  const token = "lft_mig_" + randomBytes(32).toString("base64url");
  return { token, hash: hashToken(token) };
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** Constant-time, so the comparison leaks nothing about how much of a hash matched. */
export function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, "hex");
  const right = Buffer.from(b, "hex");
  return left.length === 32 && right.length === 32 && timingSafeEqual(left, right);
}

/** Lowercase hex, so it can name a database (`liftoff_cloud_<id>`) without quoting tricks. */
export function newExternalId(): string {
  return randomBytes(12).toString("hex");
}

export { externalIdPattern } from "@/lib/store-contract";
