import bcrypt from "bcryptjs";

const COST = 11;

export function hashPassword(password: string): Promise<string> {
  return bcrypt.hash(password, COST);
}

export function verifyPassword(password: string, hash: string): Promise<boolean> {
  return bcrypt.compare(password, hash);
}

// Compared against when the email is unknown, so a sign-in takes as long
// whether or not the account exists.
const dummyHash = bcrypt.hashSync("liftoff-no-such-user", COST);

export function burnPasswordCheck(password: string): Promise<boolean> {
  return bcrypt.compare(password, dummyHash);
}
