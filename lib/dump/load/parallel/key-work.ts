import type { KeysAndIndexes, KeyStatement } from "../keys";
import type { LoadCosts } from "./costs";
import type { Lane } from "./lane";

/**
 * The keys to put back while the data loads: a table's own (indexes,
 * primary and unique keys) once its rows are committed, and a foreign key
 * once both its tables have their own keys (its check needs the referenced
 * key, and would wait for any index being built on either table). A free
 * connection takes the costliest ready one (see LoadCosts) when it costs
 * more than the next table, as pg_restore -j orders its work by size.
 */
export class KeyWork {
  private ready: KeyStatement[] = [];
  private readonly released = new Set<string>();
  /** Own keys not built yet, per table; foreign keys not yet ready. */
  private readonly ownLeft = new Map<string, number>();
  private waitingForeign: KeyStatement[];
  private readonly lanes: Lane[] = [];

  constructor(
    private readonly keys: KeysAndIndexes,
    private readonly costs: LoadCosts,
  ) {
    for (const key of keys.own) this.ownLeft.set(key.table, (this.ownLeft.get(key.table) ?? 0) + 1);
    this.waitingForeign = [...keys.foreign];
  }

  attach(lane: Lane): void {
    this.lanes.push(lane);
  }

  /** `table`'s rows are in and committed: its keys may be built, by any idle connection. */
  release(table: string): void {
    this.released.add(table);
    this.ready.push(...this.keys.own.filter((k) => k.table === table));
    this.readyForeign();
  }

  /** The costliest ready key, if it costs at least `atLeast`. */
  take(atLeast = 0): KeyStatement | undefined {
    let best: KeyStatement | undefined;
    for (const key of this.ready) {
      if (!best || this.costs.key(key) > this.costs.key(best)) best = key;
    }
    if (!best || this.costs.key(best) < atLeast) return undefined;
    this.ready = this.ready.filter((k) => k !== best);
    return best;
  }

  /** A key taken has been built. */
  built(key: KeyStatement): void {
    if (!this.keys.own.includes(key)) return;
    this.ownLeft.set(key.table, this.ownLeft.get(key.table)! - 1);
    this.readyForeign();
  }

  private readyForeign(): void {
    const hasOwnKeys = (table: string) => this.released.has(table) && !this.ownLeft.get(table);
    const now = this.waitingForeign.filter((k) => hasOwnKeys(k.table) && hasOwnKeys(k.references!));
    if (now.length) {
      this.waitingForeign = this.waitingForeign.filter((k) => !now.includes(k));
      this.ready.push(...now);
    }
    for (const lane of this.lanes) lane.whenIdle();
  }

  /** What is left once the data is in: unbuilt keys, those of tables with no data file, and the foreign keys. */
  rest(): KeysAndIndexes {
    const ready = new Set(this.ready);
    return {
      own: [
        ...this.keys.own.filter((k) => ready.has(k)),
        ...this.keys.own.filter((k) => !this.released.has(k.table)),
      ],
      foreign: this.keys.foreign.filter((k) => ready.has(k) || this.waitingForeign.includes(k)),
    };
  }
}
