import { hashSync } from "bcryptjs";
import { eq, sql } from "drizzle-orm";
import { expect, it } from "vitest";
import { loginHistory, users } from "@/db/schema";
import { disableReadOnly, enableReadOnly } from "@/lib/read-only";
import { describeEachEngine, rowsOf } from "@/lib/testing/engines";
import { insertUser } from "@/lib/testing/fixtures";
import type { Database } from "@/db/client";
import { deleteStaleThrottleRows, signIn, signInThrottlePolicy as policy } from ".";
import { accountDelayMs } from "./throttle";

const at = (base: Date, ms: number) => new Date(base.getTime() + ms);

async function throttleRow(db: Database, key: string) {
  const [row] = rowsOf<{ failures: number }>(
    await db.execute(sql`select failures from liftoff_cluster.sign_in_throttle where key = ${key}`),
  );
  return row ?? null;
}

it("grows the account delay by doubling, from the first failure past the free ones, up to the cap", () => {
  const delays = Array.from({ length: 12 }, (_, i) => accountDelayMs(i + 1, policy));
  expect(delays).toEqual([
    0, 0, 0, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000, 30_000,
  ]);
  expect(accountDelayMs(10_000, policy)).toBe(policy.maxDelayMs);
});

describeEachEngine("sign-in throttle", (database) => {
  it("lets the right password in after 20 wrong ones from rotating addresses, once the capped delay has passed", async () => {
    const { db } = database();
    const user = await insertUser(db, { password: "right-password" });
    let now = new Date("2030-01-01T00:00:00Z");
    // The attacker waits out every delay, so all 20 guesses are checked.
    for (let i = 0; i < 20; i++) {
      const result = await signIn(
        db,
        { email: user.email, password: `guess-${i}`, ip: `203.0.113.${i + 1}` },
        { now },
      );
      expect(result).toEqual({ ok: false, reason: "invalid_credentials" });
      now = at(now, accountDelayMs(i + 1, policy));
    }
    const lastFailure = at(now, -policy.maxDelayMs);
    // Within the delay even the right password waits, and is told for how long (never more than the cap)...
    const early = await signIn(
      db,
      { email: user.email, password: "right-password", ip: "198.51.100.7" },
      { now: at(lastFailure, 1_000) },
    );
    expect(early).toEqual({ ok: false, reason: "rate_limited", retryAfterSeconds: 29 });
    // ...and a flood of refused attempts in the meantime extends nothing.
    for (let s = 1; s < 30; s++) {
      const refused = await signIn(
        db,
        { email: user.email, password: "x", ip: `203.0.113.${100 + s}` },
        { now: at(lastFailure, s * 1_000) },
      );
      expect(refused.ok).toBe(false);
      expect(refused).toMatchObject({ reason: "rate_limited" });
    }
    const result = await signIn(
      db,
      { email: user.email, password: "right-password", ip: "198.51.100.7" },
      { now: at(lastFailure, policy.maxDelayMs) },
    );
    expect(result).toEqual({ ok: true, actor: user });
    // Success starts the account afresh: a typo right after costs no delay.
    expect(await throttleRow(db, `account:${user.email.toLowerCase()}`)).toBeNull();
  });

  it("counts all 50 parallel guesses at one account: only the free ones and one more are checked", async () => {
    const { db } = database();
    const user = await insertUser(db, { password: "right-password" });
    const now = new Date("2030-02-01T00:00:00Z");
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        signIn(db, { email: user.email, password: `guess-${i}`, ip: `192.0.2.${i + 1}` }, { now }),
      ),
    );
    const checked = results.filter((r) => !r.ok && r.reason === "invalid_credentials");
    expect(checked).toHaveLength(policy.freeFailures + 1);
    expect(results.filter((r) => !r.ok && r.reason === "rate_limited")).toHaveLength(
      50 - checked.length,
    );
    expect(await throttleRow(db, `account:${user.email.toLowerCase()}`)).toEqual({
      failures: checked.length,
    });
  });

  it("counts all 50 parallel guesses from one address against its budget, whatever the accounts", async () => {
    const { db } = database();
    const now = new Date("2030-03-01T00:00:00Z");
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        signIn(
          db,
          { email: `nobody-${i}@example.test`, password: "guess", ip: "192.0.2.200" },
          { now },
        ),
      ),
    );
    expect(results.filter((r) => !r.ok && r.reason === "invalid_credentials")).toHaveLength(
      policy.addressBudget,
    );
    expect(await throttleRow(db, "address:192.0.2.200")).toEqual({
      failures: policy.addressBudget,
    });
    // Another address is not affected; this one gets its budget back when the window has passed.
    const user = await insertUser(db, { password: "right-password" });
    expect(
      (
        await signIn(
          db,
          { email: user.email, password: "right-password", ip: "192.0.2.201" },
          { now },
        )
      ).ok,
    ).toBe(true);
    const refused = await signIn(
      db,
      { email: user.email, password: "right-password", ip: "192.0.2.200" },
      { now },
    );
    expect(refused).toEqual({
      ok: false,
      reason: "rate_limited",
      retryAfterSeconds: policy.windowMs / 1000,
    });
    const later = at(now, policy.windowMs);
    expect(
      (
        await signIn(
          db,
          { email: user.email, password: "right-password", ip: "192.0.2.200" },
          { now: later },
        )
      ).ok,
    ).toBe(true);
    const recorded = await db.select().from(loginHistory).where(eq(loginHistory.ip, "192.0.2.200"));
    expect(recorded.filter((r) => r.reason === "rate_limited:address")).toHaveLength(21);
  });

  it("charges an unknown email the same delay as a real one, and deletes rows that no longer slow anyone", async () => {
    const { db } = database();
    const now = new Date("2030-04-01T00:00:00Z");
    for (let i = 0; i <= policy.freeFailures; i++) {
      await signIn(db, { email: "ghost@example.test", password: "x", ip: null }, { now });
    }
    expect(await signIn(db, { email: "Ghost@example.test", password: "x" }, { now })).toEqual({
      ok: false,
      reason: "rate_limited",
      retryAfterSeconds: 1,
    });
    await deleteStaleThrottleRows(db, at(now, policy.windowMs - 1));
    expect(await throttleRow(db, "account:ghost@example.test")).not.toBeNull();
    await deleteStaleThrottleRows(db, at(now, policy.windowMs));
    expect(await throttleRow(db, "account:ghost@example.test")).toBeNull();
  });

  it("verifies an old bcrypt hash and replaces it with argon2id on sign-in, but not in read-only mode", async () => {
    const handle = database();
    const { db } = handle;
    const legacy = hashSync("old-password", 4);
    const [user] = await db
      .insert(users)
      .values({ email: `legacy-${Date.now()}@example.test`, name: "Legacy", passwordHash: legacy })
      .returning({ id: users.id, email: users.email });
    if (!user) throw new Error("no user");
    const storedHash = async () =>
      (await db.select({ h: users.passwordHash }).from(users).where(eq(users.id, user.id)))[0]?.h;

    await enableReadOnly(handle, { reason: "test", source: "test" });
    try {
      expect((await signIn(db, { email: user.email, password: "old-password" })).ok).toBe(true);
      expect(await storedHash()).toBe(legacy);
    } finally {
      await disableReadOnly(handle);
    }
    expect((await signIn(db, { email: user.email, password: "wrong" })).ok).toBe(false);
    expect(await storedHash()).toBe(legacy);
    expect((await signIn(db, { email: user.email, password: "old-password" })).ok).toBe(true);
    expect(await storedHash()).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect((await signIn(db, { email: user.email, password: "old-password" })).ok).toBe(true);
    expect((await signIn(db, { email: user.email, password: "wrong" })).ok).toBe(false);
  });

  it("spends as long on an unknown email as on a known one", async () => {
    const { db } = database();
    const user = await insertUser(db, { password: "right-password" });
    const unknownEmail = "no-such-user@example.test";
    const times: Record<string, number[]> = { [user.email]: [], [unknownEmail]: [] };
    // Interleaved, so a burst of load on a busy machine falls on both alike.
    for (let i = 0; i < 7; i++) {
      for (const email of [user.email, unknownEmail]) {
        const started = performance.now();
        // A fresh address and a spread-out clock: the throttle stays out of the way.
        await signIn(
          db,
          { email, password: "wrong", ip: `198.18.0.${i}` },
          { now: at(new Date("2031-01-01"), i * 3_600_000) },
        );
        times[email]!.push(performance.now() - started);
      }
    }
    const median = (samples: number[]) => samples.sort((a, b) => a - b)[3] ?? 0;
    const known = median(times[user.email]!);
    const unknown = median(times[unknownEmail]!);
    // A hash dominates either path; without the dummy hash the unknown email
    // would take a few milliseconds (under a tenth). A third leaves room for noise.
    expect(unknown, JSON.stringify(times)).toBeGreaterThan(known / 3);
  });
});
