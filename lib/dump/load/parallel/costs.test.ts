import { describe, expect, it } from "vitest";
import type { ManifestTable } from "../../format/manifest";
import type { KeysAndIndexes } from "../keys";
import { LoadCosts } from "./costs";
import { KeyWork } from "./key-work";

const table = (name: string, rows: number, bytes: number): ManifestTable => ({
  name,
  order: 0,
  columns: ["id"],
  primaryKey: ["id"],
  rows,
  bytes,
  sha256: "0".repeat(64),
  files: [],
});

// Shaped like the bench database: a wide table of few rows, and a narrow
// one of many rows with several indexes.
const cards = table("cards", 150_000, 204_000_000);
const viewLog = table("view_log", 2_700_000, 161_000_000);
const users = table("users", 10_000, 1_000_000);
const keys: KeysAndIndexes = {
  own: [
    { table: "cards", sql: "cards pkey" },
    { table: "view_log", sql: "view_log pkey" },
    { table: "view_log", sql: "view_log model index" },
    { table: "users", sql: "users pkey" },
  ],
  foreign: [{ table: "view_log", sql: "view_log user fk", references: "users" }],
};

describe("the order of a parallel load's work", () => {
  const costs = new LoadCosts([cards, viewLog, users], keys);

  it("counts a table's longest key with its rows, so a table of many indexed rows goes first", () => {
    expect(costs.table(viewLog)).toBeGreaterThan(costs.table(cards));
    expect(costs.table(cards)).toBeGreaterThan(cards.bytes);
    expect(costs.table(users)).toBeLessThan(costs.table(cards));
  });

  it("gives a free connection the costliest ready key, only when it costs more than the next table", () => {
    const work = new KeyWork(keys, costs);
    expect(work.take()).toBeUndefined();
    work.release("view_log");
    // view_log's keys cost more than the rows of users, less than those of cards.
    expect(work.take(costs.table(cards))).toBeUndefined();
    const first = work.take(costs.table(users));
    expect(first?.table).toBe("view_log");
    expect(work.take(costs.table(users))?.table).toBe("view_log");
    // The foreign key waits for the key it references.
    expect(work.take()).toBeUndefined();
    work.release("users");
    const usersKey = work.take()!;
    expect(usersKey.sql).toBe("users pkey");
    work.built(first!);
    work.built(keys.own[2]!);
    expect(work.take()).toBeUndefined();
    work.built(usersKey);
    expect(work.take()?.sql).toBe("view_log user fk");
  });
});
