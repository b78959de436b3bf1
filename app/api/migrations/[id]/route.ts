import { errorResponse } from "@/app/_lib/http";
import { AppError } from "@/lib/errors";
import { getMigration, toView } from "@/lib/migration";
import { getDb } from "@/lib/runtime";
import { parseId, requireAdminForRoute } from "../route-helpers";

/** The migration's state as JSON: the page's fallback when EventSource fails. */
export async function GET(
  _request: Request,
  { params }: { params: Promise<{ id: string }> },
): Promise<Response> {
  try {
    await requireAdminForRoute();
    const row = await getMigration(await getDb(), parseId((await params).id));
    if (!row) throw new AppError("not_found", "migration", "No such migration.");
    return Response.json(toView(row), { headers: { "cache-control": "no-store" } });
  } catch (error) {
    return errorResponse(error);
  }
}
