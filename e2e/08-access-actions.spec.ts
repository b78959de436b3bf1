import fs from "node:fs";
import path from "node:path";
import {
  expect,
  request,
  test,
  type APIRequestContext,
  type APIResponse,
  type Browser,
} from "@playwright/test";
import { admin, ensureUsers, member } from "./fixtures";
import { SessionPage } from "./pages/session";

/**
 * The attack suite, server actions and route handlers: each one called over
 * HTTP the way an outsider would — an action by its id (`Next-Action`), not
 * through the page's form — as anonymous, as a member and from a foreign
 * Origin. They are enumerated from the build's action manifest and from the
 * files under app/api, so a new one is attacked without anyone adding it here.
 */

test.describe.configure({ mode: "serial" });

const stamp = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const marker = `attack-${stamp}`;
const foreignOrigin = "https://evil.example";

interface ServerAction {
  id: string;
  file: string;
  name: string;
  /** The page the action is reachable from, as a URL. */
  page: string;
}

/** Actions that run without a session, each with why; everything else must refuse outsiders. */
const publicActions: Record<string, string> = {
  "app/(auth)/setup/actions.ts#setupFirstAdmin":
    "creates the first administrator, and only while the instance has no user at all",
};

function pageUrl(worker: string): string {
  const segments = worker
    .replace(/^app\//, "")
    .replace(/\/page$/, "")
    .split("/")
    .filter((s) => s && s !== "page" && !/^\(.*\)$/.test(s))
    // Any id will do: the action is what is attacked, not the page.
    .map((s) => (s.startsWith("[") ? "1" : s));
  return `/${segments.join("/")}`;
}

function serverActions(): ServerAction[] {
  const manifestPath = path.resolve(".next/server/server-reference-manifest.json");
  const manifest = JSON.parse(fs.readFileSync(manifestPath, "utf8")) as {
    node: Record<
      string,
      { workers: Record<string, unknown>; filename: string; exportedName: string }
    >;
  };
  return Object.entries(manifest.node).map(([id, entry]) => ({
    id,
    file: entry.filename,
    name: entry.exportedName,
    page: pageUrl(Object.keys(entry.workers)[0] ?? "app/page"),
  }));
}

/** The role an action declares through defineAction, read from its source. */
function declaredRole(action: ServerAction): "user" | "admin" | "public" {
  if (publicActions[`${action.file}#${action.name}`]) return "public";
  const source = fs.readFileSync(path.resolve(action.file), "utf8");
  const start = source.indexOf(`export const ${action.name} = defineAction(`);
  if (start < 0) {
    throw new Error(
      `${action.file}#${action.name} does not go through defineAction: give it a session check, or list it in publicActions with the reason`,
    );
  }
  const role = /role:\s*"(user|admin)"/.exec(source.slice(start, start + 600))?.[1];
  if (role !== "user" && role !== "admin") throw new Error(`no role in ${action.name}`);
  return role;
}

/**
 * Fields for every action's input, with values that would write something
 * visible if a check let them through: a new admin, a renamed user, the
 * maintenance switch, a deactivated first user.
 */
const attackFields: Record<string, string> = {
  name: marker,
  email: `${marker}@example.test`,
  password: "attack-password-1",
  confirm: "attack-password-1",
  role: "admin",
  id: "1",
  userId: "1",
  active: "false",
  enabled: "true",
  engine: "postgres",
  host: `${marker}.example.test`,
  port: "5432",
  database: marker,
  user: marker,
  description: marker,
  query: "{}",
  display: "table",
  dashboardId: "1",
  cardId: "1",
  dashboardCardId: "1",
  row: "0",
  col: "0",
  sizeX: "4",
  sizeY: "4",
};

/**
 * Calls an action as React's client does (React 19.3's reply encoding): a
 * multipart body whose "_1_" fields
 * are a FormData's entries and whose field "0" holds the arguments (the
 * previous state, then that FormData as "$K1").
 */
async function callAction(
  client: APIRequestContext,
  action: ServerAction,
  fields: Record<string, string>,
  origin: string,
): Promise<{ status: number; body: string; response: APIResponse }> {
  // A FormData, not an object: an object would put the integer-like "0" first.
  const multipart = new FormData();
  for (const [key, value] of Object.entries(fields)) multipart.append(`_1_${key}`, value);
  // Last, as React sends it: the server resolves "$K1" from the fields read before it.
  multipart.append("0", JSON.stringify([null, "$K1"]));
  const response = await client.post(action.page, {
    headers: { "Next-Action": action.id, Accept: "text/x-component", Origin: origin },
    multipart,
    maxRedirects: 0,
  });
  return { status: response.status(), body: await response.text(), response };
}

const resultCode = (body: string) => /"ok":false,"error":\{"code":"([^"]+)"/.exec(body)?.[1];

