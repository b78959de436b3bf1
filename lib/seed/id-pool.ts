import type { Random } from "./random";

/**
 * The ids a run inserted into one table, kept as runs of consecutive ids:
 * identity columns hand out consecutive ids, so a table of millions of rows
 * usually costs one entry, and later tables can still pick any of them.
 */
export class IdPool {
  private readonly runs: { first: number; count: number }[] = [];
  private total = 0;

  get size(): number {
    return this.total;
  }

  add(ids: Iterable<number>): void {
    for (const id of ids) {
      const last = this.runs.at(-1);
      if (last && last.first + last.count === id) last.count++;
      else this.runs.push({ first: id, count: 1 });
      this.total++;
    }
  }

  /** The id at `index` in insertion order. */
  at(index: number): number {
    if (index < 0 || index >= this.total) throw new RangeError(`No id at ${index}.`);
    let remaining = index;
    for (const run of this.runs) {
      if (remaining < run.count) return run.first + remaining;
      remaining -= run.count;
    }
    throw new RangeError(`No id at ${index}.`);
  }

  pick(rng: Random): number {
    return this.at(Math.floor(rng.next() * this.total));
  }

  /** Early rows are picked more often: a few cards get most of the views. */
  pickPopular(rng: Random): number {
    return this.at(rng.skewedIndex(this.total));
  }

  *[Symbol.iterator](): Iterator<number> {
    for (const run of this.runs) {
      for (let i = 0; i < run.count; i++) yield run.first + i;
    }
  }
}
