import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { migrationStates, type MigrationState } from "@/db/schema";
import { canTransition, isTerminal, phaseOrder, progressBands, progressFor } from "./states";

describe("migration state machine", () => {
  it("walks the phases one step at a time", () => {
    expect(canTransition("init", "setup")).toBe(true);
    expect(canTransition("setup", "dump")).toBe(true);
    expect(canTransition("dump", "upload")).toBe(true);
    expect(canTransition("upload", "sync")).toBe(true);
    expect(canTransition("sync", "done")).toBe(true);
    // The switch to the cloud is never skipped: the final delta completes the copy.
    expect(canTransition("upload", "done")).toBe(false);
    expect(canTransition("init", "dump")).toBe(false);
    expect(canTransition("setup", "done")).toBe(false);
    expect(canTransition("upload", "dump")).toBe(false);
    expect(canTransition("dump", "dump")).toBe(false);
  });

  it("lets any unfinished state end in error or cancelled", () => {
    for (const from of ["init", "setup", "dump", "upload", "sync"] as const) {
      expect(canTransition(from, "error")).toBe(true);
      expect(canTransition(from, "cancelled")).toBe(true);
    }
  });

  it("never leaves a terminal state", () => {
    for (const from of ["done", "error", "cancelled"] as const) {
      expect(isTerminal(from)).toBe(true);
      for (const to of migrationStates) expect(canTransition(from, to)).toBe(false);
    }
  });

  it("only reaches done through every phase", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...migrationStates), { maxLength: 12 }), (steps) => {
        let state: MigrationState = "init";
        const visited: MigrationState[] = [state];
        for (const to of steps) {
          if (canTransition(state, to)) {
            state = to;
            visited.push(to);
          }
        }
        if (state === "done") expect(visited).toEqual([...phaseOrder]);
      }),
    );
  });
});

describe("progress bands", () => {
  it("maps each phase into its band and never past it", () => {
    expect(progressFor("init", 1)).toBe(0);
    expect(progressFor("setup", 0)).toBe(1);
    expect(progressFor("setup", 1)).toBe(3);
    expect(progressFor("dump", 0)).toBe(3);
    expect(progressFor("dump", 0.5)).toBe(24);
    expect(progressFor("dump", 1)).toBe(45);
    expect(progressFor("upload", 1)).toBe(90);
    expect(progressFor("sync", 0)).toBe(90);
    expect(progressFor("sync", 1)).toBe(99);
    expect(progressFor("done", 0)).toBe(100);
    expect(progressFor("upload", 7)).toBe(90);
    expect(progressFor("upload", -1)).toBe(45);
    expect(progressFor("dump", Number.NaN)).toBe(3);
  });

  it("is monotonic within a phase and across phases", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...phaseOrder),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (phase, a, b) => {
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          expect(progressFor(phase, lo)).toBeLessThanOrEqual(progressFor(phase, hi));
        },
      ),
    );
    for (let i = 1; i < phaseOrder.length; i++) {
      expect(progressBands[phaseOrder[i]!][0]).toBeGreaterThanOrEqual(
        progressBands[phaseOrder[i - 1]!][1],
      );
    }
  });
});
