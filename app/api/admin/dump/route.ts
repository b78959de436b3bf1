import { errorResponse } from "@/app/_lib/http";
import { currentActor } from "@/app/_lib/session";
import { recordAudit } from "@/lib/audit";
import { assertAdmin } from "@/lib/auth";
import { dumpArchiveStream } from "@/lib/dump";
import { AppError } from "@/lib/errors";
import { log } from "@/lib/log";
import { getDatabaseHandle } from "@/lib/runtime";
import { instanceId } from "@/lib/settings";

/**
 * "Download dump": streams a fresh archive of the app database to the admin's
 * browser. Secrets stay encrypted with the instance key. Nothing is buffered:
 * memory stays flat whatever the size, and a closed tab stops the dump.
 */
export async function GET(request: Request): Promise<Response> {
  try {
    const actor = await currentActor();
    if (!actor) throw new AppError("unauthorized", "session", "Sign in first.");
    assertAdmin(actor);
    const handle = await getDatabaseHandle();
    const instance = await instanceId(handle.db);
    const stamp = new Date()
      .toISOString()
      .replace(/[-:]/g, "")
      .replace(/\.\d+Z$/, "Z");
    const filename = `liftoff-${instance.slice(0, 8)}-${stamp}.tar`;
    await recordAudit(handle.db, {
      actorId: actor.id,
      action: "dump.download",
      targetType: "instance",
      targetId: instance,
      details: { filename },
    });
    const { stream, result } = dumpArchiveStream(handle, {
      sourceInstanceId: instance,
      signal: request.signal,
    });
    result.then(
      (done) => log.info({ filename, bytes: done.bytes, actorId: actor.id }, "dump downloaded"),
      (error: unknown) => log.warn({ err: error, filename }, "dump download ended early"),
    );
    return new Response(stream, {
      headers: {
        "content-type": "application/x-tar",
        "content-disposition": `attachment; filename="${filename}"`,
        "cache-control": "no-store",
      },
    });
  } catch (error) {
    return errorResponse(error);
  }
}
