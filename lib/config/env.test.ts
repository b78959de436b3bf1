import { describe, expect, it } from "vitest";
import { readEnv } from "./env";

const env = (values: Record<string, string>): NodeJS.ProcessEnv => ({
  NODE_ENV: "test",
  ...values,
});

describe("LIFTOFF_STORE_RESTORE_WORKERS", () => {
  it("defaults to one restore at a time and takes a whole number", () => {
    expect(readEnv(env({})).LIFTOFF_STORE_RESTORE_WORKERS).toBe(1);
    expect(readEnv(env({ LIFTOFF_STORE_RESTORE_WORKERS: "3" })).LIFTOFF_STORE_RESTORE_WORKERS).toBe(
      3,
    );
  });

  it.each(["0", "-1", "1.5", "two", "65"])("refuses %s with the variable's name", (value) => {
    expect(() => readEnv(env({ LIFTOFF_STORE_RESTORE_WORKERS: value }))).toThrow(
      /LIFTOFF_STORE_RESTORE_WORKERS/,
    );
  });
});
