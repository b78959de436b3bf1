import { jsonError } from "@/lib/errors/http";
import { handleStoreRequest } from "@/lib/store";
import { getStore } from "@/lib/store/from-env";

// Tokens and presigned URLs must never be cached or prerendered.
export const dynamic = "force-dynamic";

async function handler(request: Request): Promise<Response> {
  const store = await getStore();
  if (!store) {
    return jsonError(404, "not_found:store", "The store is not enabled on this server.");
  }
  return handleStoreRequest(store, request);
}

export { handler as GET, handler as POST, handler as DELETE };
