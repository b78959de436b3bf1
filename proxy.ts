import { NextResponse, type NextRequest } from "next/server";
import { jsonError } from "@/lib/errors/http";
import { localReadOnlyState } from "@/lib/read-only/local-state";
import {
  contentSecurityPolicy,
  newNonce,
  publicUrlIsHttps,
  strictTransportSecurity,
} from "@/lib/security/headers";
import { READ_ONLY_CODE, READ_ONLY_MESSAGE } from "@/lib/read-only/message";

/**
 * Two jobs on every request but built static files (next.config.mjs gives those
 * their headers):
 *
 * - the per-response security headers: a Content-Security-Policy with a fresh
 *   nonce, which Next reads back from the request to stamp its own scripts,
 *   and HSTS when the public URL is https;
 * - answering HTTP mutations early while read-only mode is on. Server actions
 *   pass (they answer with a clear message of their own), and so does what
 *   must keep working: sign-in and sign-out, the store API, the migration's
 *   controls. The database guard stays the line that cannot be crossed.
 */
// The dump download is a POST (see its route) but only reads: it stays open
// in read-only mode, when a backup matters most.
const allowedPrefixes = ["/api/auth/", "/api/store/", "/api/migrations", "/api/admin/dump"];
const safeMethods = new Set(["GET", "HEAD", "OPTIONS"]);

function readOnlyRefusal(request: NextRequest): Response | null {
  if (safeMethods.has(request.method)) return null;
  if (request.headers.has("next-action")) return null;
  const { pathname } = request.nextUrl;
  if (allowedPrefixes.some((prefix) => pathname.startsWith(prefix))) return null;
  const state = localReadOnlyState();
  if (!state.enabled) return null;
  // The reason is the banner's to show (GET /api/read-only), not every refusal's.
  return jsonError(403, READ_ONLY_CODE, READ_ONLY_MESSAGE);
}

export function proxy(request: NextRequest): Response {
  const https = publicUrlIsHttps();
  const csp = contentSecurityPolicy({
    nonce: newNonce(),
    https,
    dev: process.env.NODE_ENV === "development",
  });
  let response = readOnlyRefusal(request);
  if (!response) {
    // A client's own CSP request header is replaced: the nonce must be ours.
    const requestHeaders = new Headers(request.headers);
    requestHeaders.set("content-security-policy", csp);
    response = NextResponse.next({ request: { headers: requestHeaders } });
  }
  response.headers.set("Content-Security-Policy", csp);
  if (https) response.headers.set("Strict-Transport-Security", strictTransportSecurity);
  return response;
}

export const config = {
  matcher: ["/((?!_next/static|_next/image).*)"],
};
