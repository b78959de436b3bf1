import { expect, test, type Page } from "@playwright/test";
import { seededAdmin, seededPort } from "../playwright.config";
import { AdminPages } from "./pages/admin";
import { SessionPage } from "./pages/session";

// The seeded server (scale 5, see playwright.config.ts): an instance with
// real content to move, its own store and local object storage.
test.use({ baseURL: `http://127.0.0.1:${seededPort}` });
test.describe.configure({ mode: "serial" });

const member = { name: "Mia Member", email: "mia@example.test", password: "member-password-2" };

/** Records every value and state the progress bar shows, and the bytes line beside, from the page itself. */
async function recordProgress(page: Page) {
  await page.evaluate(() => {
    const seen: {
      value: string | null;
      state: string | null;
      bytes: string | null;
      eta: string | null;
    }[] = [];
    (window as unknown as { seen: typeof seen }).seen = seen;
    const sample = () => {
      const bar = document.querySelector('[data-testid="migration-progress"]');
      const state = document.querySelector('[data-testid="migration-state"]');
      const entry = {
        value: bar?.getAttribute("aria-valuenow") ?? null,
        state: state?.getAttribute("data-state") ?? null,
        bytes: document.querySelector('[data-testid="migration-bytes"]')?.textContent ?? null,
        eta: document.querySelector('[data-testid="migration-eta"]')?.textContent ?? null,
      };
      const last = seen.at(-1);
      if (
        entry.value !== null &&
        (!last ||
          last.value !== entry.value ||
          last.state !== entry.state ||
          last.eta !== entry.eta)
      )
        seen.push(entry);
    };
    new MutationObserver(sample).observe(document.body, {
      subtree: true,
      childList: true,
      attributes: true,
    });
    sample();
  });
}