async function signedIn(browser: Browser, who: { email: string; password: string }) {
  const page = await browser.newPage();
  await new SessionPage(page).signIn(who.email, who.password);
  await expect(page.getByTestId("current-user")).toBeVisible();
  return page;
}

/** What an attack could change, read as the admin: compared before and after. */
async function observable(client: APIRequestContext) {
  const text = async (url: string) => (await client.get(url, { maxRedirects: 0 })).text();
  const audit = await text("/admin/audit");
  const readOnly = (await (await client.get("/api/read-only")).json()) as { enabled: boolean };
  return {
    // The newest audit entry: every action that writes records one.
    newestAudit: /<tbody>(.*?)<\/tr>/s.exec(audit)?.[1] ?? "",
    markerAnywhere: [
      audit,
      await text("/admin/users"),
      await text("/admin/data-sources"),
      await text("/collections"),
      await text("/cards"),
      await text("/dashboards"),
    ].some((body) => body.includes(marker)),
    readOnly: readOnly.enabled,
  };
}

test.beforeAll(async ({ browser }) => {
  await ensureUsers(browser);
});

test("the suite finds every action, and its way of calling one works", async ({
  browser,
  baseURL,
}) => {
  const actions = serverActions();
  expect(actions.map((a) => a.name)).toEqual(
    expect.arrayContaining(["createUserAction", "setMaintenanceModeAction", "setupFirstAdmin"]),
  );
  for (const action of actions) declaredRole(action); // throws for an unchecked action

  // Positive control: the admin, same origin, creates a user through the
  // same encoding the attacks use — so a refusal below is a refusal, not a
  // malformed request.
  const adminPage = await signedIn(browser, admin);
  const createUser = actions.find((a) => a.name === "createUserAction")!;
  const email = `control-${stamp}@example.test`;
  const result = await callAction(
    adminPage.request,
    createUser,
    { name: "Control User", email, password: "control-password-1", role: "user" },
    baseURL!,
  );
  expect(result.status).toBe(200);
  expect(result.body).toContain('"ok":true');
  expect(await (await adminPage.request.get("/admin/users")).text()).toContain(email);
  await adminPage.close();
});

test("every action refuses anonymous callers, members where admin-only, and foreign origins", async ({
  browser,
  baseURL,
}) => {
  const adminPage = await signedIn(browser, admin);
  const before = await observable(adminPage.request);
  expect(before.markerAnywhere).toBe(false);
  const memberPage = await signedIn(browser, member);
  const anonymous = await request.newContext({ baseURL });
  const problems: string[] = [];

  for (const action of serverActions()) {
    const role = declaredRole(action);
    const label = `${action.file}#${action.name}`;

    const outsider = await callAction(anonymous, action, attackFields, baseURL!);
    const outsiderCode = resultCode(outsider.body);
    if (role === "public") {
      // Set-up is done on this server: the public action must refuse too.
      if (!outsiderCode) problems.push(`${label}: anonymous call not refused (${outsider.status})`);
    } else if (outsiderCode !== "unauthorized:session") {
      problems.push(`${label}: anonymous got ${outsiderCode ?? outsider.status}`);
    }

    if (role === "admin") {
      const asMember = await callAction(memberPage.request, action, attackFields, baseURL!);
      const code = resultCode(asMember.body);
      if (code !== "forbidden:admin")
        problems.push(`${label}: member got ${code ?? asMember.status}`);
    }

    // Cross-site: the admin's own cookies, a foreign page's Origin. Next
    // refuses before the action runs, whatever it would have done.
    const crossSite = await callAction(adminPage.request, action, attackFields, foreignOrigin);
    if (crossSite.status < 400 || crossSite.body.includes('"ok":')) {
      problems.push(`${label}: foreign Origin answered ${crossSite.status}`);
    }
  }
  await anonymous.dispose();

  const after = await observable(adminPage.request);
  expect(problems).toEqual([]);
  expect(after.markerAnywhere, "an attack wrote a marker").toBe(false);
  expect(after.newestAudit, "an attack wrote an audit entry").toBe(before.newestAudit);
  expect(after.readOnly, "an attack switched read-only mode on").toBe(false);
  await adminPage.close();
  await memberPage.close();
});

