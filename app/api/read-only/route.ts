import { errorResponse } from "@/app/_lib/http";
import { currentActor } from "@/app/_lib/session";
import { AppError } from "@/lib/errors";
import { readOnlyStatus } from "@/lib/read-only";
import { getDb } from "@/lib/runtime";

/** Read-only state for the banner of every signed-in user. */
export async function GET(): Promise<Response> {
  try {
    if (!(await currentActor())) throw new AppError("unauthorized", "session", "Sign in first.");
    const status = await readOnlyStatus(await getDb());
    return Response.json(
      { enabled: status.enabled, reason: status.reason, since: status.changedAt },
      { headers: { "cache-control": "no-store" } },
    );
  } catch (error) {
    return errorResponse(error);
  }
}
