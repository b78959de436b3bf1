import { hash as argon2Hash, verify as argon2Verify } from "@node-rs/argon2";
import bcrypt from "bcryptjs";

/**
 * Passwords are hashed with argon2id (the library's defaults: 19 MiB, two
 * passes, one lane — OWASP's recommended floor). @node-rs/argon2 is native and
 * runs on libuv's thread pool, so a sign-in never blocks the event loop.
 * Hashes made before argon2 are bcrypt; they still verify (bcryptjs, whose
 * async compare yields between rounds: once per account, since sign-in then
 * replaces the hash — see `needsRehash`). @node-rs/bcrypt 2.0.0 would have
 * been native too, but its platform packages are not all published, so
 * `npm ci` on a fresh clone refuses its lock file.
 */
const argon2Options = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };
const currentPrefix = `$argon2id$v=19$m=${argon2Options.memoryCost},t=${argon2Options.timeCost},p=${argon2Options.parallelism}$`;

export function hashPassword(password: string): Promise<string> {
  return argon2Hash(password, argon2Options);
}

function isBcrypt(stored: string): boolean {
  return /^\$2[abxy]\$/.test(stored);
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  try {
    if (isBcrypt(stored)) return await bcrypt.compare(password, stored);
    return await argon2Verify(stored, password);
  } catch {
    // A malformed stored hash matches no password.
    return false;
  }
}

/** True when a verified hash should be replaced by one made with today's algorithm and cost. */
export function needsRehash(stored: string): boolean {
  return !stored.startsWith(currentPrefix);
}

// Verified against when the email is unknown, so a sign-in costs the same
// whether or not the account exists. The password behind it was random and
// thrown away; the parameters must match `argon2Options`.
const dummyHash =
  "$argon2id$v=19$m=19456,t=2,p=1$l1pANiqUoZHai6GLKMV67Q$om4s116nCq/FORwjErxGOkI6OnJsCXtK+cakVBZRXnw";

export async function burnPasswordCheck(password: string): Promise<false> {
  await verifyPassword(password, dummyHash);
  return false;
}
