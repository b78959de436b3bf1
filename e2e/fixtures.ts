import { expect, type Browser } from "@playwright/test";
import { AdminPages } from "./pages/admin";
import { SessionPage } from "./pages/session";

export const admin = {
  name: "Ada Admin",
  email: "ada@example.test",
  password: "correct-horse-battery",
};
export const member = {
  name: "Max Member",
  email: "max@example.test",
  password: "member-password-1",
};

/**
 * Makes sure the instance has the admin and the member, whatever ran before:
 * specs may then run alone or after one another on the same server.
 */
export async function ensureUsers(browser: Browser): Promise<void> {
  const page = await browser.newPage();
  const session = new SessionPage(page);
  await page.goto("/");
  if (page.url().endsWith("/setup")) await session.setUpFirstAdmin(admin);
  await session.signIn(admin.email, admin.password);
  await expect(page.getByTestId("current-user")).toBeVisible();
  await page.goto("/admin/users");
  if (!(await page.getByTestId("user-list").textContent())?.includes(member.email)) {
    await new AdminPages(page).createUser(member);
  }
  await page.close();
}
