import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { admin, ensureUsers, member } from "./fixtures";
import { SessionPage } from "./pages/session";

test.beforeAll(async ({ browser }) => {
  await ensureUsers(browser);
});

test("an admin downloads a dump that standard tools read", async ({ page }) => {
  await new SessionPage(page).signIn(admin.email, admin.password);
  await expect(page.getByTestId("current-user")).toBeVisible();
  await page.goto("/admin/settings");
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByTestId("download-dump").click(),
  ]);
  expect(download.suggestedFilename()).toMatch(/^liftoff-[0-9a-f]{8}-\d{8}T\d{6}Z\.tar$/);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "liftoff-e2e-dump-"));
  try {
    const file = path.join(dir, download.suggestedFilename());
    await download.saveAs(file);
    const entries = execFileSync("tar", ["-tf", file], { encoding: "utf8" }).split("\n");
    expect(entries).toEqual(expect.arrayContaining(["manifest.json", "schema.sql", "restore.sql"]));
    expect(entries.some((e) => /^data\/\d+-users\.\d+\.tsv\.gz$/.test(e))).toBe(true);
    const manifest = JSON.parse(
      execFileSync("tar", ["-xOf", file, "manifest.json"], { encoding: "utf8" }),
    ) as { tables: { name: string; rows: number }[] };
    expect(manifest.tables.find((t) => t.name === "users")?.rows).toBeGreaterThanOrEqual(2);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  await page.goto("/admin/audit");
  await expect(page.getByTestId("audit-list")).toContainText("dump.download");
});

test("a member cannot download a dump", async ({ page }) => {
  await new SessionPage(page).signIn(member.email, member.password);
  await expect(page.getByTestId("current-user")).toBeVisible();
  const response = await page.request.get("/api/admin/dump");
  expect(response.status()).toBe(403);
  expect(await response.json()).toMatchObject({ error: { code: "forbidden:admin" } });
});
