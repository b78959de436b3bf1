import { eq } from "drizzle-orm";
import { expect, it } from "vitest";
import { dataSources, users } from "@/db/schema";
import { createDataSource, dataSourceInput, updateDataSource } from "@/lib/data-sources";
import { decryptSecret, deriveSecretKey } from "@/lib/secrets/cipher";
import { describeEachEngine } from "@/lib/testing/engines";
import { insertUser } from "@/lib/testing/fixtures";
import { createUser, updateUserAccess, userInput } from ".";

describeEachEngine("admin use cases", (database) => {
  it("lets admins create users, refuses non-admins and duplicate emails", async () => {
    const { db } = database();
    const admin = await insertUser(db, { role: "admin" });
    const plain = await insertUser(db);
    const input = userInput.parse({
      email: "New@Example.test",
      name: "New",
      password: "long-enough-pw",
      role: "user",
    });
    await expect(createUser(db, plain, input)).rejects.toThrow(/Only administrators/);
    await createUser(db, admin, input);
    await expect(createUser(db, admin, input)).rejects.toThrow(/already exists/);
    const [row] = await db.select().from(users).where(eq(users.email, "new@example.test"));
    expect(row?.passwordHash).toMatch(/^\$argon2id\$/);
  });

  it("never leaves the instance without an active admin", async () => {
    const { db } = database();
    await db.update(users).set({ active: false }).where(eq(users.role, "admin"));
    const admin = await insertUser(db, { role: "admin" });
    await expect(updateUserAccess(db, admin, admin.id, { role: "user" })).rejects.toThrow(
      /last active administrator/,
    );
    await expect(updateUserAccess(db, admin, admin.id, { active: false })).rejects.toThrow(
      /last active administrator/,
    );
    const second = await insertUser(db, { role: "user" });
    await updateUserAccess(db, admin, second.id, { role: "admin" });
    await updateUserAccess(db, admin, admin.id, { active: false });
    const [stored] = await db.select().from(users).where(eq(users.id, admin.id));
    expect(stored?.active).toBe(false);
  });

  it("stores data source passwords encrypted and keeps them on a blank edit", async () => {
    const { db } = database();
    const admin = await insertUser(db, { role: "admin" });
    const key = deriveSecretKey("a test key that is long enough");
    const input = dataSourceInput.parse({
      name: "Warehouse " + admin.id,
      engine: "postgres",
      host: "db.internal",
      port: "5432",
      database: "analytics",
      user: "reader",
      password: "hunter2-secret",
    });
    const { id } = await createDataSource(db, admin, input, key);
    const [stored] = await db.select().from(dataSources).where(eq(dataSources.id, id));
    expect(stored?.details.password).toMatch(/^enc:v2:/);
    expect(JSON.stringify(stored?.details)).not.toContain("hunter2");
    await updateDataSource(db, admin, id, { ...input, password: "", port: 6543 }, key);
    const [edited] = await db.select().from(dataSources).where(eq(dataSources.id, id));
    expect(edited?.details.port).toBe(6543);
    expect(decryptSecret(edited?.details.password ?? "", key)).toBe("hunter2-secret");
    await expect(createDataSource(db, admin, input, key)).rejects.toThrow(/name exists/);
  });
});
