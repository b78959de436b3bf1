import { NextResponse, type NextRequest } from "next/server";
import { localReadOnlyState } from "@/lib/read-only/local-state";

/**
 * Answers HTTP mutations early while read-only mode is on. Server actions pass
 * (they answer with a clear message of their own), and so does what must keep
 * working: sign-in and sign-out, the store API, the migration's controls. The
 * database guard stays the line that cannot be crossed.
 */
// The dump download is a POST (see its route) but only reads: it stays open
// in read-only mode, when a backup matters most.
const allowedPrefixes = ["/api/auth/", "/api/store/", "/api/migrations", "/api/admin/dump"];
const safeMethods = new Set(["GET", "HEAD", "OPTIONS"]);

export function proxy(request: NextRequest): NextResponse | undefined {
  if (safeMethods.has(request.method)) return undefined;
  if (request.headers.has("next-action")) return undefined;
  const { pathname } = request.nextUrl;
  if (allowedPrefixes.some((prefix) => pathname.startsWith(prefix))) return undefined;
  const state = localReadOnlyState();
  if (!state.enabled) return undefined;
  return NextResponse.json(
    {
      error: "read_only",
      code: "read_only:instance",
      message: "Liftoff is in read-only mode right now, so changes cannot be saved.",
      reason: state.reason,
    },
    { status: 403 },
  );
}

export const config = {
  matcher: ["/((?!_next/static|_next/image|favicon.ico).*)"],
};
