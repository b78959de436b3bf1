import { eq } from "drizzle-orm";
import type { Database } from "@/db/client";
import { cards, dataSources, viewLog } from "@/db/schema";
import { recordAudit } from "@/lib/audit";
import type { Actor } from "@/lib/auth";
import { notFound } from "@/lib/errors";
import { assertCollectionExists } from "./collections";
import type { CardInput } from "./inputs";

async function assertReferences(tx: Database, input: CardInput): Promise<void> {
  if (input.collectionId !== null) await assertCollectionExists(tx, input.collectionId);
  if (input.dataSourceId !== null) {
    const [source] = await tx
      .select({ id: dataSources.id })
      .from(dataSources)
      .where(eq(dataSources.id, input.dataSourceId));
    if (!source) throw notFound("data_source");
  }
}

export async function createCard(db: Database, actor: Actor, input: CardInput) {
  return db.transaction(async (tx) => {
    await assertReferences(tx, input);
    const [row] = await tx
      .insert(cards)
      .values({ ...input, creatorId: actor.id })
      .returning({ id: cards.id });
    if (!row) throw new Error("insert returned no row");
    await recordAudit(tx, {
      actorId: actor.id,
      action: "card.create",
      targetType: "card",
      targetId: row.id,
      details: { name: input.name },
    });
    return row;
  });
}

export async function updateCard(
  db: Database,
  actor: Actor,
  id: number,
  input: CardInput & { archived: boolean },
) {
  await db.transaction(async (tx) => {
    await assertReferences(tx, input);
    const updated = await tx
      .update(cards)
      .set(input)
      .where(eq(cards.id, id))
      .returning({ id: cards.id });
    if (updated.length === 0) throw notFound("card");
    await recordAudit(tx, {
      actorId: actor.id,
      action: "card.update",
      targetType: "card",
      targetId: id,
      details: { name: input.name, archived: input.archived },
    });
  });
}

/**
 * Opening a card marks it used and logs the view. Only `last_used_at` and
 * `updated_at` change on the card, which read-only mode lets through.
 */
export async function recordCardView(db: Database, actor: Actor, id: number): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.update(cards).set({ lastUsedAt: new Date() }).where(eq(cards.id, id));
    await tx.insert(viewLog).values({ userId: actor.id, model: "card", modelId: id });
  });
}
