import fs from "node:fs";
import path from "node:path";
import { expect, request, test, type APIRequestContext, type Page } from "@playwright/test";
import { admin, ensureUsers, member } from "./fixtures";
import { AdminPages } from "./pages/admin";
import { ContentPages } from "./pages/content";
import { SessionPage } from "./pages/session";

/**
 * The attack suite, pages: every page under app/ read as an outsider with
 * redirects NOT followed, as a browser never does. Next renders a page beside
 * its layout, so a redirect or 403 decided in a layout still streams the
 * page's data in the body: each page must refuse on its own before it reads.
 * Markers planted as the admin must appear in none of those bodies.
 */

test.describe.configure({ mode: "serial" });

const stamp = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const markers = {
  userEmail: `leak-user-${stamp}@example.test`,
  // A data source created under one name and renamed: the first name lives on
  // only in the audit log.
  auditOnly: `leak-audit-${stamp}`,
  dataSource: `leak-source-${stamp}`,
  dataSourceHost: `leak-host-${stamp}.example.test`,
  // Content every member may read, but no anonymous visitor.
  collection: `leak-collection-${stamp}`,
  card: `leak-card-${stamp}`,
  dashboard: `leak-dashboard-${stamp}`,
};
/** Filled in beforeAll: a setting's value, read from the admin's settings page. */
let settingValue = "";
const ids: Record<string, string> = {};

/** Every page.tsx under app/, as its URL pattern (route groups dropped). */
function pagePatterns(): string[] {
  const root = path.resolve("app");
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/^page\.(tsx|ts|jsx|js|mdx)$/.test(entry.name)) {
        const segments = path
          .relative(root, dir)
          .split(path.sep)
          .filter((s) => s && !/^\(.*\)$/.test(s) && !s.startsWith("@") && !s.startsWith("_"));
        found.push(`/${segments.join("/")}`);
      }
    }
  };
  walk(root);
  return found.sort();
}

/**
 * A value for each dynamic segment, pointing at a planted row where one
 * exists. A new dynamic page with a segment not listed here fails the test,
 * so nobody adds a page the suite silently skips.
 */
function concrete(pattern: string): string {
  const values: Record<string, string | undefined> = {
    "/admin/data-sources/[id]": ids.dataSource,
    "/collections/[id]": ids.collection,
    "/cards/[id]": ids.card,
    "/dashboards/[id]": ids.dashboard,
    // No migration reached this server's store: a well-formed id must still refuse first.
    "/cloud/[externalId]": "0123456789abcdef01234567",
  };
  if (!pattern.includes("[")) return pattern;
  const value = values[pattern];
  if (!value) throw new Error(`e2e/07-access-pages: give the dynamic page ${pattern} a value`);
  return pattern.replace(/\[[^\]]+\]/, value);
}

/** Pages anyone may open; everything else needs a session. */
const publicPages = new Set(["/login", "/setup"]);
/** Pages a member may open; everything under /admin and /cloud is for admins. */
const isAdminPage = (p: string) => p.startsWith("/admin") || p.startsWith("/cloud");

function idFromUrl(page: Page): string {
  const id = /\/(\d+)$/.exec(new URL(page.url()).pathname)?.[1];
  if (!id) throw new Error(`no id in ${page.url()}`);
  return id;
}

test.beforeAll(async ({ browser }) => {
  await ensureUsers(browser);
  const page = await browser.newPage();
  await new SessionPage(page).signIn(admin.email, admin.password);
  await expect(page.getByTestId("current-user")).toBeVisible();

  await new AdminPages(page).createUser({
    name: "Leak Marker",
    email: markers.userEmail,
    password: "leak-marker-password",
  });

  await page.goto("/admin/data-sources");
  const create = page.getByTestId("new-data-source");
  await create.getByLabel("Name").fill(markers.auditOnly);
  await create.getByLabel("Host").fill(markers.dataSourceHost);
  await create.getByLabel("Database").fill("analytics");
  await create.getByLabel("User").fill("reader");
  await create.getByRole("button", { name: "Add data source" }).click();
  await page.getByRole("link", { name: markers.auditOnly }).click();
  await expect(page).toHaveURL(/\/admin\/data-sources\/\d+$/);
  ids.dataSource = idFromUrl(page);
  const edit = page.getByTestId("edit-data-source");
  await edit.getByLabel("Name").fill(markers.dataSource);
  await edit.getByRole("button", { name: "Save" }).click();
  await expect(edit.getByText("Saved.")).toBeVisible();

  const content = new ContentPages(page);
  await content.createCollection(markers.collection);
  ids.collection = idFromUrl(page);
  await content.createCard({ name: markers.card, collection: markers.collection, query: "{}" });
  ids.card = idFromUrl(page);
  await content.createDashboard(markers.dashboard);
  ids.dashboard = idFromUrl(page);

  // The settings page makes the instance id on its first render (pre-flight).
  await page.goto("/admin/settings");
  await page.reload();
  const row = page.locator("tr", { has: page.locator("td", { hasText: /^instance\.id$/ }) });
  settingValue = ((await row.locator("td").nth(1).textContent()) ?? "").trim();
  expect(settingValue).toMatch(/^[0-9a-f-]{36}$/);
  await page.close();
});

