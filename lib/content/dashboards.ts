import { and, eq } from "drizzle-orm";
import type { Database } from "@/db/client";
import { cards, dashboardCards, dashboards, viewLog } from "@/db/schema";
import { recordAudit } from "@/lib/audit";
import type { Actor } from "@/lib/auth";
import { notFound } from "@/lib/errors";
import { assertCollectionExists } from "./collections";
import type { DashboardInput, GridPlacement } from "./inputs";

export async function createDashboard(db: Database, actor: Actor, input: DashboardInput) {
  return db.transaction(async (tx) => {
    if (input.collectionId !== null) await assertCollectionExists(tx, input.collectionId);
    const [row] = await tx
      .insert(dashboards)
      .values({ ...input, creatorId: actor.id })
      .returning({ id: dashboards.id });
    if (!row) throw new Error("insert returned no row");
    await recordAudit(tx, {
      actorId: actor.id,
      action: "dashboard.create",
      targetType: "dashboard",
      targetId: row.id,
      details: { name: input.name },
    });
    return row;
  });
}

export async function updateDashboard(
  db: Database,
  actor: Actor,
  id: number,
  input: DashboardInput & { archived: boolean },
) {
  await db.transaction(async (tx) => {
    if (input.collectionId !== null) await assertCollectionExists(tx, input.collectionId);
    const updated = await tx
      .update(dashboards)
      .set(input)
      .where(eq(dashboards.id, id))
      .returning({ id: dashboards.id });
    if (updated.length === 0) throw notFound("dashboard");
    await recordAudit(tx, {
      actorId: actor.id,
      action: "dashboard.update",
      targetType: "dashboard",
      targetId: id,
      details: { name: input.name, archived: input.archived },
    });
  });
}

export async function addCardToDashboard(
  db: Database,
  actor: Actor,
  dashboardId: number,
  cardId: number,
  placement: GridPlacement,
) {
  return db.transaction(async (tx) => {
    await assertDashboardExists(tx, dashboardId);
    const [card] = await tx.select({ id: cards.id }).from(cards).where(eq(cards.id, cardId));
    if (!card) throw notFound("card");
    const [row] = await tx
      .insert(dashboardCards)
      .values({ dashboardId, cardId, ...placement })
      .returning({ id: dashboardCards.id });
    if (!row) throw new Error("insert returned no row");
    await recordAudit(tx, {
      actorId: actor.id,
      action: "dashboard.add_card",
      targetType: "dashboard",
      targetId: dashboardId,
      details: { cardId, dashboardCardId: row.id, ...placement },
    });
    return row;
  });
}

export async function moveDashboardCard(
  db: Database,
  actor: Actor,
  dashboardId: number,
  dashboardCardId: number,
  placement: GridPlacement,
) {
  await db.transaction(async (tx) => {
    const moved = await tx
      .update(dashboardCards)
      .set(placement)
      .where(
        and(eq(dashboardCards.id, dashboardCardId), eq(dashboardCards.dashboardId, dashboardId)),
      )
      .returning({ id: dashboardCards.id });
    if (moved.length === 0) throw notFound("dashboard_card");
    await recordAudit(tx, {
      actorId: actor.id,
      action: "dashboard.move_card",
      targetType: "dashboard",
      targetId: dashboardId,
      details: { dashboardCardId, ...placement },
    });
  });
}

export async function removeDashboardCard(
  db: Database,
  actor: Actor,
  dashboardId: number,
  dashboardCardId: number,
) {
  await db.transaction(async (tx) => {
    const removed = await tx
      .delete(dashboardCards)
      .where(
        and(eq(dashboardCards.id, dashboardCardId), eq(dashboardCards.dashboardId, dashboardId)),
      )
      .returning({ id: dashboardCards.id });
    if (removed.length === 0) throw notFound("dashboard_card");
    await recordAudit(tx, {
      actorId: actor.id,
      action: "dashboard.remove_card",
      targetType: "dashboard",
      targetId: dashboardId,
      details: { dashboardCardId },
    });
  });
}

export async function recordDashboardView(db: Database, actor: Actor, id: number): Promise<void> {
  await db.insert(viewLog).values({ userId: actor.id, model: "dashboard", modelId: id });
}

async function assertDashboardExists(db: Database, id: number): Promise<void> {
  const [row] = await db
    .select({ id: dashboards.id })
    .from(dashboards)
    .where(eq(dashboards.id, id));
  if (!row) throw notFound("dashboard");
}