/**
 * Who may call each route handler. Every file under app/api must be listed:
 * a new route fails this test until someone decides who may call it.
 */
type RouteAccess =
  | { kind: "admin" | "user"; url: string }
  | { kind: "public"; reason: string; outsider: (client: APIRequestContext) => Promise<void> };

const routeAccess: Record<string, RouteAccess> = {
  "/api/admin/dump": { kind: "admin", url: "/api/admin/dump" },
  "/api/migrations/[id]": { kind: "admin", url: "/api/migrations/1" },
  "/api/migrations/[id]/events": { kind: "admin", url: "/api/migrations/1/events" },
  "/api/migrations/events": { kind: "admin", url: "/api/migrations/events" },
  "/api/read-only": { kind: "user", url: "/api/read-only" },
  "/api/read-only/events": { kind: "user", url: "/api/read-only/events" },
  "/api/auth/[...nextauth]": {
    kind: "public",
    reason: "next-auth's own sign-in, sign-out and session endpoints",
    outsider: async (client) => {
      // A credentials sign-in without next-auth's CSRF token gets no session.
      const response = await client.post("/api/auth/callback/credentials", {
        form: { email: admin.email, password: admin.password },
        maxRedirects: 0,
      });
      const cookies = response.headersArray().filter((h) => h.name.toLowerCase() === "set-cookie");
      expect(cookies.map((c) => c.value).join("\n")).not.toMatch(/session-token=[^;]/);
      const session: unknown = await (await client.get("/api/auth/session")).json();
      expect(session).toEqual({});
    },
  },
  "/api/store/v1/[...path]": {
    kind: "public",
    reason:
      "the store API: opening a migration and the key check take a migration key, each migration's " +
      "routes take that migration's bearer token, health is public",
    outsider: async (client) => {
      const id = "0123456789abcdef01234567";
      const wrongKey = `lok_${"A".repeat(43)}`;
      const createBody = {
        app_version: "0.1.0",
        schema_migration_id: "0000_init",
        instance_id: "x",
      };
      const migrations = "/api/store/v1/migrations";
      const uploaded = { sha256: "0".repeat(64), size: 1 };
      // No key is 401, a wrong one 403; a migration's routes want its token (401 without).
      for (const [method, url, authorization, body, status] of [
        ["POST", migrations, undefined, createBody, 401],
        ["POST", migrations, `Bearer ${wrongKey}`, createBody, 403],
        ["POST", migrations, "Bearer not-a-key", createBody, 403],
        ["GET", "/api/store/v1/key", undefined, undefined, 401],
        ["GET", "/api/store/v1/key", `Bearer ${wrongKey}`, undefined, 403],
        ["POST", `${migrations}/${id}/uploaded`, undefined, uploaded, 401],
        ["POST", `${migrations}/${id}/uploaded`, "Bearer not-the-token", uploaded, 401],
        ["DELETE", `${migrations}/${id}`, undefined, undefined, 401],
      ] as const) {
        const response = await client.fetch(url, {
          method,
          ...(body ? { data: body } : {}),
          headers: authorization ? { authorization } : {},
        });
        expect(response.status(), `${method} ${url}`).toBe(status);
        const reply = (await response.json()) as { error: { code: string; message: string } };
        expect(reply.error.code, `${method} ${url}`).toMatch(
          status === 401 ? /^unauthorized:/ : /^forbidden:/,
        );
        expect(typeof reply.error.message).toBe("string");
      }
    },
  },
};

