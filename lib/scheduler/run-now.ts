import type { Database } from "@/db/client";
import { recordAudit } from "@/lib/audit";
import { assertAdmin, type Actor } from "@/lib/auth";
import { AppError } from "@/lib/errors";
import type { JobRunner } from "./runner";

/**
 * An admin's "Run now": queues one run of a job this node knows, on whichever
 * node fetches it first. A pause holds it like any other run.
 */
export async function runJobNow(
  db: Database,
  runner: JobRunner,
  actor: Actor,
  name: string,
): Promise<{ queued: boolean }> {
  assertAdmin(actor);
  if (!runner.jobNames.includes(name)) {
    throw new AppError("not_found", "job", `There is no background job named “${name}”.`);
  }
  // The queue's policy keeps one run waiting at most: a second click finds it there.
  const id = await runner.runNow(name);
  await recordAudit(db, {
    actorId: actor.id,
    action: "job.run_now",
    targetType: "job",
    targetId: name,
    details: { queued: id !== null, jobId: id },
  });
  return { queued: id !== null };
}
