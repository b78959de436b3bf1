/**
 * Settings that belong to one running instance and mean nothing — or too
 * much — anywhere else. `auth.session_secret` signs session cookies: whoever
 * holds it can mint a session for any user of this instance, so it never
 * leaves in an archive, and an instance that lacks it (a restored copy, a
 * fresh start) makes its own on first use.
 */
export const SESSION_SECRET_SETTING = "auth.session_secret";

export const instanceOnlySettings: readonly string[] = [SESSION_SECRET_SETTING];