test("an admin migrates a seeded instance while a member keeps working until the switch", async ({
  browser,
}) => {
  // The whole trip, the cut-over and the way back: longer than one page's budget.
  test.setTimeout(240_000);
  const adminPage = await browser.newPage();
  await new SessionPage(adminPage).signIn(seededAdmin.email, seededAdmin.password);
  await expect(adminPage.getByTestId("current-user")).toBeVisible();

  // A member to watch the freeze from the outside.
  await new AdminPages(adminPage).createUser(member);
  const memberPage = await browser.newPage();
  await new SessionPage(memberPage).signIn(member.email, member.password);
  await expect(memberPage.getByTestId("current-user")).toBeVisible();
  await memberPage.goto("/collections");

  await adminPage.goto("/admin/settings");
  const preflight = adminPage.getByTestId("preflight");
  await expect(preflight.locator("li")).toHaveCount(8);
  await expect(preflight.locator('li[data-status="fail"]')).toHaveCount(0);
  // The local store handed this instance its key: no one pasted one.
  await expect(preflight.locator('li[data-status="pass"]', { hasText: "Cloud key" })).toContainText(
    "enrolled as “local instance”",
  );
  await recordProgress(adminPage);
  const stream = adminPage.waitForRequest(/\/api\/migrations\/\d+\/events/);
  await adminPage.getByTestId("start-migration").click();
  await expect(adminPage.getByRole("dialog")).toContainText("while everyone keeps working");
  await expect(adminPage.getByRole("dialog")).toContainText("read-only for a few seconds");
  // The cut-over: by default this instance stays read-only once the cloud has the copy.
  await expect(
    adminPage.getByRole("radio", { name: /Keep this instance read-only/ }),
  ).toBeChecked();
  await adminPage.getByRole("button", { name: "Start migration" }).click();
  await expect(adminPage.getByTestId("migration-progress")).toBeVisible();

  // While it uploads, the member keeps working: no banner, editing on. (On
  // PGlite, one connection, the snapshot itself was taken with writes frozen.)
  await expect(adminPage.getByTestId("migration-state")).toContainText(
    "Copying — you can keep working",
    { timeout: 30_000 },
  );
  await expect(memberPage.getByTestId("read-only-banner")).toHaveCount(0);
  await expect(
    memberPage.getByTestId("new-collection").getByRole("button", { name: "Create collection" }),
  ).toBeEnabled();

  await expect(adminPage.getByTestId("migration-done")).toBeVisible({ timeout: 120_000 });
  const seen = await adminPage.evaluate(
    () =>
      (
        window as unknown as {
          seen: { value: string; state: string; bytes: string; eta: string }[];
        }
      ).seen,
  );
  // What the admin saw: a bar that only moves forward, through every phase,
  // and moves during the dump rather than jumping across it. The page shows
  // a change at most every 150 ms, so how many values it shows depends on how
  // long the dump takes: about a second here, which shows four or more.
  const values = [...new Set(seen.map((s) => Number(s.value)))];
  expect(values, JSON.stringify(seen)).toEqual([...values].sort((a, b) => a - b));
  expect([values[0], values.at(-1)]).toEqual([0, 100]);
  expect(values.filter((v) => v > 5 && v < 50).length, JSON.stringify(seen)).toBeGreaterThanOrEqual(
    2,
  );
  expect([...new Set(seen.map((s) => s.state))], JSON.stringify(seen)).toEqual([
    "init",
    "setup",
    "dump",
    "upload",
    "sync",
    "done",
  ]);
  // The dump's total is an estimate (the tables' size on disk), and says so;
  // the upload's is the archive's size.
  // Time left is shown during the dump too (from its progress), not only for the upload.
  expect(
    seen.filter((s) => s.state === "dump" && /\d+ s|min/.test(s.eta)).length,
    JSON.stringify(seen),
  ).toBeGreaterThan(0);
  const totals = seen.filter((s) => !s.bytes.endsWith("—"));
  expect(totals.filter((s) => s.state === "dump").length, JSON.stringify(seen)).toBeGreaterThan(0);
  for (const { state, bytes } of totals) {
    expect(bytes, JSON.stringify(seen)).toMatch(state === "dump" ? / of about / : / of (?!about)/);
  }
  // What the server streamed, replayed whole as a late client gets it: the
  // dump's progress in steps (a write each time the percentage moves, at
  // most every 25 ms; 11–14 distinct values were seen here on two cores),
  // every phase, in order.
  const replay = await adminPage.request.get(`${new URL((await stream).url()).pathname}?since=0`);
  expect(replay.status()).toBe(200);
  const streamed = (await replay.text())
    .split("\n")
    .filter((line) => line.startsWith("data: {") && line.includes('"version"'))
    .map((line) => JSON.parse(line.slice(6)) as { state: string; progress: number });
  const dumpSteps = new Set(streamed.filter((e) => e.state === "dump").map((e) => e.progress));
  expect(dumpSteps.size, JSON.stringify(streamed.map((e) => e.progress))).toBeGreaterThanOrEqual(6);
  expect([...new Set(streamed.map((e) => e.state))]).toEqual([
    "init",
    "setup",
    "dump",
    "upload",
    "sync",
    "done",
  ]);
  await expect(adminPage.getByTestId("restored-tables")).toContainText("users:");
  // The link leads to the cloud side's record of the restore.
  await adminPage.getByTestId("migration-done").getByRole("link").click();
  await expect(adminPage.getByTestId("cloud-instance")).toContainText(
    "Restored: the copy is complete",
  );

  // The member's page, never reloaded, now says where the instance went.
  const movedBanner = memberPage.getByTestId("moved-banner");
  await expect(movedBanner).toContainText("This instance moved to the cloud on", {
    timeout: 15_000,
  });
  await expect(memberPage.getByTestId("read-only-banner")).toHaveCount(0);
  await expect(movedBanner.getByRole("link")).toHaveAttribute("href", /\/cloud\/[0-9a-f]+$/);
  await expect(
    memberPage.getByTestId("new-collection").getByRole("button", { name: "Create collection" }),
  ).toBeDisabled();

  // An admin takes it back: a confirm saying the cloud will not see what follows.
  await adminPage.goto("/admin/settings");
  await expect(
    adminPage
      .getByTestId("preflight")
      .locator('li[data-status="fail"]', { hasText: "moved to the cloud already" }),
  ).toHaveCount(1);
  await adminPage.getByTestId("resume-editing").click();
  await expect(adminPage.getByRole("dialog")).toContainText("will not reach the cloud copy");
  await adminPage.getByRole("dialog").getByRole("button", { name: "Resume editing here" }).click();
  await expect(adminPage.getByTestId("resume-editing")).toHaveCount(0, { timeout: 15_000 });

  // Writable again for the member, whose page was not reloaded, and the scheduler runs.
  await expect(movedBanner).toHaveCount(0, { timeout: 15_000 });
  await memberPage.getByTestId("new-collection").getByLabel("Name").fill("After the move");
  await memberPage.getByRole("button", { name: "Create collection" }).click();
  await expect(memberPage).toHaveURL(/\/collections\/\d+$/);
  await adminPage.goto("/admin/cluster");
  await expect(adminPage.getByText("Scheduler:")).toContainText("running");
  await adminPage.goto("/admin/audit");
  await expect(adminPage.getByTestId("audit-list")).toContainText("migration.done");
  await expect(adminPage.getByTestId("audit-list")).toContainText("migration.resume_editing");
});

