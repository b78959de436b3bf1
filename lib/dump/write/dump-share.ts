/**
 * How much of a dump is done, 0–1, from estimates that may be far off.
 *
 * Each table weighs its estimated size on disk (at least one byte, so an
 * empty table still counts), and counts as done by the rows read against its
 * estimated rows — at most `openCap` until the table ends, since the planner's
 * row count can be short. The share so reaches 1 exactly when the last table
 * ends, never goes back, and moves with every batch read: dividing bytes read
 * by bytes on disk instead stalls at whatever the two happen to differ by
 * (COPY text of a fresh seed is about three quarters of its size on disk),
 * and the bar then jumps at the end.
 */
export class DumpShare {
  private readonly weights = new Map<string, number>();
  private readonly counted = new Map<string, number>();
  private readonly rowsRead = new Map<string, number>();
  private readonly ended = new Set<string>();
  private done = 0;

  constructor(
    private readonly estimates: ReadonlyMap<string, { rows: number; bytes: number }>,
    tables: readonly string[],
    private readonly openCap = 0.99,
  ) {
    const weight = (name: string) => Math.max(1, estimates.get(name)?.bytes ?? 0);
    const total = tables.reduce((sum, name) => sum + weight(name), 0);
    for (const name of tables) this.weights.set(name, weight(name) / total);
  }

  /** `rows` more of `table` were read; returns the share now done. */
  read(table: string, rows: number): number {
    const seen = (this.rowsRead.get(table) ?? 0) + rows;
    this.rowsRead.set(table, seen);
    const expected = this.estimates.get(table)?.rows ?? 0;
    return this.count(table, expected > 0 ? Math.min(this.openCap, seen / expected) : 0);
  }

  /** `table` was read to its end; returns the share now done. */
  finished(table: string): number {
    return this.count(table, 1, true);
  }

  /** `tableShare` of `table` is read (`ended`: all of it); returns the share now done. */
  private count(table: string, tableShare: number, ended = false): number {
    const weight = this.weights.get(table);
    if (weight === undefined)
      throw new Error(`DumpShare: ${table} is not one of the dump's tables`);
    if (ended) this.ended.add(table);
    const before = this.counted.get(table) ?? 0;
    const now = Math.max(before, weight * tableShare);
    this.counted.set(table, now);
    this.done += now - before;
    // A floating sum of the weights can land a hair off 1 either way.
    return this.ended.size === this.weights.size ? 1 : Math.min(this.openCap, this.done);
  }
}
