import { eq, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { rowsOf } from "@/db/rows";
import { collections } from "@/db/schema";
import { recordAudit } from "@/lib/audit";
import type { Actor } from "@/lib/auth";
import { AppError, notFound } from "@/lib/errors";
import type { CollectionInput } from "./inputs";

export async function createCollection(db: Database, actor: Actor, input: CollectionInput) {
  return db.transaction(async (tx) => {
    if (input.parentId !== null) await assertCollectionExists(tx, input.parentId);
    const [row] = await tx.insert(collections).values(input).returning({ id: collections.id });
    if (!row) throw new Error("insert returned no row");
    await recordAudit(tx, {
      actorId: actor.id,
      action: "collection.create",
      targetType: "collection",
      targetId: row.id,
      details: { name: input.name },
    });
    return row;
  });
}

export async function updateCollection(
  db: Database,
  actor: Actor,
  id: number,
  input: CollectionInput & { archived: boolean },
) {
  return db.transaction(async (tx) => {
    await assertCollectionExists(tx, id);
    if (input.parentId !== null) {
      await assertCollectionExists(tx, input.parentId);
      if (await isSelfOrDescendant(tx, id, input.parentId)) {
        throw new AppError(
          "invalid",
          "collection_cycle",
          "A collection cannot be moved inside itself or one of its sub-collections.",
        );
      }
    }
    await tx.update(collections).set(input).where(eq(collections.id, id));
    await recordAudit(tx, {
      actorId: actor.id,
      action: "collection.update",
      targetType: "collection",
      targetId: id,
      details: { name: input.name, archived: input.archived, parentId: input.parentId },
    });
  });
}

export async function assertCollectionExists(db: Database, id: number): Promise<void> {
  const [row] = await db
    .select({ id: collections.id })
    .from(collections)
    .where(eq(collections.id, id));
  if (!row) throw notFound("collection");
}

/** True when `candidate` is `id` itself or lies somewhere below it. */
async function isSelfOrDescendant(db: Database, id: number, candidate: number): Promise<boolean> {
  const result = await db.execute<{ found: boolean }>(sql`
    with recursive below(id) as (
      select ${id}::int
      union
      select c.id from ${collections} c join below b on c.parent_id = b.id
    )
    select exists(select 1 from below where id = ${candidate}) as found`);
  return rowsOf<{ found: boolean }>(result)[0]?.found === true;
}
