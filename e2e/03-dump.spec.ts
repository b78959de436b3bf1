import { execFileSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { expect, test, type Page } from "@playwright/test";
import { admin, ensureUsers, member } from "./fixtures";
import { SessionPage } from "./pages/session";

test.beforeAll(async ({ browser }) => {
  await ensureUsers(browser);
});

async function signedIn(page: Page, user: { email: string; password: string }) {
  await new SessionPage(page).signIn(user.email, user.password);
  await expect(page.getByTestId("current-user")).toBeVisible();
}

/** How many dumps the audit log has recorded: a refused request must add none. */
async function dumpsAudited(page: Page): Promise<number> {
  await page.goto("/admin/audit");
  return page.getByTestId("audit-list").getByText("dump.download", { exact: true }).count();
}

const plantedPassword = "planted-e2e-ds-password-5d1e";

/** A data source whose password (stored in plaintext: no instance key here) must not leak. */
async function plantDataSource(page: Page) {
  await page.goto("/admin/data-sources");
  await expect(page.getByTestId("new-data-source")).toBeVisible();
  if ((await page.getByText("Planted warehouse").count()) > 0) return;
  const form = page.getByTestId("new-data-source");
  await form.getByLabel("Name").fill("Planted warehouse");
  await form.getByLabel("Host").fill("db.example.test");
  await form.getByLabel("Database").fill("dwh");
  await form.getByLabel("User").fill("reader");
  await form.getByLabel("Password", { exact: true }).fill(plantedPassword);
  await form.getByRole("button", { name: "Add data source" }).click();
  await expect(page.getByTestId("data-source-list")).toContainText("Planted warehouse");
}

/** Clicks "Download dump" and returns the archive's manifest and its data, decompressed. */
async function download(page: Page) {
  const [file] = await Promise.all([
    page.waitForEvent("download"),
    page.getByTestId("download-dump").click(),
  ]);
  expect(file.suggestedFilename()).toMatch(/^liftoff-[0-9a-f]{8}-\d{8}T\d{6}Z\.tar$/);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "liftoff-e2e-dump-"));
  try {
    const tar = path.join(dir, file.suggestedFilename());
    await file.saveAs(tar);
    const entries = execFileSync("tar", ["-tf", tar], { encoding: "utf8" }).split("\n");
    expect(entries).toEqual(expect.arrayContaining(["manifest.json", "schema.sql", "restore.sql"]));
    expect(entries.some((e) => /^data\/\d+-users\.\d+\.tsv\.gz$/.test(e))).toBe(true);
    const manifest = JSON.parse(
      execFileSync("tar", ["-xOf", tar, "manifest.json"], { encoding: "utf8" }),
    ) as { tables: { name: string; rows: number }[]; secrets: { mode: string; count: number } };
    const data = entries
      .filter((e) => e.startsWith("data/") && e.endsWith(".gz"))
      .map((e) => zlib.gunzipSync(execFileSync("tar", ["-xOf", tar, e])).toString("utf8"))
      .join("");
    return { manifest, data };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test("an admin downloads a dump that standard tools read, its secrets sealed with a passphrase", async ({
  page,
}) => {
  await signedIn(page, admin);
  await plantDataSource(page);
  await page.goto("/admin/settings");
  // No instance key here: nothing leaves until the admin says how the secrets go.
  await expect(page.getByTestId("dump-secrets-instance-key")).toHaveCount(0);
  await expect(page.getByTestId("download-dump")).toBeDisabled();
  await page.getByTestId("dump-secrets-passphrase").check();
  await page.getByTestId("dump-passphrase").fill("e2e archive passphrase");
  await page.getByTestId("dump-passphrase-again").fill("e2e archive passphrasX");
  await expect(page.getByTestId("download-dump")).toBeDisabled();
  await page.getByTestId("dump-passphrase-again").fill("e2e archive passphrase");
  const { manifest, data } = await download(page);
  expect(manifest.tables.find((t) => t.name === "users")?.rows).toBeGreaterThanOrEqual(2);
  expect(manifest.secrets.mode).toBe("passphrase");
  expect(manifest.secrets.count).toBeGreaterThanOrEqual(1);
  expect(data).toContain("Planted warehouse");
  expect(data).not.toContain(plantedPassword);
  await page.goto("/admin/audit");
  await expect(page.getByTestId("audit-list")).toContainText("dump.download");
});

test("a plaintext dump is the admin's explicit choice, and holds the passwords", async ({
  page,
}) => {
  await signedIn(page, admin);
  await plantDataSource(page);
  await page.goto("/admin/settings");
  await page.getByTestId("dump-secrets-plaintext").check();
  const { manifest, data } = await download(page);
  expect(manifest.secrets.mode).toBe("plaintext");
  expect(data).toContain(plantedPassword);
});

test("a dump is never started by a GET, even an admin's", async ({ page }) => {
  await signedIn(page, admin);
  const before = await dumpsAudited(page);
  const response = await page.request.get("/api/admin/dump");
  expect(response.status()).toBe(405);
  expect(response.headers()["content-type"] ?? "").not.toContain("application/x-tar");
  expect(await dumpsAudited(page)).toBe(before);
});

test("another site's form cannot start a dump with the admin's cookie", async ({ page }) => {
  await signedIn(page, admin);
  const before = await dumpsAudited(page);
  const target = new URL("/api/admin/dump", page.url()).toString();
  // Same host, other port: same-site, so the browser sends the session cookie
  // (SameSite=Lax does not help here); only the route's own check can refuse.
  const attacker = http.createServer((_, res) => {
    res.setHeader("content-type", "text/html");
    res.end(
      `<form id="f" method="post" action="${target}"></form><script>document.getElementById("f").submit()</script>`,
    );
  });
  await new Promise<void>((resolve) => attacker.listen(0, "127.0.0.1", resolve));
  try {
    const { port } = attacker.address() as AddressInfo;
    const refused = page.waitForResponse((r) => r.url() === target);
    await page.goto(`http://127.0.0.1:${port}/`);
    const response = await refused;
    expect(response.status()).toBe(403);
    // The browser did send the admin's session: only the route's check stopped it.
    expect((await response.request().allHeaders())["cookie"] ?? "").toContain("session-token");
    expect(await response.text()).toContain("another site");
  } finally {
    await new Promise((resolve) => attacker.close(resolve));
  }
  // A script's request with a foreign Origin is refused the same way.
  const forged = await page.request.post("/api/admin/dump", {
    headers: { origin: "https://evil.example" },
  });
  expect(forged.status()).toBe(403);
  expect(await dumpsAudited(page)).toBe(before);
});

test("a member cannot download a dump, nor can anyone signed out", async ({ page }) => {
  const anonymous = await page.request.post("/api/admin/dump");
  expect(anonymous.status()).toBe(401);
  await signedIn(page, member);
  const response = await page.request.post("/api/admin/dump");
  expect(response.status()).toBe(403);
  expect(await response.json()).toMatchObject({ error: { code: "forbidden:admin" } });
});
