import { errorResponse } from "@/app/_lib/http";
import { assertSameOrigin } from "@/app/_lib/same-origin";
import { currentActor } from "@/app/_lib/session";
import { recordAudit } from "@/lib/audit";
import { assertAdmin } from "@/lib/auth";
import { dumpArchiveStream, secretOptionsFor } from "@/lib/dump";
import { AppError } from "@/lib/errors";
import { log } from "@/lib/log";
import { getDatabaseHandle } from "@/lib/runtime";
import { instanceSecretKey } from "@/lib/secrets/key";
import { instanceId } from "@/lib/settings";

/**
 * "Download dump": streams a fresh archive of the app database to the admin's
 * browser, its secrets as the admin chose (see secretOptionsFor). Nothing is
 * buffered: memory stays flat whatever the size, and a closed tab stops the dump.
 *
 * POST only (the settings page's form), and only from this app's own pages: a
 * dump costs a full read of the database and writes an audit row, so a link
 * or a form on another site must not start one with the admin's cookie. GET
 * is not exported, so Next.js answers it with 405.
 */
export async function POST(request: Request): Promise<Response> {
  try {
    assertSameOrigin(request);
    const actor = await currentActor();
    if (!actor) throw new AppError("unauthorized", "session", "Sign in first.");
    assertAdmin(actor);
    const form = await formFields(request);
    const secrets = await secretOptionsFor(form, instanceSecretKey());
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
      details: { filename, secrets: secrets.mode },
    });
    const { stream, result } = dumpArchiveStream(handle, {
      sourceInstanceId: instance,
      secrets,
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

/** The form's text fields; none when the body is not a form (a script's bare POST). */
async function formFields(request: Request): Promise<Record<string, string>> {
  const type = request.headers.get("content-type") ?? "";
  if (!/^(application\/x-www-form-urlencoded|multipart\/form-data)/.test(type)) return {};
  const form = await request.formData().catch(() => {
    throw new AppError("invalid", "dump_form", "The form could not be read.");
  });
  const fields: Record<string, string> = {};
  for (const [name, value] of form) if (typeof value === "string") fields[name] = value;
  return fields;
}
