import { expect, test, type Page, type Response } from "@playwright/test";
import { admin, ensureUsers } from "./fixtures";
import { ContentPages } from "./pages/content";
import { SessionPage } from "./pages/session";
import { ExtraServer, postCredentials } from "./support/extra-server";

// Not serial: each test stands alone (a failure does not hide the next one's result).
test.beforeAll(async ({ browser }) => {
  await ensureUsers(browser);
});

const extraPort = Number(process.env.E2E_PORT || 3100) + 2;

/** Every CSP violation and console error a page reports, from the first byte of every document. */
async function watchForViolations(page: Page): Promise<string[]> {
  const problems: string[] = [];
  await page.exposeFunction("reportCspViolation", (text: string) => problems.push(text));
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (event) => {
      const report = (window as unknown as { reportCspViolation: (t: string) => void })
        .reportCspViolation;
      report(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"}`);
    });
  });
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console error: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  // A console error for a failed load does not say what failed: this does.
  page.on("response", (response) => {
    if (response.status() >= 400) problems.push(`${response.status()} for ${response.url()}`);
  });
  return problems;
}

function expectSecurityHeaders(response: Response | null) {
  expect(response, "a document response").not.toBeNull();
  const headers = response?.headers() ?? {};
  const csp = headers["content-security-policy"] ?? "";
  expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]{16,}' 'strict-dynamic'/);
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toContain("object-src 'none'");
  expect(csp).not.toContain("unsafe-eval");
  expect(headers["x-frame-options"]).toBe("DENY");
  expect(headers["x-content-type-options"]).toBe("nosniff");
  expect(headers["referrer-policy"]).toBe("strict-origin-when-cross-origin");
  // The public URL of the test server is http: no HSTS there.
  expect(headers["strict-transport-security"]).toBeUndefined();
}

test("every page loads under the CSP with its security headers and no console error", async ({
  page,
}) => {
  const problems = await watchForViolations(page);

  expectSecurityHeaders(await page.goto("/login"));
  await new SessionPage(page).signIn(admin.email, admin.password);
  await expect(page.getByTestId("current-user")).toBeVisible();
  // A dashboard with a card: the grid's positions are style attributes.
  const content = new ContentPages(page);
  const collection = `CSP ${Date.now()}`;
  await content.createCollection(collection);
  await content.createCard({
    name: `${collection} card`,
    collection,
    query: '{"source": "orders"}',
  });
  await content.createDashboard(`${collection} board`);
  await content.addCardToDashboard(`${collection} card`);
  // Rendered by the server this time, so the style attributes are in the HTML.
  expectSecurityHeaders(await page.reload());
  await expect(page.getByTestId("dashboard-card").first()).toBeVisible();

  for (const path of [
    "/",
    "/setup",
    "/collections",
    "/cards",
    "/cards/new",
    "/dashboards",
    "/admin/users",
    "/admin/audit",
    "/admin/data-sources",
    "/admin/cluster",
    "/admin/settings",
  ]) {
    expectSecurityHeaders(await page.goto(path));
    await page.waitForLoadState("networkidle");
  }
  await expect(page.getByTestId("migrate-to-cloud")).toBeVisible();
  // Static files carry the headers that never change.
  const script = await page.locator("script[src]").first().getAttribute("src");
  const asset = await page.request.get(script ?? "");
  expect(asset.headers()["x-content-type-options"]).toBe("nosniff");
  expect(problems).toEqual([]);
});

test("markup injected into a page cannot run script: the CSP refuses it", async ({ page }) => {
  // Proves the watcher above sees a violation at all: the server's own login
  // page, with the server's own headers, plus a script an attacker slipped in.
  const problems = await watchForViolations(page);
  await page.route("**/login", async (route) => {
    const response = await route.fetch();
    const body = (await response.text()).replace(
      "<body>",
      "<body><script>window.injected = true</script>",
    );
    await route.fulfill({ response, body });
  });
  await page.goto("/login");
  await expect.poll(() => problems.join("\n")).toContain("CSP violation: script-src");
  expect(
    await page.evaluate(() => (window as unknown as { injected?: boolean }).injected),
  ).toBeUndefined();
});

for (const callbackUrl of [
  "/\\evil.com",
  "/%09/evil.com",
  "//evil.com",
  "https://evil.com",
  "javascript:alert(1)",
]) {
  test(`after sign-in, callbackUrl ${JSON.stringify(callbackUrl)} stays on this origin`, async ({
    page,
    baseURL,
  }) => {
    await page.goto(`/login?callbackUrl=${encodeURIComponent(callbackUrl)}`);
    const form = page.getByTestId("login-form");
    await form.getByLabel("Email").fill(admin.email);
    await form.getByLabel("Password").fill(admin.password);
    await form.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL((url) => !url.pathname.startsWith("/login"));
    expect(new URL(page.url()).origin).toBe(new URL(baseURL ?? "").origin);
  });
}

test("with an https public URL: HSTS, upgrade-insecure-requests and Secure session cookies", async () => {
  const server = await ExtraServer.start({
    port: extraPort,
    env: { NEXTAUTH_URL: `https://127.0.0.1:${extraPort}` },
  });
  try {
    const page = await fetch(`${server.url}/login`, { redirect: "manual" });
    expect(page.headers.get("strict-transport-security")).toBe(
      "max-age=63072000; includeSubDomains",
    );
    expect(page.headers.get("content-security-policy")).toContain("upgrade-insecure-requests");
    const csrf = await fetch(`${server.url}/api/auth/csrf`);
    const cookies = csrf.headers.getSetCookie();
    expect(cookies.length).toBeGreaterThan(0);
    for (const cookie of cookies) {
      expect(cookie).toMatch(/^__(Host|Secure)-next-auth\./);
      expect(cookie).toMatch(/;\s*Secure/i);
    }
  } finally {
    await server.stop();
  }
});

test("a fresh instance's set-up page loads under the CSP; a spoofed X-Forwarded-For does not escape the per-address budget", async ({
  page,
}) => {
  const server = await ExtraServer.start({ port: extraPort });
  try {
    const problems = await watchForViolations(page);
    expectSecurityHeaders(await page.goto(`${server.url}/setup`));
    await expect(page.getByTestId("setup-form")).toBeVisible();
    await page.waitForLoadState("networkidle");
    expect(problems).toEqual([]);

    // No user exists on this server: unknown emails are throttled like real ones.
    const budget = 30;
    for (let i = 0; i < budget; i++) {
      const { error } = await postCredentials(
        server.url,
        { email: `stranger-${i}@example.test`, password: "guess" },
        {
          "x-forwarded-for": `203.0.113.${i + 1}`,
          "x-real-ip": `203.0.113.${i + 1}`,
          "x-liftoff-peer-address": `198.51.100.${i + 1}`,
        },
      );
      expect(error, `attempt ${i + 1}`).toBe("CredentialsSignin");
    }
    const { error } = await postCredentials(
      server.url,
      { email: "one-more@example.test", password: "guess" },
      { "x-forwarded-for": "203.0.113.250", "x-liftoff-peer-address": "198.51.100.250" },
    );
    expect(error).toMatch(/^RateLimited:\d+$/);
  } finally {
    await server.stop();
  }
});
