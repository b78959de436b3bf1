import { expect, test } from "@playwright/test";
import { AdminPages } from "./pages/admin";
import { ContentPages } from "./pages/content";
import { SessionPage } from "./pages/session";

import { admin, member } from "./fixtures";

test.describe.configure({ mode: "serial" });

test("first admin sets up the instance, then set-up is gone", async ({ page }) => {
  const session = new SessionPage(page);
  await session.setUpFirstAdmin(admin);
  await page.goto("/setup");
  await expect(page).toHaveURL(/\/login/);
});

test("a wrong password is refused with a message", async ({ page }) => {
  await new SessionPage(page).signIn(admin.email, "not-the-password");
  await expect(page.getByTestId("login-error")).toHaveText("Wrong email or password.");
  await expect(page).toHaveURL(/\/login/);
});

test("admin creates a collection, a card and a dashboard, and moves the card", async ({ page }) => {
  const session = new SessionPage(page);
  await session.signIn(admin.email, admin.password);
  await expect(page.getByTestId("current-user")).toContainText("Ada Admin (admin)");

  const content = new ContentPages(page);
  await content.createCollection("Finance 💰");
  await content.createCard({
    name: "Monthly revenue",
    collection: "Finance 💰",
    query: '{"source": "orders", "aggregate": [["sum", "total"]], "breakout": ["month"]}',
  });
  await expect(page.getByTestId("card-query")).toContainText('"breakout"');

  await content.createDashboard("Board meeting");
  await content.addCardToDashboard("Monthly revenue");
  await content.moveFirstCard({ row: 3, col: 6 });
  await page.reload();
  await expect(page.getByTestId("dashboard-card").first()).toContainText("row 3, col 6");

  await page.goto("/collections");
  await page.getByRole("link", { name: "Finance 💰" }).click();
  await expect(page.getByTestId("collection-cards")).toContainText("Monthly revenue");

  await page.goto("/admin/audit");
  await expect(page.getByTestId("audit-list")).toContainText("dashboard.move_card");
});

test("a bad input gets a clear error and changes nothing", async ({ page }) => {
  await new SessionPage(page).signIn(admin.email, admin.password);
  await expect(page.getByTestId("current-user")).toBeVisible();
  await page.goto("/cards/new");
  const form = page.getByTestId("new-card");
  await form.getByLabel("Name").fill("Broken");
  await form.getByLabel("Query (JSON)").fill("{not json");
  await form.getByRole("button", { name: "Save question" }).click();
  await expect(form.getByTestId("form-error")).toContainText("query is not valid JSON");
  await page.goto("/cards");
  await expect(page.getByTestId("card-list")).not.toContainText("Broken");
});

test("admin creates a member who is refused the admin pages", async ({ page }) => {
  const session = new SessionPage(page);
  await session.signIn(admin.email, admin.password);
  await expect(page.getByTestId("current-user")).toBeVisible();
  await new AdminPages(page).createUser(member);
  await session.signOut();

  await session.signIn(member.email, member.password);
  await expect(page.getByTestId("current-user")).toContainText("Max Member (user)");
  await expect(page.getByTestId("admin-nav")).toHaveCount(0);
  for (const path of ["/admin/users", "/admin/data-sources", "/admin/settings", "/admin/audit"]) {
    const response = await page.goto(path);
    expect(response?.status(), path).toBe(403);
    await expect(page.getByTestId("forbidden")).toBeVisible();
    await expect(page.getByTestId("user-list")).toHaveCount(0);
  }
  // Members still use the content screens.
  await page.goto("/cards");
  await expect(page.getByTestId("card-list")).toContainText("Monthly revenue");
});

test("a signed-out visitor is sent to sign in", async ({ page }) => {
  await page.goto("/admin/users");
  await expect(page).toHaveURL(/\/login/);
});
