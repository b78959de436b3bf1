import type { NextRequest } from "next/server";
import { jsonError } from "@/lib/errors/http";
import { localReadOnlyState } from "@/lib/read-only/local-state";
import { READ_ONLY_CODE, READ_ONLY_MESSAGE } from "@/lib/read-only/message";

/**
 * Answers HTTP mutations early while read-only mode is on. Server actions pass
 * (they answer with a clear message of their own), and so does what must keep
 * working: sign-in and sign-out, the store API, the migration's controls. The
 * database guard stays the line that cannot be crossed.
 */
const allowedPrefixes = ["/api/auth/", "/api/store/", "/api/migrations"];
const safeMethods = new Set(["GET", "HEAD", "OPTIONS"]);

export function proxy(request: NextRequest): Response | undefined {
  if (safeMethods.has(request.method)) return undefined;
  if (request.headers.has("next-action")) return undefined;
  const { pathname } = request.nextUrl;
  if (allowedPrefixes.some((prefix) => pathname.startsWith(prefix))) return undefined;
  const state = localReadOnlyState();
  if (!state.enabled) return undefined;
  // The reason is the banner's to show (GET /api/read-only), not every refusal's.
  return jsonError(403, READ_ONLY_CODE, READ_ONLY_MESSAGE);
}

export const config = {
  matcher: ["/((?!_next/static|_next/image|favicon.ico).*)"],
};
