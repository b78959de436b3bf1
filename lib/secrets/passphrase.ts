import crypto from "node:crypto";
import { z } from "zod";
import { SecretKeyError, type SecretKey } from "./cipher";

/**
 * Keys from passphrases people type: scrypt, whose memory and time cost make
 * each guess at a leaked archive expensive (HKDF has no work factor). The
 * parameters travel with what they sealed, so they can grow later and older
 * archives still open.
 */
export const MIN_PASSPHRASE_LENGTH = 10;

export const scryptParamsSchema = z.object({
  name: z.literal("scrypt"),
  salt: z.string().regex(/^[A-Za-z0-9+/]{22,}={0,2}$/, "must be base64 of 16+ bytes"),
  // Bounded: a crafted archive must not make a reader spend gigabytes.
  N: z
    .number()
    .int()
    .min(1 << 14)
    .max(1 << 20)
    .refine((n) => (n & (n - 1)) === 0, "must be a power of two"),
  r: z.number().int().min(8).max(16),
  p: z.number().int().min(1).max(4),
});

export type ScryptParams = z.infer<typeof scryptParamsSchema>;

/** OWASP's scrypt recommendation: 128 MiB and about a few hundred ms a guess. */
export function newScryptParams(): ScryptParams {
  return {
    name: "scrypt",
    salt: crypto.randomBytes(16).toString("base64"),
    N: 1 << 17,
    r: 8,
    p: 1,
  };
}

export function checkPassphrase(passphrase: string): void {
  if (passphrase.length < MIN_PASSPHRASE_LENGTH) {
    throw new SecretKeyError(
      `A passphrase must be at least ${MIN_PASSPHRASE_LENGTH} characters long.`,
    );
  }
}

/** Off the event loop (libuv's thread pool), so a server keeps answering meanwhile. */
export async function deriveScryptKey(
  passphrase: string,
  params: ScryptParams,
): Promise<SecretKey> {
  checkPassphrase(passphrase);
  const { N, r, p } = scryptParamsSchema.parse(params);
  const bytes = await new Promise<Buffer>((resolve, reject) =>
    crypto.scrypt(
      passphrase.normalize("NFC"),
      Buffer.from(params.salt, "base64"),
      32,
      // Node refuses more than 32 MiB unless told: scrypt needs 128·N·r bytes.
      { N, r, p, maxmem: 256 * N * r },
      (error, key) => (error ? reject(error) : resolve(key)),
    ),
  );
  return { bytes };
}
