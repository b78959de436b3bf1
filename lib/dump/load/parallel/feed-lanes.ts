import { readIndexed } from "../../format/read-archive";
import type { ArchiveTally } from "../../verify/verify";
import { tallyOtherEntries, type IndexedArchive } from "../data-files";
import type { LoadPlan } from "../plan";
import { eachUntilFailure } from "../share-out";
import type { LoadCosts } from "./costs";
import type { KeyWork } from "./key-work";
import type { Lane } from "./lane";

/**
 * Each connection has a feeder. Once its connection has nothing left to
 * do, the feeder gives it the costliest piece of work (see LoadCosts): a
 * ready key that costs more than the next table, or else that table, whose
 * files it reads from the archive itself, so that no connection waits for
 * files of a table another is loading. A table's keys can thus start as
 * soon as its rows are in, while other tables still load: built at the
 * end, the largest table's indexes had made the load's last seconds. The
 * archive's other entries go to the tally. After a failure no connection
 * takes more work; the failure is thrown once all work under way has ended.
 */
export async function feedLanes(
  lanes: Lane[],
  archive: IndexedArchive,
  plan: LoadPlan,
  tally: ArchiveTally,
  keyWork: KeyWork,
  costs: LoadCosts,
): Promise<void> {
  await tallyOtherEntries(archive, tally);
  const tables = plan.verified.manifest.tables
    .filter((t) => t.files.length > 0)
    .sort((a, b) => costs.table(b) - costs.table(a));
  await eachUntilFailure(lanes, async (lane, stopped) => {
    while (!stopped()) {
      await lane.drained();
      const table = tables[0];
      if (!table) break;
      const key = keyWork.take(costs.table(table));
      if (key) {
        lane.buildKey(key);
        continue;
      }
      tables.shift();
      lane.startTable(table);
      for (const file of table.files) {
        if (stopped()) return;
        const compressed = await readIndexed(archive.handle, archive.byPath.get(file.path)!);
        await lane.addFile(file, compressed);
      }
      lane.endTable();
    }
    lane.feeding = false;
    lane.whenIdle();
  });
}
