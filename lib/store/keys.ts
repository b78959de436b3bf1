import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { desc, eq } from "drizzle-orm";
import type { Database } from "@/db/client";
import { storeMigrationKeys, type StoreMigrationKey } from "@/db/schema";
import type { StoreEnv } from "./config";
import { clientAddress, peerAddressHeader } from "@/lib/auth/client-address";
import { AppError, RateLimitedError } from "@/lib/errors";
import { log } from "@/lib/log";
import { migrationKeyDisplayPrefix, migrationKeyPattern } from "@/lib/store-contract";
import {
  claimWindowSlot,
  returnWindowSlot,
  secondsUntilWindowEnds,
  type WindowBudget,
} from "@/lib/throttle/window-budget";
import { hashToken, sameHash } from "./token";

/**
 * Migration keys: the store's enrolment. Opening a migration needs one
 * (`Authorization: Bearer lok_…`); the migration's own routes then take its
 * token. A key is shown once when issued and only its SHA-256 is kept.
 */

const GiB = 1024 ** 3;

export interface KeyLimits {
  /** Migrations a key may have open at once (awaiting upload, or between upload and outcome). */
  maxOpenMigrations: number;
  /** Bytes a key's open migrations may declare together. */
  maxBytes: number;
}

export const defaultKeyLimits: KeyLimits = { maxOpenMigrations: 5, maxBytes: 50 * GiB };

/** The limits new keys get: LIFTOFF_STORE_KEY_MAX_OPEN_MIGRATIONS / _MAX_BYTES, else the defaults. */
export function keyLimitsFromEnv(
  env: Pick<StoreEnv, "LIFTOFF_STORE_KEY_MAX_OPEN_MIGRATIONS" | "LIFTOFF_STORE_KEY_MAX_BYTES">,
): KeyLimits {
  return {
    maxOpenMigrations:
      env.LIFTOFF_STORE_KEY_MAX_OPEN_MIGRATIONS ?? defaultKeyLimits.maxOpenMigrations,
    maxBytes: env.LIFTOFF_STORE_KEY_MAX_BYTES ?? defaultKeyLimits.maxBytes,
  };
}

export interface EnrolmentPolicy {
  /** Requests (open a migration, key check) one key may make per window. */
  perKey: WindowBudget;
  /** Failed key attempts (wrong, revoked) one caller address may make per window. */
  perCallerFailures: WindowBudget;
  /** LIFTOFF_TRUSTED_PROXY: whose X-Forwarded-For names the caller. */
  trustedProxies: readonly string[];
}

export const defaultEnrolmentPolicy: EnrolmentPolicy = {
  perKey: { budget: 60, windowMs: 60_000 },
  perCallerFailures: { budget: 20, windowMs: 15 * 60_000 },
  trustedProxies: [],
};

export interface IssuedKey {
  id: number;
  /** The key itself: shown this once, never stored. */
  key: string;
  label: string;
  displayPrefix: string;
  limits: KeyLimits;
}

export function newMigrationKey(): string {
  return "lok_" + randomBytes(32).toString("base64url");
}

function assertLimits(limits: KeyLimits): void {
  if (!Number.isSafeInteger(limits.maxOpenMigrations) || limits.maxOpenMigrations < 1) {
    throw new AppError("invalid", "key_limits", "The open-migrations limit must be at least 1.");
  }
  if (!Number.isSafeInteger(limits.maxBytes) || limits.maxBytes < 1) {
    throw new AppError("invalid", "key_limits", "The bytes limit must be at least 1.");
  }
}

export async function issueKey(
  db: Database,
  input: { label: string } & Partial<KeyLimits>,
  defaults: KeyLimits = defaultKeyLimits,
): Promise<IssuedKey> {
  const label = input.label.trim();
  if (!label || label.length > 200) {
    throw new AppError("invalid", "key_label", "A key needs a label of 1 to 200 characters.");
  }
  const limits: KeyLimits = {
    maxOpenMigrations: input.maxOpenMigrations ?? defaults.maxOpenMigrations,
    maxBytes: input.maxBytes ?? defaults.maxBytes,
  };
  assertLimits(limits);
  const key = newMigrationKey();
  const displayPrefix = migrationKeyDisplayPrefix(key);
  const [row] = await db
    .insert(storeMigrationKeys)
    .values({ label, keyHash: hashToken(key), displayPrefix, ...limits })
    .returning({ id: storeMigrationKeys.id });
  if (!row) throw new Error("insert returned no row");
  log.info({ store_key: row.id, prefix: displayPrefix, label }, "migration key issued");
  return { id: row.id, key, label, displayPrefix, limits };
}

/** Revokes by id or by display prefix (which must name one key); revoking twice is a no-op. */
export async function revokeKey(db: Database, idOrPrefix: string): Promise<StoreMigrationKey> {
  const rows = /^[0-9]+$/.test(idOrPrefix)
    ? await db
        .select()
        .from(storeMigrationKeys)
        .where(eq(storeMigrationKeys.id, Number(idOrPrefix)))
    : await db
        .select()
        .from(storeMigrationKeys)
        .where(eq(storeMigrationKeys.displayPrefix, idOrPrefix));
  if (rows.length === 0) throw new AppError("not_found", "key", `No key ${idOrPrefix}.`);
  if (rows.length > 1) {
    throw new AppError("conflict", "key", `${idOrPrefix} names several keys; revoke by id.`);
  }
  const [found] = rows as [StoreMigrationKey];
  if (found.revokedAt) return found;
  const [revoked] = await db
    .update(storeMigrationKeys)
    .set({ revokedAt: new Date() })
    .where(eq(storeMigrationKeys.id, found.id))
    .returning();
  log.info({ store_key: found.id, prefix: found.displayPrefix }, "migration key revoked");
  return revoked ?? found;
}