test("an admin cancels a migration; the instance is writable again", async ({ page, context }) => {
  await new SessionPage(page).signIn(seededAdmin.email, seededAdmin.password);
  await expect(page.getByTestId("current-user")).toBeVisible();
  // A second tab already open on Settings, as another admin would have it.
  const otherTab = await context.newPage();
  await otherTab.goto("/admin/settings");
  await expect(otherTab.getByTestId("start-migration")).toBeVisible();
  await page.goto("/admin/settings");
  await page.getByTestId("start-migration").click();
  await page.getByRole("radio", { name: /Let this instance keep working/ }).check();
  await page.getByRole("button", { name: "Start migration" }).click();
  await expect(page.getByTestId("migration-progress")).toBeVisible();
  // The admin opens the cancel dialog at once, while it copies. A refresh
  // (the other tab's start, the phases' changes) must not close it: in CI it
  // once vanished under the pointer because a refresh remounted the progress.
  await page.getByRole("button", { name: "Cancel migration" }).click();
  const dialog = page.getByRole("dialog");
  await expect(dialog).toBeVisible();
  // The other tab shows it without a reload.
  await expect(otherTab.getByTestId("migration-progress")).toBeVisible({ timeout: 15_000 });
  // Let the page's refresh land before looking again.
  await page.waitForTimeout(1_500);
  await expect(dialog).toBeVisible();
  await dialog.getByRole("button", { name: "Cancel migration" }).click();
  await expect(page.getByTestId("migration-history")).toContainText("Cancelled", {
    timeout: 30_000,
  });
  await expect(page.getByTestId("read-only-banner")).toHaveCount(0, { timeout: 15_000 });
  await expect(page.getByTestId("start-migration")).toBeEnabled();
});

test("an admin pastes a migration key; the pre-flight checks it against the store", async ({
  page,
}) => {
  await new SessionPage(page).signIn(seededAdmin.email, seededAdmin.password);
  await expect(page.getByTestId("current-user")).toBeVisible();
  await page.goto("/admin/settings");
  const status = page.getByTestId("cloud-key-status");
  const keyCheck = page.getByTestId("preflight").locator("li", { hasText: "Cloud key" });
  await expect(status).toContainText("from LIFTOFF_CLOUD_KEY_FILE");
  const form = page.getByTestId("cloud-key-form");

  await form.getByLabel("Migration key").fill("lok_too-short");
  await form.getByRole("button", { name: "Save key" }).click();
  await expect(form.getByTestId("form-error")).toContainText("That is not a migration key");

  // Well formed, but not one the store issued: saved, shown by its prefix only, refused by the store.
  const unknown = `lok_${"Q".repeat(43)}`;
  await form.getByLabel("Migration key").fill(unknown);
  await form.getByRole("button", { name: "Save key" }).click();
  await expect(status).toContainText("Key lok_QQQQQQQQ… (pasted on Settings)");
  await expect(page.locator("body")).not.toContainText(unknown);
  await expect(keyCheck).toHaveAttribute("data-status", "fail");
  await expect(keyCheck).toContainText(
    "The cloud store refused this instance's migration key: This migration key is not valid.",
  );
  await expect(page.getByTestId("start-migration")).toBeDisabled();

  // Removed: the local store's key applies again.
  await page.getByTestId("cloud-key-remove").getByRole("button", { name: "Remove key" }).click();
  await expect(status).toContainText("from LIFTOFF_CLOUD_KEY_FILE");
  await expect(keyCheck).toHaveAttribute("data-status", "pass");
});
