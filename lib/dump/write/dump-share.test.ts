import { describe, expect, it } from "vitest";
import { DumpShare } from "./dump-share";

const estimates = (entries: [string, number, number][]) =>
  new Map(entries.map(([name, rows, bytes]) => [name, { rows, bytes }]));

describe("DumpShare", () => {
  it("weighs tables by size and counts each by its rows", () => {
    const share = new DumpShare(
      estimates([
        ["big", 1000, 3000],
        ["small", 100, 1000],
      ]),
      ["big", "small"],
    );
    expect(share.read("big", 500)).toBeCloseTo(0.375);
    expect(share.read("small", 50)).toBeCloseTo(0.5);
    expect(share.finished("small")).toBeCloseTo(0.625);
    expect(share.finished("big")).toBe(1);
  });

  it("ends at 1 exactly when the estimates were short, and never before every table ends", () => {
    // The planner thought 10 rows; there were 1000.
    const share = new DumpShare(
      estimates([
        ["a", 10, 1],
        ["b", 10, 1],
        ["c", 10, 1],
      ]),
      ["a", "b", "c"],
    );
    const seen: number[] = [];
    for (const table of ["a", "b", "c"]) {
      for (let i = 0; i < 100; i++) seen.push(share.read(table, 10));
      seen.push(share.finished(table));
    }
    expect(seen).toEqual([...seen].sort((x, y) => x - y));
    expect(seen.slice(0, -1).every((f) => f < 1)).toBe(true);
    expect(seen.at(-1)).toBe(1);
  });

  it("counts an unanalysed or empty table (no rows, no size) by its end", () => {
    const share = new DumpShare(
      estimates([
        ["empty", 0, 0],
        ["full", 100, 8192],
      ]),
      ["empty", "full", "missing"],
    );
    expect(share.read("empty", 5)).toBe(0);
    expect(share.finished("empty")).toBeGreaterThan(0);
    expect(share.finished("missing")).toBeLessThan(1);
    expect(share.finished("full")).toBe(1);
  });

  it("does not go back when a table read concurrently overtakes its estimate", () => {
    const share = new DumpShare(estimates([["t", 100, 100]]), ["t"]);
    const first = share.read("t", 90);
    expect(share.read("t", 50)).toBeGreaterThanOrEqual(first);
    expect(share.read("t", 50)).toBeLessThan(1);
  });

  it("refuses a table that is not one of the dump's", () => {
    const share = new DumpShare(estimates([["t", 1, 1]]), ["t"]);
    expect(() => share.read("other", 1)).toThrow(/not one of the dump's tables/);
    expect(() => share.finished("other")).toThrow(/not one of the dump's tables/);
    // The refused name did not count as a table that ended.
    expect(share.read("t", 1)).toBeLessThan(1);
    expect(share.finished("t")).toBe(1);
  });
});
