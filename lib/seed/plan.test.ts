import { describe, expect, it } from "vitest";
import { collectionLevels } from "./content";
import { planSeed } from "./plan";

describe("seed plan", () => {
  it("grows content linearly and people with the square root of the scale", () => {
    const one = planSeed(1);
    const hundred = planSeed(100);
    for (const table of ["login_history", "collections", "cards", "dashboards"] as const) {
      expect(hundred[table]).toBe(one[table] * 100);
    }
    for (const table of ["audit_log", "view_log", "dashboard_cards"] as const) {
      expect(hundred[table]).toBe(one[table] * 100);
    }
    expect(hundred.users).toBe(one.users * 10);
    expect(hundred.data_sources).toBe(one.data_sources * 10);
  });

  it("keeps every table non-empty at the smallest scale and refuses smaller", () => {
    for (const count of Object.values(planSeed(0.01))) expect(count).toBeGreaterThan(0);
    expect(() => planSeed(0.009)).toThrow(RangeError);
    expect(() => planSeed(Number.NaN)).toThrow(RangeError);
  });

  it("spreads collections over several levels, roots first, and loses none", () => {
    for (const total of [5, 6, 7, 30, 31, 600, 12_345]) {
      const levels = collectionLevels(total);
      expect(levels.reduce((sum, n) => sum + n, 0)).toBe(total);
      expect(levels[0]).toBeGreaterThan(0);
      expect(levels.filter((n) => n > 0).length).toBeGreaterThanOrEqual(4);
    }
  });
});
