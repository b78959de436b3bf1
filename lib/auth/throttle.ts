import { sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { rowsOf } from "@/db/rows";
import {
  claimWindowSlot,
  returnWindowSlot,
  secondsUntilWindowEnds,
} from "@/lib/throttle/window-budget";

/**
 * Sign-in throttling that a stranger cannot turn against the account holder:
 * an account is never locked, only slowed (each failure past the free ones
 * doubles a delay, capped), and a client address has a budget of failures per
 * window. An attempt turned away by the throttle changes nothing, so hammering
 * a refused account does not keep it refused.
 *
 * Each attempt that gets its password checked is counted before the check, in
 * the same statement that decides it may go ahead (a row lock taken by
 * INSERT ... ON CONFLICT DO UPDATE ... WHERE): parallel guesses on any number
 * of nodes are all counted, none slips through between a read and a write.
 * A successful sign-in then takes its count back.
 */
export interface ThrottlePolicy {
  /** Failures in a row an account may have before a delay starts. */
  freeFailures: number;
  /** The first delay; each further failure doubles it. */
  baseDelayMs: number;
  /** The longest an account ever waits. */
  maxDelayMs: number;
  /** Failures an address may make per window. */
  addressBudget: number;
  /** The address window; also how long an account's quiet spell must be for its count to start over. */
  windowMs: number;
}

export const signInThrottlePolicy: ThrottlePolicy = {
  freeFailures: 3,
  baseDelayMs: 1_000,
  maxDelayMs: 30_000,
  addressBudget: 30,
  windowMs: 15 * 60_000,
};

export type ThrottleDecision =
  { allowed: true } | { allowed: false; scope: "account" | "address"; retryAfterSeconds: number };

export interface ThrottleSubject {
  /** Lower-cased email, whether or not such a user exists. */
  email: string;
  /** The client's address; null when unknown (then only the account is throttled). */
  address: string | null;
}

const accountKey = (email: string) => `account:${email}`;
const addressKey = (address: string) => `address:${address}`;

const addressBudget = (policy: ThrottlePolicy) => ({
  budget: policy.addressBudget,
  windowMs: policy.windowMs,
});

class Refused extends Error {
  constructor(readonly scope: "account" | "address") {
    super(`sign-in throttled (${scope})`);
  }
}

/** The delay after the n-th failure in a row: none, then base, 2·base, 4·base… up to the cap. */
export function accountDelayMs(failures: number, policy: ThrottlePolicy): number {
  if (failures <= policy.freeFailures) return 0;
  const doublings = Math.min(failures - policy.freeFailures - 1, 30);
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** doublings);
}

/**
 * Decides whether an attempt may have its password checked and, if so,
 * counts it as a failure for the account and the address (one transaction:
 * when either refuses, neither count moves).
 */
export async function claimSignInAttempt(
  db: Database,
  subject: ThrottleSubject,
  now: Date = new Date(),
  policy: ThrottlePolicy = signInThrottlePolicy,
): Promise<ThrottleDecision> {
  const at = now.toISOString();
  const windowStart = new Date(now.getTime() - policy.windowMs).toISOString();
  try {
    await db.transaction(async (tx) => {
      // Address first, then account, in every transaction: one lock order, no deadlock.
      if (subject.address !== null) {
        const claimed = await claimWindowSlot(
          tx,
          addressKey(subject.address),
          addressBudget(policy),
          now,
        );
        if (!claimed) throw new Refused("address");
      }
      // The new failure count, as the update sees it: a quiet spell starts the count over.
      const failures = sql`(case when t.updated_at <= ${windowStart}::timestamptz then 1 else t.failures + 1 end)`;
      const counted = rowsOf(
        await tx.execute(sql`
          insert into liftoff_cluster.sign_in_throttle as t
            (key, failures, window_started_at, blocked_until, updated_at)
          values (${accountKey(subject.email)}, 1, ${at}::timestamptz,
            ${at}::timestamptz + make_interval(secs => ${accountDelayMs(1, policy) / 1000}), ${at}::timestamptz)
          on conflict (key) do update set
            failures = ${failures},
            blocked_until = ${at}::timestamptz + make_interval(secs => least(${policy.maxDelayMs}::float8,
              case when ${failures} <= ${policy.freeFailures} then 0
                else ${policy.baseDelayMs}::float8 * power(2, least(${failures} - ${policy.freeFailures} - 1, 30))
              end) / 1000),
            updated_at = ${at}::timestamptz
          where t.blocked_until <= ${at}::timestamptz
          returning 1`),
      );
      if (counted.length === 0) throw new Refused("account");
    });
    return { allowed: true };
  } catch (error) {
    if (!(error instanceof Refused)) throw error;
    return {
      allowed: false,
      scope: error.scope,
      retryAfterSeconds: await secondsUntilAllowed(db, subject, error.scope, now, policy),
    };
  }
}

async function secondsUntilAllowed(
  db: Database,
  subject: ThrottleSubject,
  scope: "account" | "address",
  now: Date,
  policy: ThrottlePolicy,
): Promise<number> {
  if (scope === "address") {
    return secondsUntilWindowEnds(
      db,
      addressKey(subject.address ?? ""),
      addressBudget(policy),
      now,
    );
  }
  const [row] = rowsOf<{ blocked_until: string | Date }>(
    await db.execute(sql`select blocked_until
      from liftoff_cluster.sign_in_throttle where key = ${accountKey(subject.email)}`),
  );
  if (!row) return 1;
  const until = new Date(row.blocked_until).getTime();
  return Math.max(1, Math.ceil((until - now.getTime()) / 1000));
}

/** A right password takes its attempt back: the account starts afresh, the address gets its failure back. */
export async function settleSuccessfulSignIn(
  db: Database,
  subject: ThrottleSubject,
): Promise<void> {
  await db.transaction(async (tx) => {
    if (subject.address !== null) await returnWindowSlot(tx, addressKey(subject.address));
    await tx.execute(
      sql`delete from liftoff_cluster.sign_in_throttle where key = ${accountKey(subject.email)}`,
    );
  });
}

/** Rows that no longer slow anyone down: quiet for a whole window and past their delay. */
export async function deleteStaleThrottleRows(
  db: Database,
  now: Date = new Date(),
  policy: ThrottlePolicy = signInThrottlePolicy,
): Promise<void> {
  const windowStart = new Date(now.getTime() - policy.windowMs).toISOString();
  await db.execute(sql`delete from liftoff_cluster.sign_in_throttle
    where updated_at <= ${windowStart}::timestamptz and blocked_until <= ${now.toISOString()}::timestamptz`);
}