const adminMarkers = () => [
  markers.userEmail,
  markers.auditOnly,
  markers.dataSourceHost,
  settingValue,
];
// Members pick a data source for their questions, so its name is theirs to see; its host is not.
const memberMarkers = () => [
  markers.dataSource,
  markers.collection,
  markers.card,
  markers.dashboard,
];

/**
 * The HTML and the RSC payload (what client navigation fetches) of a page,
 * redirects not followed. Next sends an RSC request without its cache-busting
 * `_rsc` parameter to the same URL with one: that one hop is taken by hand.
 */
async function readBodies(client: APIRequestContext, url: string) {
  const html = await client.get(url, { maxRedirects: 0 });
  const reads = [
    { variant: "html", status: html.status(), headers: html.headers(), body: await html.text() },
  ];
  let target = url;
  for (let hop = 0; hop < 3; hop++) {
    const flight = await client.get(target, { maxRedirects: 0, headers: { RSC: "1" } });
    const read = {
      variant: "rsc",
      status: flight.status(),
      headers: flight.headers(),
      body: await flight.text(),
    };
    reads.push(read);
    const location = read.headers.location ?? "";
    if (!(read.status >= 300 && read.status < 400 && location.includes("_rsc"))) break;
    target = location;
  }
  return reads;
}

/** Every marker found in a body, as a readable line. */
function leaks(body: string, forbidden: string[], where: string): string[] {
  return forbidden.filter((marker) => body.includes(marker)).map((m) => `${where} leaks ${m}`);
}

test("the suite sees every page and its markers are real", async ({ browser }) => {
  const patterns = pagePatterns();
  expect(patterns).toEqual(expect.arrayContaining(["/admin/users", "/admin/audit", "/login"]));
  // The admin sees each marker where it lives: a test that could not see them would prove nothing.
  const page = await browser.newPage();
  await new SessionPage(page).signIn(admin.email, admin.password);
  await expect(page.getByTestId("current-user")).toBeVisible();
  const seen = async (url: string) => (await page.request.get(url, { maxRedirects: 0 })).text();
  expect(await seen("/admin/users")).toContain(markers.userEmail);
  expect(await seen("/admin/audit")).toContain(markers.auditOnly);
  expect(await seen("/admin/data-sources")).toContain(markers.dataSource);
  expect(await seen("/admin/settings")).toContain(settingValue);
  expect(await seen(`/collections/${ids.collection}`)).toContain(markers.collection);
  await page.close();
});

test("an anonymous visitor gets no page's data, only the way to sign in", async ({ baseURL }) => {
  const anonymous = await request.newContext({ baseURL });
  const problems: string[] = [];
  for (const pattern of pagePatterns()) {
    const url = concrete(pattern);
    for (const read of await readBodies(anonymous, url)) {
      const where = `anonymous ${read.variant} ${url} (${read.status})`;
      problems.push(...leaks(read.body, [...adminMarkers(), ...memberMarkers()], where));
      if (publicPages.has(pattern) || read.variant !== "html") continue;
      if (read.status !== 307 || !/\/login/.test(read.headers.location ?? "")) {
        problems.push(`${where} is not a redirect to /login`);
      }
    }
  }
  await anonymous.dispose();
  expect(problems).toEqual([]);
});

test("a member gets no admin page's data, only a refusal", async ({ browser }) => {
  const page = await browser.newPage();
  await new SessionPage(page).signIn(member.email, member.password);
  await expect(page.getByTestId("current-user")).toContainText(member.name);
  const problems: string[] = [];
  for (const pattern of pagePatterns()) {
    const url = concrete(pattern);
    for (const read of await readBodies(page.request, url)) {
      const where = `member ${read.variant} ${url} (${read.status})`;
      problems.push(...leaks(read.body, adminMarkers(), where));
      if (isAdminPage(pattern) && read.variant === "html" && read.status !== 403) {
        problems.push(`${where} is not a 403`);
      }
    }
  }
  await page.close();
  expect(problems).toEqual([]);
});
