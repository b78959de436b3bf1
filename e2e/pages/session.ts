import { expect, type Page } from "@playwright/test";

export class SessionPage {
  constructor(private readonly page: Page) {}

  async setUpFirstAdmin(admin: { name: string; email: string; password: string }) {
    await this.page.goto("/");
    await expect(this.page).toHaveURL(/\/setup$/);
    const form = this.page.getByTestId("setup-form");
    await form.getByLabel("Name").fill(admin.name);
    await form.getByLabel("Email").fill(admin.email);
    await form.getByLabel("Password (10+ characters)").fill(admin.password);
    await form.getByLabel("Confirm password").fill(admin.password);
    await form.getByRole("button", { name: "Create administrator" }).click();
    await expect(this.page).toHaveURL(/\/login\?setup=done$/);
  }

  async signIn(email: string, password: string) {
    await this.page.goto("/login");
    const form = this.page.getByTestId("login-form");
    await form.getByLabel("Email").fill(email);
    await form.getByLabel("Password").fill(password);
    await form.getByRole("button", { name: "Sign in" }).click();
  }

  async signOut() {
    await this.page.getByRole("button", { name: "Sign out" }).click();
    await expect(this.page).toHaveURL(/\/login/);
  }
}
