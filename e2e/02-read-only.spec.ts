import { expect, test } from "@playwright/test";
import { admin, ensureUsers, member } from "./fixtures";
import { SessionPage } from "./pages/session";
import { READ_ONLY_CODE, READ_ONLY_MESSAGE } from "../lib/read-only/message";

test.describe.configure({ mode: "serial" });

test.beforeAll(async ({ browser }) => {
  await ensureUsers(browser);
});

test("maintenance mode freezes edits for everyone, keeps sign-in, and lifts", async ({
  browser,
}) => {
  const adminPage = await browser.newPage();
  const memberPage = await browser.newPage();
  await new SessionPage(adminPage).signIn(admin.email, admin.password);
  await expect(adminPage.getByTestId("current-user")).toBeVisible();
  await new SessionPage(memberPage).signIn(member.email, member.password);
  await expect(memberPage.getByTestId("current-user")).toBeVisible();
  await memberPage.goto("/collections");
  await expect(memberPage.getByTestId("read-only-banner")).toHaveCount(0);

  await adminPage.goto("/admin/settings");
  await adminPage.getByRole("button", { name: "Switch read-only mode on" }).click();
  await expect(adminPage.getByRole("button", { name: "Switch read-only mode off" })).toBeVisible();

  // The member's open page learns of it without a reload, and its form freezes.
  await expect(memberPage.getByTestId("read-only-banner")).toBeVisible({ timeout: 10_000 });
  const create = memberPage.getByTestId("new-collection");
  await expect(create.getByRole("button", { name: "Create collection" })).toBeDisabled();

  // A mutation that skips the UI is refused by the server too.
  const response = await memberPage.request.post("/collections", { data: { name: "sneaky" } });
  expect(response.status()).toBe(403);
  expect(await response.json()).toEqual({
    error: { code: READ_ONLY_CODE, message: READ_ONLY_MESSAGE },
  });

  // Sign-in keeps working in read-only mode.
  const again = await browser.newPage();
  await new SessionPage(again).signIn(member.email, member.password);
  await expect(again.getByTestId("current-user")).toContainText(member.name);
  await expect(again.getByTestId("read-only-banner")).toBeVisible();

  await adminPage.goto("/admin/cluster");
  await expect(adminPage.getByTestId("node-list")).toContainText("yes");
  await expect(adminPage.getByTestId("job-list")).toContainText("dashboard-usage-rollup");

  await adminPage.goto("/admin/settings");
  await adminPage.getByRole("button", { name: "Switch read-only mode off" }).click();
  await expect(adminPage.getByRole("button", { name: "Switch read-only mode on" })).toBeVisible();
  await expect(memberPage.getByTestId("read-only-banner")).toHaveCount(0, { timeout: 10_000 });
  await memberPage.getByTestId("new-collection").getByLabel("Name").fill("After maintenance");
  await memberPage.getByRole("button", { name: "Create collection" }).click();
  await expect(memberPage).toHaveURL(/\/collections\/\d+$/);

  await adminPage.goto("/admin/audit");
  await expect(adminPage.getByTestId("audit-list")).toContainText("read_only.disable");
});
