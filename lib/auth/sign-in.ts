import { and, eq, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { loginHistory, users } from "@/db/schema";
import { log } from "@/lib/log";
import { isReadOnlyError } from "@/lib/read-only/errors";
import { actorColumns, type Actor } from "./actor";
import { burnPasswordCheck, hashPassword, needsRehash, verifyPassword } from "./password";
import {
  claimSignInAttempt,
  settleSuccessfulSignIn,
  signInThrottlePolicy,
  type ThrottlePolicy,
} from "./throttle";

export interface SignInAttempt {
  email: string;
  password: string;
  /** The client's address as the server saw it (see clientAddress), not a header a client wrote. */
  ip?: string | null;
  userAgent?: string | null;
}

export type SignInResult =
  | { ok: true; actor: Actor }
  | { ok: false; reason: "invalid_credentials" | "inactive" }
  | { ok: false; reason: "rate_limited"; retryAfterSeconds: number };

export interface SignInOptions {
  /** The clock the throttle reads; tests move it instead of sleeping. */
  now?: Date;
  policy?: ThrottlePolicy;
}

/**
 * Checks a sign-in and records it in login history, failed or not. The
 * throttle decides first whether the password is checked at all; unknown
 * emails cost a hash too, so timing does not tell which accounts exist.
 */
export async function signIn(
  db: Database,
  attempt: SignInAttempt,
  options: SignInOptions = {},
): Promise<SignInResult> {
  const email = attempt.email.trim().toLowerCase();
  const subject = { email, address: attempt.ip || null };
  const record = async (success: boolean, reason: string | null, userId: number | null) => {
    await db.insert(loginHistory).values({
      userId,
      email,
      ip: subject.address,
      userAgent: attempt.userAgent?.slice(0, 500) ?? null,
      success,
      reason,
    });
  };

  const decision = await claimSignInAttempt(
    db,
    subject,
    options.now ?? new Date(),
    options.policy ?? signInThrottlePolicy,
  );
  if (!decision.allowed) {
    await record(false, `rate_limited:${decision.scope}`, null);
    return { ok: false, reason: "rate_limited", retryAfterSeconds: decision.retryAfterSeconds };
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
  await settleSuccessfulSignIn(db, subject);
  await record(true, null, user.id);
  await db.update(users).set({ lastLoginAt: new Date() }).where(eq(users.id, user.id));
  if (needsRehash(user.passwordHash)) {
    await upgradePasswordHash(db, user.id, user.passwordHash, attempt.password);
  }
  return { ok: true, actor: { id: user.id, email: user.email, name: user.name, role: user.role } };
}

/**
 * Replaces an old hash (bcrypt, or weaker argon2 settings) now that the
 * password is known. Only if the hash is still the one verified: a password
 * changed meanwhile wins. Read-only mode refuses the write; the next sign-in
 * after it ends tries again.
 */
async function upgradePasswordHash(
  db: Database,
  userId: number,
  oldHash: string,
  password: string,
): Promise<void> {
  try {
    await db
      .update(users)
      .set({ passwordHash: await hashPassword(password) })
      .where(and(eq(users.id, userId), eq(users.passwordHash, oldHash)));
  } catch (error) {
    if (isReadOnlyError(error)) return;
    log.warn({ userId, code: (error as { code?: unknown }).code }, "password hash upgrade failed");
  }
}
