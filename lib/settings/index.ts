import crypto from "node:crypto";
import { eq, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { rowsOf } from "@/db/rows";
import { settings } from "@/db/schema";
import { assertAdmin, type Actor } from "@/lib/auth/actor";
import { decryptSecret, isEncrypted, sealSecret, type SecretKey } from "@/lib/secrets/cipher";
import { INSTANCE_ID_SETTING, instanceOnlySettings, SESSION_SECRET_SETTING } from "./instance-only";

export { instanceOnlySettings } from "./instance-only";

export async function readSetting(
  db: Database,
  key: string,
  secretKey: SecretKey | null,
): Promise<string | null> {
  const [row] = await db
    .select({ value: settings.value })
    .from(settings)
    .where(eq(settings.key, key));
  return row ? decryptSecret(row.value, secretKey) : null;
}

export async function writeSetting(
  db: Database,
  key: string,
  value: string,
  options: { secret: boolean; secretKey: SecretKey | null },
): Promise<void> {
  const stored = options.secret ? sealSecret(value, options.secretKey) : value;
  await db
    .insert(settings)
    .values({ key, value: stored, secret: options.secret })
    .onConflictDoUpdate({ target: settings.key, set: { value: stored, secret: options.secret } });
}

/** The settings as an admin may see them: secret values never leave the server. */
export async function listSettingsForDisplay(db: Database, actor: Actor) {
  assertAdmin(actor);
  const rows = await db.select().from(settings).orderBy(settings.key);
  return rows.map((row) => ({
    key: row.key,
    value: row.secret ? "••••••••" : row.value,
    secret: row.secret,
    encrypted: isEncrypted(row.value),
    updatedAt: row.updatedAt,
  }));
}

/**
 * How many stored secrets are in plaintext and how many encrypted, and how
 * many plaintext ones an archive would carry (instance-only settings such as
 * the session secret never leave, so they are not counted there).
 */
export async function secretStorageSummary(db: Database) {
  const instanceOnly = sql.join(
    instanceOnlySettings.map((key) => sql`${key}`),
    sql`, `,
  );
  const result = await db.execute(sql`
    with secret_values as (
      select value, key in (${instanceOnly}) as stays from settings where secret
      union all
      select details->>'password', false from data_sources
        where coalesce(details->>'password', '') <> ''
    )
    select count(*) filter (where value like 'enc:v_:%')::int as encrypted,
           count(*) filter (where value not like 'enc:v_:%')::int as plaintext,
           count(*) filter (where value not like 'enc:v_:%' and not stays)::int as "plaintextInArchive"
    from secret_values`);
  return (
    rowsOf<{ encrypted: number; plaintext: number; plaintextInArchive: number }>(result)[0] ?? {
      encrypted: 0,
      plaintext: 0,
      plaintextInArchive: 0,
    }
  );
}

/**
 * The key that signs session cookies. Kept in the database so every node of a
 * cluster agrees on it without configuration; `NEXTAUTH_SECRET` overrides it.
 * Dumps leave it out (see instance-only.ts), so a restored copy makes its own
 * here on its first request.
 */
export async function sessionSigningSecret(db: Database, secretKey: SecretKey | null) {
  const existing = await readSetting(db, SESSION_SECRET_SETTING, secretKey);
  if (existing) return existing;
  const fresh = crypto.randomBytes(32).toString("base64url");
  const stored = sealSecret(fresh, secretKey);
  // A concurrent first start may have written one already: keep whichever came first.
  await db
    .insert(settings)
    .values({ key: SESSION_SECRET_SETTING, value: stored, secret: true })
    .onConflictDoNothing();
  return (await readSetting(db, SESSION_SECRET_SETTING, secretKey)) ?? fresh;
}

/** This instance's id: made once, kept in settings, carried by dumps and migrations. */
export async function instanceId(db: Database): Promise<string> {
  await db
    .insert(settings)
    .values({ key: INSTANCE_ID_SETTING, value: crypto.randomUUID(), secret: false })
    .onConflictDoNothing();
  const [row] = await db
    .select({ value: settings.value })
    .from(settings)
    .where(eq(settings.key, INSTANCE_ID_SETTING));
  if (!row) throw new Error("instance id missing after insert");
  return row.value;
}
