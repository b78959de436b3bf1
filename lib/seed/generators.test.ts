import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { dashboardCardRows } from "./dashboard-layout";
import { IdPool } from "./id-pool";
import { Random } from "./random";
import { momentAt, timelineEnd, timelineStart } from "./timeline";

const poolOf = (first: number, count: number) => {
  const pool = new IdPool();
  pool.add(Array.from({ length: count }, (_, i) => first + i));
  return pool;
};

describe("seed generators", () => {
  it("repeats a stream for the same seed and purpose, and differs otherwise", () => {
    const draw = (rng: Random) => Array.from({ length: 5 }, () => rng.next());
    expect(draw(Random.derive(1, "cards"))).toEqual(draw(Random.derive(1, "cards")));
    expect(draw(Random.derive(1, "cards"))).not.toEqual(draw(Random.derive(2, "cards")));
    expect(draw(Random.derive(1, "cards"))).not.toEqual(draw(Random.derive(1, "users")));
  });

  it("draws integers within bounds, reaching both ends", () => {
    const rng = new Random(7);
    const seen = new Set(Array.from({ length: 2000 }, () => rng.int(3, 9)));
    expect([...seen].sort()).toEqual([3, 4, 5, 6, 7, 8, 9]);
  });

  it("keeps ids in runs and picks only ids it was given", () => {
    const pool = new IdPool();
    pool.add([10, 11, 12]);
    pool.add([40, 41]);
    expect([...pool]).toEqual([10, 11, 12, 40, 41]);
    expect(pool.size).toBe(5);
    expect(pool.at(3)).toBe(40);
    expect(() => pool.at(5)).toThrow(RangeError);
    const rng = new Random(3);
    for (let i = 0; i < 200; i++) expect([10, 11, 12, 40, 41]).toContain(pool.pick(rng));
  });

  it("places exactly the requested cards on a 24-column grid without overlaps", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 1, max: 40 }), (total, n) => {
        const rows = [
          ...dashboardCardRows(new Random(total * 41 + n), total, {
            dashboards: poolOf(1, n),
            cards: poolOf(100, 7),
          }),
        ];
        expect(rows).toHaveLength(total);
        const cells = new Set<string>();
        let problems = 0;
        for (const { dashboardId, row = 0, col = 0, sizeX = 0, sizeY = 0 } of rows) {
          if (col + sizeX > 24 || sizeX < 1 || sizeY < 1) problems++;
          for (let x = col; x < col + sizeX; x++) {
            for (let y = row; y < row + sizeY; y++) {
              const cell = `${dashboardId}:${x}:${y}`;
              if (cells.has(cell)) problems++;
              cells.add(cell);
            }
          }
        }
        expect(problems).toBe(0);
      }),
      { numRuns: 60 },
    );
  });

  it("keeps moments inside the timeline, later fractions later", () => {
    const rng = new Random(5);
    for (let i = 0; i <= 100; i++) {
      const moment = momentAt(rng, i / 100).getTime();
      expect(Number.isNaN(moment)).toBe(false);
      expect(moment).toBeGreaterThan(timelineStart - 5 * 86_400_000);
      expect(moment).toBeLessThan(timelineEnd + 5 * 86_400_000);
    }
    const early = momentAt(new Random(1), 0.05).getTime();
    const late = momentAt(new Random(1), 0.95).getTime();
    expect(late - early).toBeGreaterThan(5 * 365 * 86_400_000);
  });
});
