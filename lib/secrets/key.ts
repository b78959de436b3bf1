import { readEnv } from "@/lib/config/env";
import { deriveSecretKey, type SecretKey } from "./cipher";

/** The instance key from `LIFTOFF_ENCRYPTION_KEY`, or null when secrets are kept in plaintext. */
export function instanceSecretKey(): SecretKey | null {
  const passphrase = readEnv().LIFTOFF_ENCRYPTION_KEY;
  return passphrase ? deriveSecretKey(passphrase) : null;
}
