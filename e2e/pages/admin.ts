import { expect, type Page } from "@playwright/test";

export interface NewUser {
  name: string;
  email: string;
  password: string;
}

/** Admin screens the specs drive. */
export class AdminPages {
  constructor(private readonly page: Page) {}

  async createUser(user: NewUser) {
    await this.page.goto("/admin/users");
    const form = this.page.getByTestId("new-user");
    await form.getByLabel("Name").fill(user.name);
    await form.getByLabel("Email").fill(user.email);
    await form.getByLabel("Initial password (10+ characters)").fill(user.password);
    await form.getByRole("button", { name: "Create user" }).click();
    await expect(this.page.getByTestId("user-list")).toContainText(user.email);
  }
}
