import { eq } from "drizzle-orm";
import { expect, it } from "vitest";
import { auditLog, cards, collections, dashboardCards, viewLog } from "@/db/schema";
import { describeEachEngine } from "@/lib/testing/engines";
import { insertUser } from "@/lib/testing/fixtures";
import {
  addCardToDashboard,
  cardInput,
  collectionInput,
  createCard,
  createCollection,
  createDashboard,
  gridPlacement,
  moveDashboardCard,
  recordCardView,
  updateCollection,
} from ".";

describeEachEngine("content", (database) => {
  it("nests collections and refuses a cycle", async () => {
    const { db } = database();
    const actor = await insertUser(db);
    const root = await createCollection(db, actor, collectionInput.parse({ name: "Root" }));
    const child = await createCollection(
      db,
      actor,
      collectionInput.parse({ name: "Child", parentId: String(root.id) }),
    );
    await expect(
      updateCollection(db, actor, root.id, {
        ...collectionInput.parse({ name: "Root", parentId: String(child.id) }),
        archived: false,
      }),
    ).rejects.toThrow(/inside itself/);
    const [stored] = await db.select().from(collections).where(eq(collections.id, child.id));
    expect(stored?.parentId).toBe(root.id);
    const audits = await db.select().from(auditLog).where(eq(auditLog.action, "collection.create"));
    expect(audits.length).toBeGreaterThanOrEqual(2);
  });

  it("creates a card with JSON fields, places it on a dashboard and moves it", async () => {
    const { db } = database();
    const actor = await insertUser(db);
    const card = await createCard(
      db,
      actor,
      cardInput.parse({
        name: "Revenue 📈",
        display: "line",
        query: '{"source": "orders", "aggregate": [["sum", "total"]]}',
        visualizationSettings: '{"colors": {"total": "#509EE3"}}',
      }),
    );
    const dashboard = await createDashboard(db, actor, {
      name: "KPIs",
      description: null,
      collectionId: null,
    });
    const placed = await addCardToDashboard(
      db,
      actor,
      dashboard.id,
      card.id,
      gridPlacement.parse({ row: 0, col: 0, sizeX: 6, sizeY: 4 }),
    );
    await moveDashboardCard(
      db,
      actor,
      dashboard.id,
      placed.id,
      gridPlacement.parse({ row: 2, col: 12, sizeX: 12, sizeY: 4 }),
    );
    const [moved] = await db.select().from(dashboardCards).where(eq(dashboardCards.id, placed.id));
    expect(moved).toMatchObject({ row: 2, col: 12, sizeX: 12 });
    await expect(
      moveDashboardCard(
        db,
        actor,
        dashboard.id + 1000,
        placed.id,
        gridPlacement.parse({ row: 0, col: 0, sizeX: 1, sizeY: 1 }),
      ),
    ).rejects.toThrow(/does not exist/);
  });

  it("rejects bad input before it reaches the database", () => {
    expect(
      cardInput.safeParse({
        name: "x",
        display: "table",
        query: "{nope",
        visualizationSettings: "{}",
      }).success,
    ).toBe(false);
    expect(
      cardInput.safeParse({
        name: "x",
        display: "table",
        query: "[1]",
        visualizationSettings: "{}",
      }).success,
    ).toBe(false);
    expect(gridPlacement.safeParse({ row: 0, col: 20, sizeX: 6, sizeY: 4 }).success).toBe(false);
    expect(collectionInput.safeParse({ name: "   " }).success).toBe(false);
  });

  it("marks a card used and logs the view", async () => {
    const { db } = database();
    const actor = await insertUser(db);
    const card = await createCard(
      db,
      actor,
      cardInput.parse({ name: "c", display: "table", query: "{}", visualizationSettings: "{}" }),
    );
    await recordCardView(db, actor, card.id);
    const [stored] = await db.select().from(cards).where(eq(cards.id, card.id));
    expect(stored?.lastUsedAt).toBeInstanceOf(Date);
    const views = await db.select().from(viewLog).where(eq(viewLog.modelId, card.id));
    expect(views.some((v) => v.model === "card" && v.userId === actor.id)).toBe(true);
  });
});
