/**
 * One restore in a process of its own (see child-restorer.ts): it receives
 * the job over IPC, runs the dump loader, answers once and exits. Details of
 * a failure go to this process's log (the store's stderr); the answer holds
 * only the public message. It dies with its parent: a store killed mid-restore
 * must not leave a restore running that another node is about to redo.
 */
import { publicFailureMessage } from "@/lib/errors";
import type { ArchiveLimits } from "@/lib/dump/format/limits";
import { log } from "@/lib/log";
import { dumpLoaderRestorer } from "./dump-restorer";
import { loadStoreKeys, type StoreKeySources } from "./sealing-key";
import type { RestoreTarget } from "./targets";

export interface RestoreRequest {
  archivePath: string;
  target: RestoreTarget;
  limits: ArchiveLimits;
  keys: StoreKeySources;
}

export type RestoreAnswer =
  | { ok: true; tables: Record<string, number>; peakRssBytes: number }
  | { ok: false; message: string; peakRssBytes: number };

if (!process.send) throw new Error("restore-child runs with an IPC channel (child-restorer.ts)");
process.on("disconnect", () => process.exit(1));
const peakRssBytes = () => process.resourceUsage().maxRSS * 1024;

process.once("message", (request: RestoreRequest) => {
  void (async () => {
    let answer: RestoreAnswer;
    try {
      const { tables } = await dumpLoaderRestorer(loadStoreKeys(request.keys))(
        request.archivePath,
        request.target,
        request.limits,
      );
      answer = { ok: true, tables, peakRssBytes: peakRssBytes() };
    } catch (error) {
      log.warn({ err: error, archive: request.archivePath }, "restore failed");
      answer = {
        ok: false,
        message: publicFailureMessage(error, "The restore"),
        peakRssBytes: peakRssBytes(),
      };
    }
    process.send!(answer, () => process.exit(0));
  })();
});
