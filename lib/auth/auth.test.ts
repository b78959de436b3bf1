import { desc, eq } from "drizzle-orm";
import { expect, it } from "vitest";
import { auditLog, loginHistory, users } from "@/db/schema";
import { describeEachEngine, resetDatabase } from "@/lib/testing/engines";
import { insertUser } from "@/lib/testing/fixtures";
import { createFirstAdmin, loadActiveActor, needsSetup, signIn } from ".";

describeEachEngine("auth", (database) => {
  it("creates the first admin once, even when two set-ups race", async () => {
    const { db } = database();
    await resetDatabase(database());
    expect(await needsSetup(db)).toBe(true);
    const results = await Promise.allSettled([
      createFirstAdmin(db, { email: "a@example.test", name: "A", password: "password-one" }),
      createFirstAdmin(db, { email: "b@example.test", name: "B", password: "password-two" }),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const rejected = results.find((r) => r.status === "rejected");
    expect(String(rejected?.reason)).toMatch(/already set up/);
    const admins = await db.select().from(users);
    expect(admins).toHaveLength(1);
    expect(admins[0]?.role).toBe("admin");
    expect(await needsSetup(db)).toBe(false);
    const [audit] = await db
      .select()
      .from(auditLog)
      .where(eq(auditLog.action, "setup.first_admin"));
    expect(audit?.actorId).toBe(admins[0]?.id);
  });

  it("signs in with the right password, case-insensitive email, and records it", async () => {
    const { db } = database();
    const user = await insertUser(db, { password: "right-password" });
    const result = await signIn(db, {
      email: user.email.toUpperCase(),
      password: "right-password",
      ip: "10.0.0.1",
    });
    expect(result).toEqual({ ok: true, actor: user });
    const [entry] = await db
      .select()
      .from(loginHistory)
      .where(eq(loginHistory.userId, user.id))
      .orderBy(desc(loginHistory.id));
    expect(entry?.success).toBe(true);
  });

  it("refuses a wrong password, an unknown email and an inactive user", async () => {
    const { db } = database();
    const user = await insertUser(db, { password: "right-password" });
    const inactive = await insertUser(db, { password: "right-password", active: false });
    expect(await signIn(db, { email: user.email, password: "wrong-password" })).toEqual({
      ok: false,
      reason: "invalid_credentials",
    });
    expect(await signIn(db, { email: "nobody@example.test", password: "x" })).toEqual({
      ok: false,
      reason: "invalid_credentials",
    });
    expect(await signIn(db, { email: inactive.email, password: "right-password" })).toEqual({
      ok: false,
      reason: "inactive",
    });
    expect(await loadActiveActor(db, inactive.id)).toBeNull();
    expect(await loadActiveActor(db, user.id)).toEqual(user);
  });
});
