import fs from "node:fs";
import { eq } from "drizzle-orm";
import type { Database } from "@/db/client";
import { settings } from "@/db/schema";
import { recordAudit } from "@/lib/audit";
import { assertAdmin, type Actor } from "@/lib/auth/actor";
import { AppError } from "@/lib/errors";
import type { SecretKey } from "@/lib/secrets/cipher";
import { readSetting, writeSetting } from "@/lib/settings";
import { CLOUD_KEY_SETTING } from "@/lib/settings/instance-only";
import { migrationKeyDisplayPrefix, migrationKeyPattern } from "@/lib/store-contract";

/**
 * The migration key this instance opens migrations with. In order: the one
 * an admin pasted on Settings (a secret setting, encrypted like the others),
 * LIFTOFF_CLOUD_KEY, the file LIFTOFF_CLOUD_KEY_FILE (the local store started
 * by `npm start` writes its instance's key there). Read at each use, so a
 * key pasted, removed or written by the store applies at once on every node.
 */
export interface CloudKeySources {
  /** LIFTOFF_CLOUD_KEY. */
  env: string | null;
  /** LIFTOFF_CLOUD_KEY_FILE. */
  file: string | null;
}

export type CloudKeySource = "settings" | "env" | "file";

export interface ResolvedCloudKey {
  key: string;
  source: CloudKeySource;
}

export const cloudKeySourceWords: Record<CloudKeySource, string> = {
  settings: "pasted on Settings",
  env: "from LIFTOFF_CLOUD_KEY",
  file: "from LIFTOFF_CLOUD_KEY_FILE",
};

function readKeyFile(file: string): string | null {
  try {
    return fs.readFileSync(file, "utf8").trim() || null;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

export async function resolveCloudKey(
  db: Database,
  secretKey: SecretKey | null,
  sources: CloudKeySources | undefined,
): Promise<ResolvedCloudKey | null> {
  const pasted = await readSetting(db, CLOUD_KEY_SETTING, secretKey);
  if (pasted) return { key: pasted, source: "settings" };
  if (sources?.env) return { key: sources.env, source: "env" };
  const fromFile = sources?.file ? readKeyFile(sources.file) : null;
  if (fromFile) return { key: fromFile, source: "file" };
  return null;
}

/** What Settings shows: where the key comes from and its first characters, never the key. */
export async function cloudKeySummary(
  db: Database,
  secretKey: SecretKey | null,
  sources: CloudKeySources | undefined,
): Promise<{ source: CloudKeySource; prefix: string } | null> {
  const resolved = await resolveCloudKey(db, secretKey, sources);
  return resolved
    ? { source: resolved.source, prefix: migrationKeyDisplayPrefix(resolved.key) }
    : null;
}

/** Pastes (or, with null, removes) the key on Settings; audit-logged without the key. */
export async function saveCloudKey(
  db: Database,
  actor: Actor,
  key: string | null,
  secretKey: SecretKey | null,
): Promise<void> {
  assertAdmin(actor);
  if (key !== null && !migrationKeyPattern.test(key)) {
    throw new AppError(
      "invalid",
      "cloud_key",
      "That is not a migration key: it starts with lok_ and has 47 characters.",
    );
  }
  await db.transaction(async (tx) => {
    if (key === null) {
      await tx.delete(settings).where(eq(settings.key, CLOUD_KEY_SETTING));
    } else {
      await writeSetting(tx, CLOUD_KEY_SETTING, key, { secret: true, secretKey });
    }
    await recordAudit(tx, {
      actorId: actor.id,
      action: key === null ? "cloud_key.remove" : "cloud_key.set",
      targetType: "setting",
      targetId: CLOUD_KEY_SETTING,
      details: key === null ? {} : { prefix: migrationKeyDisplayPrefix(key) },
    });
  });
}
