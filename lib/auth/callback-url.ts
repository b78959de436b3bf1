/**
 * Where to go after sign-in: the callback URL only if it is on this origin,
 * otherwise the home page. Parsed the way a browser will parse it, so a value
 * that merely looks like a path (`/\evil.com`, `/\t/evil.com`, `//evil.com`)
 * is judged by the host it really names. Returns an absolute URL: a path
 * returned as such could start with `//` after normalisation (`/.//evil.com`)
 * and leave the site.
 */
export function sameOriginCallbackUrl(
  callbackUrl: string | null | undefined,
  origin: string,
): string {
  const home = new URL("/", origin);
  if (!callbackUrl) return home.href;
  try {
    const target = new URL(callbackUrl, home);
    return target.origin === home.origin ? target.href : home.href;
  } catch {
    return home.href;
  }
}
