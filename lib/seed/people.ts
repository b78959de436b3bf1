import type { loginHistory, users } from "@/db/schema";
import type { Random } from "./random";
import { later, momentAt } from "./timeline";

type NewUser = typeof users.$inferInsert;
type NewLogin = typeof loginHistory.$inferInsert;

/** Given names, family names and the ASCII form their emails use. */
const givenNames = [
  ["Ana", "ana"],
  ["José", "jose"],
  ["Zoë", "zoe"],
  ["Søren", "soren"],
  ["Aiko", "aiko"],
  ["李娜", "lina"],
  ["محمد", "mohammed"],
  ["Noa", "noa"],
  ["Nguyễn Văn", "van"],
  ["Olúwáseun", "oluwaseun"],
  ["Priya", "priya"],
  ["Łukasz", "lukasz"],
  ["Zoe\u0308", "zoe"],
  ["Chris 🦄", "chris"],
] as const;
const familyNames = [
  ["Silva", "silva"],
  ["Müller", "muller"],
  ["O'Brien", "obrien"],
  ["García-Márquez", "garcia"],
  ["田中", "tanaka"],
  ["כהן", "cohen"],
  ["Ибрагимов", "ibragimov"],
  ["Kowalski", "kowalski"],
  ["Smith", "smith"],
  ["van der Berg", "vanderberg"],
] as const;
/** Reserved for documentation (RFC 2606), so no real user's address can collide. */
const emailDomains = ["example.com", "example.org", "example.net"] as const;

export interface SeededUser {
  id: number;
  email: string;
  role: "admin" | "user";
}

/**
 * `firstNumber` continues after the rows already in the table, so that a
 * second run's emails differ from the first's.
 */
export function* userRows(
  rng: Random,
  count: number,
  firstNumber: number,
  passwordHash: string,
): Generator<NewUser> {
  for (let i = 0; i < count; i++) {
    const [given, givenAscii] = rng.pick(givenNames);
    const [family, familyAscii] = rng.pick(familyNames);
    const createdAt = momentAt(rng, (i / count) * 0.6);
    const neverLoggedIn = rng.chance(0.15);
    const local = `${givenAscii}.${familyAscii}.${firstNumber + i}`;
    yield {
      // Mixed case on purpose: emails are unique case-insensitively.
      email: `${rng.chance(0.1) ? local.toUpperCase() : local}@${rng.pick(emailDomains)}`,
      name: rng.chance(0.05) ? given : `${given} ${family}`,
      passwordHash,
      // The first user is an active admin, the second a member, the third
      // has left: every run, however small, has one of each.
      role: i === 0 || (i > 1 && rng.chance(0.1)) ? "admin" : "user",
      active: i !== 2 && (i < 2 || !rng.chance(0.12)),
      lastLoginAt: neverLoggedIn ? null : later(rng, createdAt, 700),
      createdAt,
      updatedAt: later(rng, createdAt, 400),
    };
  }
}

const userAgents = [
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
  "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
  "curl/8.7.1",
  "python-requests/2.32.3",
] as const;
const failureReasons = ["bad_password", "inactive_user", "unknown_user", "sso_error"] as const;

function ipAddress(rng: Random): string | null {
  const roll = rng.next();
  if (roll < 0.05) return null;
  // Documentation ranges (RFC 5737, RFC 3849): realistic shape, nobody's address.
  if (roll < 0.75) return `${rng.pick(["192.0.2", "198.51.100", "203.0.113"])}.${rng.int(1, 254)}`;
  return `2001:db8:${rng.hex(4)}::${rng.hex(rng.int(1, 4))}`;
}

export function* loginRows(
  rng: Random,
  count: number,
  people: readonly SeededUser[],
): Generator<NewLogin> {
  for (let i = 0; i < count; i++) {
    const person = people[rng.skewedIndex(people.length)];
    const unknown = !person || rng.chance(0.04);
    const success = !unknown && rng.chance(0.88);
    yield {
      userId: unknown ? null : person.id,
      email: unknown ? `${rng.pick(["admin", "root", "test", "ådmin"])}@example.com` : person.email,
      ip: ipAddress(rng),
      userAgent: rng.chance(0.03) ? null : rng.pick(userAgents),
      success,
      reason: success ? null : unknown ? "unknown_user" : rng.pick(failureReasons),
      createdAt: momentAt(rng, i / count),
    };
  }
}
