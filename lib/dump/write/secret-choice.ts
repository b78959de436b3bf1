import { z } from "zod";
import { AppError } from "@/lib/errors";
import type { SecretKey } from "@/lib/secrets/cipher";
import { MIN_PASSPHRASE_LENGTH } from "@/lib/secrets/passphrase";
import { newPassphraseKey, type SecretOptions } from "../secrets";

/** What an admin chose for an archive's secrets, as a form sends it. */
export const secretChoiceSchema = z.object({
  secrets: z.enum(["instance-key", "passphrase", "plaintext"]).optional(),
  passphrase: z.string().max(1024).optional(),
});

const refuse = (message: string) => new AppError("invalid", "dump_secrets", message);

/**
 * Turns the admin's choice into dump options. Secrets leave in plaintext only
 * when asked: an instance without a key has no default, and must be told
 * "passphrase" or "plaintext".
 */
export async function secretOptionsFor(
  input: unknown,
  instanceKey: SecretKey | null,
): Promise<SecretOptions> {
  const parsed = secretChoiceSchema.safeParse(input);
  if (!parsed.success) throw refuse("Choose what happens to the secrets in the archive.");
  const { secrets = instanceKey ? "instance-key" : undefined, passphrase } = parsed.data;
  switch (secrets) {
    case "instance-key":
      if (!instanceKey) {
        throw refuse(
          "LIFTOFF_ENCRYPTION_KEY is not set: choose a passphrase to seal the secrets, or plaintext.",
        );
      }
      return { mode: "keep", instanceKey };
    case "plaintext":
      return { mode: "plaintext", instanceKey };
    case "passphrase":
      if (!passphrase || passphrase.length < MIN_PASSPHRASE_LENGTH) {
        throw refuse(`The passphrase must be at least ${MIN_PASSPHRASE_LENGTH} characters long.`);
      }
      return { mode: "passphrase", instanceKey, passphraseKey: await newPassphraseKey(passphrase) };
    case undefined:
      throw refuse(
        "This instance has no LIFTOFF_ENCRYPTION_KEY, so its secrets are stored in plaintext: choose a passphrase to seal them in the archive, or plaintext.",
      );
  }
}
