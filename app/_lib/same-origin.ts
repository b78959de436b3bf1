import "server-only";
import { AppError } from "@/lib/errors";

/**
 * Refuses a request a browser sent on behalf of another site (CSRF): a form on
 * evil.example that POSTs here carries the admin's cookie, but its browser
 * says where it came from. `Sec-Fetch-Site` (every current browser) must be
 * same-origin; `Origin` must be this app's public URL or the host the request
 * was sent to. A request with neither header did not come from a browser page,
 * so no other site can have made it.
 */
export function assertSameOrigin(request: Request): void {
  const fetchSite = request.headers.get("sec-fetch-site");
  if (fetchSite !== null && fetchSite !== "same-origin") throw crossSite();
  const origin = request.headers.get("origin");
  if (origin === null) return;
  if (!ownOrigins(request).has(origin)) throw crossSite();
}

function ownOrigins(request: Request): Set<string> {
  const own = new Set<string>();
  const publicUrl = process.env.NEXTAUTH_URL;
  if (publicUrl && URL.canParse(publicUrl)) own.add(new URL(publicUrl).origin);
  const host = request.headers.get("host");
  if (host) {
    const scheme = new URL(request.url).protocol;
    own.add(`${scheme}//${host}`);
  }
  return own;
}

function crossSite(): AppError {
  return new AppError(
    "forbidden",
    "cross_site",
    "This request came from another site and was refused. Use the button on the settings page.",
  );
}
