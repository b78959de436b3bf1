import { asc, desc, eq, isNull, sql } from "drizzle-orm";
import type { Database } from "../client";
import { cards, collections, dashboardCards, dashboards, dataSources, users } from "../schema";

export async function listCollections(db: Database) {
  return db
    .select({
      id: collections.id,
      name: collections.name,
      parentId: collections.parentId,
      archived: collections.archived,
    })
    .from(collections)
    .orderBy(asc(collections.name))
    .limit(5000);
}

export type CollectionSummary = Awaited<ReturnType<typeof listCollections>>[number];

export async function getCollection(db: Database, id: number) {
  const [collection] = await db
    .select({
      id: collections.id,
      name: collections.name,
      description: collections.description,
      parentId: collections.parentId,
      color: collections.color,
      archived: collections.archived,
      updatedAt: collections.updatedAt,
    })
    .from(collections)
    .where(eq(collections.id, id));
  if (!collection) return null;
  const [children, cardRows, dashboardRows] = await Promise.all([
    db
      .select({ id: collections.id, name: collections.name, archived: collections.archived })
      .from(collections)
      .where(eq(collections.parentId, id))
      .orderBy(asc(collections.name)),
    db
      .select({ id: cards.id, name: cards.name, display: cards.display, archived: cards.archived })
      .from(cards)
      .where(eq(cards.collectionId, id))
      .orderBy(asc(cards.name))
      .limit(500),
    db
      .select({ id: dashboards.id, name: dashboards.name, archived: dashboards.archived })
      .from(dashboards)
      .where(eq(dashboards.collectionId, id))
      .orderBy(asc(dashboards.name))
      .limit(500),
  ]);
  return { ...collection, children, cards: cardRows, dashboards: dashboardRows };
}

export async function listRootCollections(db: Database) {
  return db
    .select({ id: collections.id, name: collections.name, archived: collections.archived })
    .from(collections)
    .where(isNull(collections.parentId))
    .orderBy(asc(collections.name))
    .limit(500);
}

export async function listCards(db: Database, options: { includeArchived?: boolean } = {}) {
  return db
    .select({
      id: cards.id,
      name: cards.name,
      display: cards.display,
      archived: cards.archived,
      collectionName: collections.name,
      lastUsedAt: cards.lastUsedAt,
      updatedAt: cards.updatedAt,
    })
    .from(cards)
    .leftJoin(collections, eq(cards.collectionId, collections.id))
    .where(options.includeArchived ? undefined : eq(cards.archived, false))
    .orderBy(desc(cards.updatedAt))
    .limit(200);
}

export async function getCard(db: Database, id: number) {
  const [card] = await db
    .select({
      id: cards.id,
      name: cards.name,
      description: cards.description,
      collectionId: cards.collectionId,
      dataSourceId: cards.dataSourceId,
      display: cards.display,
      query: cards.query,
      visualizationSettings: cards.visualizationSettings,
      archived: cards.archived,
      lastUsedAt: cards.lastUsedAt,
      creatorName: users.name,
      updatedAt: cards.updatedAt,
    })
    .from(cards)
    .leftJoin(users, eq(cards.creatorId, users.id))
    .where(eq(cards.id, id));
  return card ?? null;
}

export async function listDashboards(db: Database) {
  return db
    .select({
      id: dashboards.id,
      name: dashboards.name,
      archived: dashboards.archived,
      collectionName: collections.name,
      cardCount: sql<number>`(select count(*)::int from ${dashboardCards} dc where dc.dashboard_id = ${dashboards.id})`,
      updatedAt: dashboards.updatedAt,
    })
    .from(dashboards)
    .leftJoin(collections, eq(dashboards.collectionId, collections.id))
    .where(eq(dashboards.archived, false))
    .orderBy(desc(dashboards.updatedAt))
    .limit(200);
}

export async function getDashboard(db: Database, id: number) {
  const [dashboard] = await db
    .select({
      id: dashboards.id,
      name: dashboards.name,
      description: dashboards.description,
      collectionId: dashboards.collectionId,
      archived: dashboards.archived,
    })
    .from(dashboards)
    .where(eq(dashboards.id, id));
  if (!dashboard) return null;
  const placed = await db
    .select({
      id: dashboardCards.id,
      cardId: dashboardCards.cardId,
      cardName: cards.name,
      display: cards.display,
      row: dashboardCards.row,
      col: dashboardCards.col,
      sizeX: dashboardCards.sizeX,
      sizeY: dashboardCards.sizeY,
    })
    .from(dashboardCards)
    .innerJoin(cards, eq(dashboardCards.cardId, cards.id))
    .where(eq(dashboardCards.dashboardId, id))
    .orderBy(asc(dashboardCards.row), asc(dashboardCards.col));
  return { ...dashboard, cards: placed };
}

/** Cards a dashboard may offer to add: by name, not archived. */
export async function listCardChoices(db: Database) {
  return db
    .select({ id: cards.id, name: cards.name })
    .from(cards)
    .where(eq(cards.archived, false))
    .orderBy(asc(cards.name))
    .limit(1000);
}

export async function listDataSourceChoices(db: Database) {
  return db
    .select({ id: dataSources.id, name: dataSources.name })
    .from(dataSources)
    .orderBy(asc(dataSources.name));
}
