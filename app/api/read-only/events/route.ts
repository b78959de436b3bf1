import { errorResponse } from "@/app/_lib/http";
import { notificationStream } from "@/app/_lib/notification-stream";
import { readOnlyView } from "@/app/_lib/read-only-view";
import { currentActor } from "@/app/_lib/session";
import { channels } from "@/lib/cluster/notify";
import { AppError } from "@/lib/errors";
import { getDatabaseHandle } from "@/lib/runtime";

/**
 * The banner's live feed, for every signed-in user: the read-only view at
 * once and again whenever any node switches the mode (NOTIFY), so the banner
 * comes and goes without a reload or a poll.
 */
export async function GET(request: Request): Promise<Response> {
  try {
    if (!(await currentActor())) throw new AppError("unauthorized", "session", "Sign in first.");
    const handle = await getDatabaseHandle();
    let last = "";
    return notificationStream(request, handle, channels.readOnly, async (writer) => {
      const view = JSON.stringify(await readOnlyView(handle));
      if (view === last) return;
      last = view;
      writer.send("read-only", JSON.parse(view) as unknown);
    });
  } catch (error) {
    return errorResponse(error);
  }
}
