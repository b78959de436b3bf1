import { handleStoreRequest } from "@/lib/store";
import { getStore } from "@/lib/store/from-env";

// Tokens and presigned URLs must never be cached or prerendered.
export const dynamic = "force-dynamic";

async function handler(request: Request): Promise<Response> {
  const store = await getStore();
  if (!store) {
    return Response.json(
      { error: { code: "not_found:store", message: "The store is not enabled on this server." } },
      { status: 404 },
    );
  }
  return handleStoreRequest(store, request);
}

export { handler as GET, handler as POST, handler as DELETE };
