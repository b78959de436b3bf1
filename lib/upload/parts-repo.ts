import { asc, eq } from "drizzle-orm";
import type { Database } from "@/db/client";
import { cloudMigrationPart, cloudMigrationUpload } from "@/db/schema";

export type SavedUpload = typeof cloudMigrationUpload.$inferSelect;

export async function loadUpload(db: Database, migrationId: number): Promise<SavedUpload | null> {
  const [row] = await db
    .select()
    .from(cloudMigrationUpload)
    .where(eq(cloudMigrationUpload.migrationId, migrationId));
  return row ?? null;
}

/** Replaces any earlier upload of this migration, and its parts, in one transaction. */
export async function saveUpload(
  db: Database,
  upload: Omit<SavedUpload, "createdAt" | "completedAt">,
): Promise<void> {
  await db.transaction(async (tx) => {
    await tx
      .delete(cloudMigrationPart)
      .where(eq(cloudMigrationPart.migrationId, upload.migrationId));
    await tx
      .delete(cloudMigrationUpload)
      .where(eq(cloudMigrationUpload.migrationId, upload.migrationId));
    await tx.insert(cloudMigrationUpload).values(upload);
  });
}

export async function markCompleted(db: Database, migrationId: number): Promise<void> {
  await db
    .update(cloudMigrationUpload)
    .set({ completedAt: new Date() })
    .where(eq(cloudMigrationUpload.migrationId, migrationId));
}

export async function forgetUpload(db: Database, migrationId: number): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.delete(cloudMigrationPart).where(eq(cloudMigrationPart.migrationId, migrationId));
    await tx.delete(cloudMigrationUpload).where(eq(cloudMigrationUpload.migrationId, migrationId));
  });
}

export async function loadParts(db: Database, migrationId: number) {
  return db
    .select({
      n: cloudMigrationPart.partNumber,
      etag: cloudMigrationPart.etag,
      size: cloudMigrationPart.size,
    })
    .from(cloudMigrationPart)
    .where(eq(cloudMigrationPart.migrationId, migrationId))
    .orderBy(asc(cloudMigrationPart.partNumber));
}

/** Written before the part counts: after a crash, only unrecorded parts are sent again. */
export async function savePart(
  db: Database,
  migrationId: number,
  part: { n: number; etag: string; size: number },
): Promise<void> {
  await db
    .insert(cloudMigrationPart)
    .values({ migrationId, partNumber: part.n, etag: part.etag, size: part.size })
    .onConflictDoUpdate({
      target: [cloudMigrationPart.migrationId, cloudMigrationPart.partNumber],
      set: { etag: part.etag, size: part.size },
    });
}
