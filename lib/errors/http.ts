/**
 * The one JSON error shape every route handler, the store API and the proxy
 * answer with: `{ "error": { "code": "kind:subject", "message": "…" } }`. The
 * code is for programs, the message is safe to show a person. Framework-free,
 * so the store, `proxy.ts` and the browser read and write it the same way.
 */
export interface ErrorBody {
  error: { code: string; message: string };
}

export function errorBody(code: string, message: string): ErrorBody {
  return { error: { code, message } };
}

/** A JSON error response; never cached, since an error describes one moment. */
export function jsonError(
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return Response.json(errorBody(code, message), {
    status,
    headers: { "cache-control": "no-store", ...headers },
  });
}

/** The error a response carries, whatever its body: for clients that show it. */
export async function readErrorBody(response: Response): Promise<ErrorBody["error"]> {
  const fallback = { code: `http:${response.status}`, message: `HTTP ${response.status}` };
  try {
    const body = (await response.json()) as Partial<ErrorBody> | null;
    const error = body?.error;
    if (error && typeof error.code === "string" && typeof error.message === "string") {
      return { code: error.code, message: error.message };
    }
  } catch {
    // Not JSON (a proxy's HTML page, a cut connection): the status says enough.
  }
  return fallback;
}
