/**
 * Settings that belong to one running instance and mean nothing — or too
 * much — anywhere else. `auth.session_secret` signs session cookies: whoever
 * holds it can mint a session for any user of this instance, so it never
 * leaves in an archive, and an instance that lacks it (a restored copy, a
 * fresh start) makes its own on first use.
 */
export const SESSION_SECRET_SETTING = "auth.session_secret";

/**
 * The migration key an admin pasted (lib/migration/cloud-key.ts): it lets
 * whoever holds it open migrations on the cloud store in this instance's
 * name, so a cloud copy never carries it.
 */
export const CLOUD_KEY_SETTING = "cloud.migration_key";

export const instanceOnlySettings: readonly string[] = [SESSION_SECRET_SETTING, CLOUD_KEY_SETTING];

/** This instance's id, made on first use (see `instanceId`). */
export const INSTANCE_ID_SETTING = "instance.id";

/**
 * The settings the instance itself writes, possibly while read-only mode is
 * on; the only ones read-only mode lets through (lib/read-only/tables.ts).
 * - the session secret: a node that starts, or a copy restored, while frozen
 *   makes its own on the first request, or nobody can sign in;
 * - the instance id: made on first use, and the migration's dump (frozen)
 *   asks for it.
 * Anything an admin edits is refused like any other write, since it would not
 * reach the cloud copy.
 */
export const settingsWrittenWhileFrozen: readonly string[] = [
  SESSION_SECRET_SETTING,
  INSTANCE_ID_SETTING,
];