export type ListedKey = Omit<StoreMigrationKey, "keyHash">;

/** Every key, newest first, without its hash. */
export async function listKeys(db: Database): Promise<ListedKey[]> {
  return db
    .select({
      id: storeMigrationKeys.id,
      label: storeMigrationKeys.label,
      displayPrefix: storeMigrationKeys.displayPrefix,
      maxOpenMigrations: storeMigrationKeys.maxOpenMigrations,
      maxBytes: storeMigrationKeys.maxBytes,
      createdAt: storeMigrationKeys.createdAt,
      lastUsedAt: storeMigrationKeys.lastUsedAt,
      revokedAt: storeMigrationKeys.revokedAt,
    })
    .from(storeMigrationKeys)
    .orderBy(desc(storeMigrationKeys.id));
}

/** The live key with this plaintext, or null. The prefix finds candidates, the hash decides, in constant time. */
export async function findLiveKey(db: Database, key: string): Promise<StoreMigrationKey | null> {
  const found = await matchingKey(db, key);
  return found && !found.revokedAt ? found : null;
}

async function matchingKey(db: Database, key: string): Promise<StoreMigrationKey | null> {
  if (!migrationKeyPattern.test(key)) return null;
  const hash = hashToken(key);
  const candidates = await db
    .select()
    .from(storeMigrationKeys)
    .where(eq(storeMigrationKeys.displayPrefix, migrationKeyDisplayPrefix(key)));
  return candidates.find((row) => sameHash(row.keyHash, hash)) ?? null;
}

export interface KeyContext {
  db: Database;
  enrolment: EnrolmentPolicy;
}

function callerOf(ctx: KeyContext, request: Request): string | null {
  return clientAddress({
    peer: request.headers.get(peerAddressHeader),
    forwardedFor: request.headers.get("x-forwarded-for"),
    trustedProxies: ctx.enrolment.trustedProxies,
  });
}

/**
 * The key a request presents, or a refusal: 401 without one, 403 for a wrong
 * or revoked one, 429 when the caller has failed too often or the key has
 * made too many requests. Each attempt is counted against the caller before
 * the key is looked up and given back when the key is good, so parallel
 * guesses cannot slip past the budget.
 */
export async function authenticateKey(
  ctx: KeyContext,
  request: Request,
): Promise<StoreMigrationKey> {
  const authorization = request.headers.get("authorization");
  const bearer = /^Bearer (\S+)$/.exec(authorization ?? "")?.[1];
  if (!bearer) {
    throw new AppError(
      "unauthorized",
      "migration_key",
      "A migration key is required (Authorization: Bearer <key>). Ask the cloud's operator for one.",
    );
  }
  const caller = callerOf(ctx, request);
  const callerKey = caller ? `store-caller:${caller}` : null;
  if (callerKey && !(await claimWindowSlot(ctx.db, callerKey, ctx.enrolment.perCallerFailures))) {
    const seconds = await secondsUntilWindowEnds(
      ctx.db,
      callerKey,
      ctx.enrolment.perCallerFailures,
    );
    throw new RateLimitedError(
      "key_attempts",
      `Too many failed key attempts from this address; try again in ${seconds} s.`,
      seconds,
    );
  }
  const found = await matchingKey(ctx.db, bearer);
  if (!found) {
    throw new AppError("forbidden", "migration_key", "This migration key is not valid.");
  }
  if (found.revokedAt) {
    throw new AppError("forbidden", "migration_key_revoked", "This migration key was revoked.");
  }
  if (callerKey) await returnWindowSlot(ctx.db, callerKey);
  const keyBucket = `store-key:${found.id}`;
  if (!(await claimWindowSlot(ctx.db, keyBucket, ctx.enrolment.perKey))) {
    const seconds = await secondsUntilWindowEnds(ctx.db, keyBucket, ctx.enrolment.perKey);
    throw new RateLimitedError(
      "migration_key",
      `This migration key has made too many requests; try again in ${seconds} s.`,
      seconds,
    );
  }
  await ctx.db
    .update(storeMigrationKeys)
    .set({ lastUsedAt: new Date() })
    .where(eq(storeMigrationKeys.id, found.id));
  return found;
}

/**
 * The key the local store hands its instance (`npm start` with no cloud
 * configured): the one in `file` while it is still live, else a new one
 * labelled "local instance", written with mode 0600. Idempotent, so every
 * start keeps the same key.
 */
export async function ensureLocalKey(
  db: Database,
  file: string,
  defaults: KeyLimits = defaultKeyLimits,
): Promise<{ key: string; issued: boolean }> {
  let existing: string | null = null;
  try {
    existing = fs.readFileSync(file, "utf8").trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  if (existing && (await findLiveKey(db, existing))) return { key: existing, issued: false };
  const issued = await issueKey(db, { label: "local instance" }, defaults);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  // Written beside and renamed: a reader never sees half a key.
  const partial = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(partial, issued.key + "\n", { mode: 0o600 });
  fs.renameSync(partial, file);
  return { key: issued.key, issued: true };
}
