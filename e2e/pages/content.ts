import { expect, type Page } from "@playwright/test";

export class ContentPages {
  constructor(private readonly page: Page) {}

  async createCollection(name: string): Promise<string> {
    await this.page.goto("/collections");
    const form = this.page.getByTestId("new-collection");
    await form.getByLabel("Name").fill(name);
    await form.getByRole("button", { name: "Create collection" }).click();
    await expect(this.page).toHaveURL(/\/collections\/\d+$/);
    await expect(this.page.getByRole("heading", { level: 1 })).toHaveText(name);
    return this.page.url();
  }

  async createCard(card: { name: string; collection: string; query: string }) {
    await this.page.goto("/cards/new");
    const form = this.page.getByTestId("new-card");
    await form.getByLabel("Name").fill(card.name);
    await form.getByLabel("Collection").selectOption({ label: card.collection });
    await form.getByLabel("Display").selectOption("bar");
    await form.getByLabel("Query (JSON)").fill(card.query);
    await form.getByRole("button", { name: "Save question" }).click();
    await expect(this.page).toHaveURL(/\/cards\/\d+$/);
  }

  async createDashboard(name: string) {
    await this.page.goto("/dashboards");
    const form = this.page.getByTestId("new-dashboard");
    await form.getByLabel("Name").fill(name);
    await form.getByRole("button", { name: "Create dashboard" }).click();
    await expect(this.page).toHaveURL(/\/dashboards\/\d+$/);
  }

  async addCardToDashboard(cardName: string) {
    const form = this.page.getByTestId("add-dashboard-card");
    await form.getByLabel("Question").selectOption({ label: cardName });
    await form.getByRole("button", { name: "Add card" }).click();
    await expect(this.page.getByTestId("dashboard-card")).toContainText(cardName);
  }

  async moveFirstCard(to: { row: number; col: number }) {
    const form = this.page.getByTestId("move-card").first();
    await form.getByLabel("Row").fill(String(to.row));
    await form.getByLabel("Column").fill(String(to.col));
    await form.getByRole("button", { name: "Move" }).click();
    await expect(this.page.getByTestId("dashboard-card").first()).toContainText(
      `row ${to.row}, col ${to.col}`,
    );
  }
}
