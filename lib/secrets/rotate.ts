import { eq, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { dataSources, settings } from "@/db/schema";
import { decryptSecret, sealSecret, SecretKeyError, type SecretKey } from "./cipher";

/** Some stored secret does not open with the current key; nothing was changed. */
export class RotationRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RotationRefusedError";
  }
}

export interface RotationKeys {
  /** The key secrets are sealed with now; null when they are plaintext. */
  from: SecretKey | null;
  /** The key to seal them with; null to store them in plaintext. */
  to: SecretKey | null;
}

export interface RotationResult {
  settings: number;
  dataSourcePasswords: number;
}

interface StoredSecret {
  kind: keyof RotationResult;
  label: string;
  stored: string;
  write: (value: string) => Promise<unknown>;
}

function opensWith(stored: string, key: SecretKey | null): boolean {
  if (!key) return false;
  try {
    decryptSecret(stored, key);
    return true;
  } catch {
    return false;
  }
}

/**
 * Re-seals every stored secret — secret settings and data-source passwords —
 * in one transaction. Everything is decrypted before anything is written, so
 * a single value that the current key cannot open refuses the whole rotation.
 */
export async function rotateSecrets(db: Database, keys: RotationKeys): Promise<RotationResult> {
  return db.transaction(async (tx) => {
    // Writers wait for the rotation, so none can seal a secret with the old
    // key between our read and our commit. Readers are not blocked.
    await tx.execute(sql`lock table ${settings}, ${dataSources} in exclusive mode`);

    const secretSettings = await tx
      .select({ key: settings.key, value: settings.value })
      .from(settings)
      .where(eq(settings.secret, true));
    // Only the password inside `details` changes; the raw UPDATEs also leave
    // `updated_at` alone, since what the row says has not changed.
    const passwords = await tx
      .select({
        id: dataSources.id,
        name: dataSources.name,
        password: sql<string>`${dataSources.details}->>'password'`,
      })
      .from(dataSources)
      .where(sql`jsonb_typeof(${dataSources.details}->'password') = 'string'`);

    const secrets: StoredSecret[] = [
      ...secretSettings.map((row): StoredSecret => ({
        kind: "settings",
        label: `setting "${row.key}"`,
        stored: row.value,
        write: (value: string) =>
          tx.execute(sql`update ${settings} set value = ${value} where key = ${row.key}`),
      })),
      ...passwords.map((row): StoredSecret => ({
        kind: "dataSourcePasswords",
        label: `password of data source ${row.id} "${row.name}"`,
        stored: row.password,
        write: (value: string) =>
          tx.execute(sql`update ${dataSources}
            set details = jsonb_set(details, '{password}', to_jsonb(${value}::text))
            where id = ${row.id}`),
      })),
    ];

    // Settings and data sources are small tables (data sources grow slowly
    // with an instance), so every secret fits in memory at once.
    const opened: { secret: StoredSecret; plaintext: string }[] = [];
    const failures: (StoredSecret & { reason: string })[] = [];
    for (const secret of secrets) {
      try {
        opened.push({ secret, plaintext: decryptSecret(secret.stored, keys.from) });
      } catch (error) {
        if (!(error instanceof SecretKeyError)) throw error;
        failures.push({ ...secret, reason: error.message });
      }
    }
    if (failures.length > 0) {
      const listed = failures.slice(0, 5).map((f) => f.label);
      if (failures.length > listed.length) listed.push(`${failures.length - listed.length} more`);
      // The likely slip after a rotation: running it again before switching
      // LIFTOFF_ENCRYPTION_KEY to the new key.
      const hint = failures.every((f) => opensWith(f.stored, keys.to))
        ? " They open with the new key: they have been rotated already."
        : "";
      throw new RotationRefusedError(
        `Nothing was changed: ${failures.length} stored secret(s) cannot be decrypted with the current key ` +
          `(${listed.join(", ")}). ${failures[0]?.reason ?? ""}${hint}`,
      );
    }

    const result: RotationResult = { settings: 0, dataSourcePasswords: 0 };
    for (const { secret, plaintext } of opened) {
      const sealed = sealSecret(plaintext, keys.to);
      // Plaintext staying plaintext is not a change.
      if (sealed === secret.stored) continue;
      await secret.write(sealed);
      result[secret.kind]++;
    }
    return result;
  });
}
