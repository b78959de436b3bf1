import type { ManifestTable } from "../../format/manifest";
import type { KeysAndIndexes, KeyStatement } from "../keys";

/**
 * What a piece of a load's work costs, about, in bytes of COPY text loaded
 * in the same time, so that the largest goes first and a connection that
 * is free takes whatever keeps the end of the load short. On the 1 GB bench
 * database (2 cores) a COPY took about 30 ns a byte of text, an index build
 * 1 to 3 µs a row, and a foreign key's check about 0.2 µs a row.
 */
const LOAD_COST = { indexRow: 60, foreignKeyRow: 8 };

/** Orders the work of a parallel load by cost (see LOAD_COST). */
export class LoadCosts {
  private readonly rows: Map<string, number>;
  private readonly longestKey = new Map<string, number>();

  constructor(tables: ManifestTable[], keys: KeysAndIndexes) {
    this.rows = new Map(tables.map((t) => [t.name, t.rows]));
    for (const key of keys.own) {
      this.longestKey.set(key.table, Math.max(this.longestKey.get(key.table) ?? 0, this.key(key)));
    }
  }

  /** A key's build (an index, a primary or unique key) or check (a foreign key). */
  key(key: KeyStatement): number {
    const rows = this.rows.get(key.table) ?? 0;
    return rows * (key.references === undefined ? LOAD_COST.indexRow : LOAD_COST.foreignKeyRow);
  }

  /**
   * A table: its rows, then its longest key, which cannot start before
   * they are in (the others can go to another connection meanwhile).
   */
  table(table: ManifestTable): number {
    return table.bytes + (this.longestKey.get(table.name) ?? 0);
  }
}