/** Every route.ts under app/api, as its URL pattern, with the methods it exports. */
function routeHandlers(): { pattern: string; methods: string[] }[] {
  const root = path.resolve("app");
  const found: { pattern: string; methods: string[] }[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/^route\.(ts|js)$/.test(entry.name)) {
        const source = fs.readFileSync(full, "utf8");
        const methods = [
          ...[...source.matchAll(/export\s+(?:async\s+)?(?:function|const)\s+([A-Z]+)\b/g)].map(
            (m) => m[1]!,
          ),
          ...[...source.matchAll(/export\s*\{([^}]*)\}/g)].flatMap((m) =>
            m[1]!.split(",").map((part) =>
              part
                .trim()
                .split(/\s+as\s+/)
                .at(-1)!,
            ),
          ),
        ].filter((m) => /^(GET|HEAD|POST|PUT|PATCH|DELETE)$/.test(m));
        const segments = path
          .relative(root, dir)
          .split(path.sep)
          .filter((s) => !/^\(.*\)$/.test(s));
        found.push({ pattern: `/${segments.join("/")}`, methods });
      }
    }
  };
  walk(path.join(root, "api"));
  return found.sort((a, b) => a.pattern.localeCompare(b.pattern));
}

test("every route handler refuses outsiders in the one error shape", async ({
  browser,
  baseURL,
}) => {
  const adminPage = await signedIn(browser, admin);
  const before = await observable(adminPage.request);
  const memberPage = await signedIn(browser, member);
  const anonymous = await request.newContext({ baseURL });
  const problems: string[] = [];
  const expectRefusal = async (
    response: APIResponse,
    status: number,
    code: RegExp,
    where: string,
  ) => {
    const body = (await response.json().catch(() => null)) as {
      error?: { code?: unknown; message?: unknown };
    } | null;
    const shaped =
      typeof body?.error?.code === "string" &&
      typeof body.error.message === "string" &&
      Object.keys(body).length === 1;
    if (response.status() !== status || !shaped || !code.test(String(body?.error?.code))) {
      problems.push(`${where}: ${response.status()} ${JSON.stringify(body)}`);
    }
  };

  const routes = routeHandlers();
  expect(routes.length).toBeGreaterThanOrEqual(6);
  for (const { pattern, methods } of routes) {
    const access = routeAccess[pattern];
    if (!access) {
      problems.push(`${pattern}: not in routeAccess — decide who may call it`);
      continue;
    }
    if (access.kind === "public") {
      await access.outsider(anonymous);
      continue;
    }
    for (const method of methods) {
      const where = `${method} ${access.url}`;
      const call = (client: APIRequestContext, headers: Record<string, string> = {}) =>
        client.fetch(access.url, { method, headers, maxRedirects: 0 });
      await expectRefusal(await call(anonymous), 401, /^unauthorized:/, `anonymous ${where}`);
      if (access.kind === "admin") {
        await expectRefusal(await call(memberPage.request), 403, /^forbidden:/, `member ${where}`);
      }
      if (method !== "GET") {
        const crossSite = await call(adminPage.request, { Origin: foreignOrigin });
        if (crossSite.status() < 400)
          problems.push(`foreign Origin ${where}: ${crossSite.status()}`);
      }
    }
  }
  await anonymous.dispose();
  const after = await observable(adminPage.request);
  expect(problems).toEqual([]);
  expect(after.newestAudit, "a refused call wrote an audit entry").toBe(before.newestAudit);
  expect(after.markerAnywhere).toBe(false);
  await adminPage.close();
  await memberPage.close();
});
