import { and, count, eq, gt, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { loginHistory, users } from "@/db/schema";
import { actorColumns, type Actor } from "./actor";
import { burnPasswordCheck, verifyPassword } from "./password";

export const signInLimits = {
  windowMinutes: 15,
  failuresPerEmail: 5,
  failuresPerIp: 20,
};

export interface SignInAttempt {
  email: string;
  password: string;
  ip?: string | null;
  userAgent?: string | null;
}

export type SignInResult =
  | { ok: true; actor: Actor }
  | { ok: false; reason: "invalid_credentials" | "rate_limited" | "inactive" };

/**
 * Checks a sign-in and records it in login history, failed or not. Failures
 * are counted per email and per address over a window; past the limit the
 * password is not even checked.
 */
export async function signIn(db: Database, attempt: SignInAttempt): Promise<SignInResult> {
  const email = attempt.email.trim().toLowerCase();
  const since = new Date(Date.now() - signInLimits.windowMinutes * 60_000);
  const record = async (success: boolean, reason: string | null, userId: number | null) => {
    await db.insert(loginHistory).values({
      userId,
      email,
      ip: attempt.ip ?? null,
      userAgent: attempt.userAgent?.slice(0, 500) ?? null,
      success,
      reason,
    });
  };

  if (await isRateLimited(db, email, attempt.ip ?? null, since)) {
    await record(false, "rate_limited", null);
    return { ok: false, reason: "rate_limited" };
  }

  const [user] = await db
    .select({ ...actorColumns, passwordHash: users.passwordHash, active: users.active })
    .from(users)
    .where(eq(sql`lower(${users.email})`, email))
    .limit(1);
  if (!user) {
    await burnPasswordCheck(attempt.password);
    await record(false, "unknown_email", null);
    return { ok: false, reason: "invalid_credentials" };
  }
  if (!(await verifyPassword(attempt.password, user.passwordHash))) {
    await record(false, "wrong_password", user.id);
    return { ok: false, reason: "invalid_credentials" };
  }
  if (!user.active) {
    await record(false, "inactive", user.id);
    return { ok: false, reason: "inactive" };
  }
  await record(true, null, user.id);
  await db.update(users).set({ lastLoginAt: new Date() }).where(eq(users.id, user.id));
  return { ok: true, actor: { id: user.id, email: user.email, name: user.name, role: user.role } };
}

async function isRateLimited(
  db: Database,
  email: string,
  ip: string | null,
  since: Date,
): Promise<boolean> {
  const failures = (condition: ReturnType<typeof eq>) =>
    db
      .select({ n: count() })
      .from(loginHistory)
      .where(and(condition, eq(loginHistory.success, false), gt(loginHistory.createdAt, since)))
      .then(([row]) => row?.n ?? 0);
  if (
    (await failures(eq(sql`lower(${loginHistory.email})`, email))) >= signInLimits.failuresPerEmail
  ) {
    return true;
  }
  return ip !== null && (await failures(eq(loginHistory.ip, ip))) >= signInLimits.failuresPerIp;
}
