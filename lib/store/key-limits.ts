import { sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { rowsOf } from "@/db/rows";
import type { StoreMigration } from "@/db/schema";
import { AppError } from "@/lib/errors";

/**
 * A key's quotas: migrations open at once, and bytes they declare together.
 * "Open" is awaiting upload (while its token lives: an expired one is the
 * sweep's, see sweep.ts) or between upload and outcome. Each check locks the
 * key's row, so two requests with one key on two store nodes are decided
 * one after the other, never both against the same count.
 *
 * Refusals: too many open migrations is 429 (`rate_limited:open_migrations`:
 * it passes when one ends), too many bytes is 413 (`too_large:key_bytes`).
 */

type Tx = Parameters<Parameters<Database["transaction"]>[0]>[0];

const openMigration = sql`(m.state in ('received', 'verifying', 'restoring')
  or (m.state = 'awaiting_upload' and m.token_expires_at > now()))`;

async function lockKey(tx: Tx, keyId: number) {
  const [key] = rowsOf<{ max_open_migrations: number; max_bytes: string | number }>(
    await tx.execute(sql`select max_open_migrations, max_bytes
      from store.migration_keys where id = ${keyId} for update`),
  );
  if (!key) throw new AppError("forbidden", "migration_key", "This migration key is not valid.");
  return { maxOpen: Number(key.max_open_migrations), maxBytes: Number(key.max_bytes) };
}

/** Runs `insert` (the new migration) only while the key has room for one more open migration. */
export async function withinOpenMigrations<T>(
  db: Database,
  keyId: number,
  insert: (tx: Tx) => Promise<T>,
): Promise<T> {
  return db.transaction(async (tx) => {
    const { maxOpen } = await lockKey(tx, keyId);
    const [row] = rowsOf<{ open: number | string }>(
      await tx.execute(sql`select count(*) as open from store.migrations m
        where m.key_id = ${keyId} and ${openMigration}`),
    );
    const open = Number(row?.open ?? 0);
    if (open >= maxOpen) {
      throw new AppError(
        "rate_limited",
        "open_migrations",
        `This migration key already has ${open} open migration${open === 1 ? "" : "s"}, the most it may have. Finish or cancel one, or wait for the store to end those left unfinished.`,
      );
    }
    return insert(tx);
  });
}

const MiB = 1024 * 1024;
const mib = (bytes: number) => (bytes < MiB ? `${bytes} bytes` : `${(bytes / MiB).toFixed(0)} MiB`);

/**
 * Reserves `size` bytes for this migration (its upload size) if the key's
 * open migrations, this one at its new size, stay within the key's bytes.
 */
export async function reserveKeyBytes(db: Database, m: StoreMigration, size: number) {
  const keyId = m.keyId;
  if (keyId === null) return; // opened before keys existed
  await db.transaction(async (tx) => {
    const { maxBytes } = await lockKey(tx, keyId);
    const [row] = rowsOf<{ bytes: number | string | null }>(
      await tx.execute(sql`select coalesce(sum(coalesce(m.declared_size, m.upload_size, 0)), 0) as bytes
        from store.migrations m
        where m.key_id = ${keyId} and m.id <> ${m.id} and ${openMigration}`),
    );
    const others = Number(row?.bytes ?? 0);
    if (others + size > maxBytes) {
      throw new AppError(
        "too_large",
        "key_bytes",
        `This archive (${mib(size)}) would take this migration key over its limit of ${mib(maxBytes)} (${mib(others)} already open). Ask the cloud's operator for a larger limit.`,
      );
    }
    await tx.execute(sql`update store.migrations set upload_size = ${size}
      where id = ${m.id} and state = 'awaiting_upload'`);
  });
}
