import { expect, test } from "@playwright/test";
import { admin, ensureUsers, member } from "./fixtures";
import { SessionPage } from "./pages/session";

test.describe.configure({ mode: "serial" });

test.beforeAll(async ({ browser }) => {
  await ensureUsers(browser);
});

test("an admin runs a job now and sees pg-boss's record of the run", async ({ page }) => {
  await new SessionPage(page).signIn(admin.email, admin.password);
  await expect(page.getByTestId("current-user")).toBeVisible();
  await page.goto("/admin/cluster");
  const row = page.getByTestId("job-dashboard-summary-report");
  await expect(row).toContainText("0 6 * * *");
  await row.getByRole("button", { name: "Run now" }).click();
  await expect(row.getByRole("status")).toHaveText("Queued.");
  // The run is picked up within a poll; reload until pg-boss records it done.
  await expect(async () => {
    await page.reload();
    await expect(page.getByTestId("job-dashboard-summary-report")).toContainText("completed", {
      timeout: 1000,
    });
  }).toPass({ timeout: 20_000 });
  await expect(page.getByTestId("job-dashboard-summary-report")).toContainText(/\d+(\.\d)? m?s/);
  await page.goto("/admin/audit");
  await expect(page.getByTestId("audit-list")).toContainText("job.run_now");
});

test("a member cannot reach the jobs page", async ({ page }) => {
  await new SessionPage(page).signIn(member.email, member.password);
  await expect(page.getByTestId("current-user")).toBeVisible();
  const response = await page.goto("/admin/cluster");
  await expect(page.getByTestId("job-list")).toHaveCount(0);
  expect(response?.status()).not.toBe(500);
});
