import { errorResponse } from "@/app/_lib/http";
import { readOnlyView } from "@/app/_lib/read-only-view";
import { currentActor } from "@/app/_lib/session";
import { AppError } from "@/lib/errors";
import { getDatabaseHandle } from "@/lib/runtime";

/** Read-only state for the banner of every signed-in user (the stream's fallback). */
export async function GET(): Promise<Response> {
  try {
    if (!(await currentActor())) throw new AppError("unauthorized", "session", "Sign in first.");
    return Response.json(await readOnlyView(await getDatabaseHandle()), {
      headers: { "cache-control": "no-store" },
    });
  } catch (error) {
    return errorResponse(error);
  }
}
