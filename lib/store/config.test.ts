import { describe, expect, it } from "vitest";
import { readStoreEnv as readEnv } from "./config";

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

describe("LIFTOFF_STORE_MAX_RESTORE_BYTES", () => {
  it("is unset by default, and read as a number of bytes", () => {
    expect(readEnv(env({})).LIFTOFF_STORE_MAX_RESTORE_BYTES).toBeUndefined();
    expect(
      readEnv(env({ LIFTOFF_STORE_MAX_RESTORE_BYTES: "10737418240" }))
        .LIFTOFF_STORE_MAX_RESTORE_BYTES,
    ).toBe(10 * 2 ** 30);
  });

  it("refuses what is not a whole number of bytes, or less than 1 MiB", () => {
    expect(() => readEnv(env({ LIFTOFF_STORE_MAX_RESTORE_BYTES: "10GB" }))).toThrow(
      /LIFTOFF_STORE_MAX_RESTORE_BYTES must be a whole number of bytes/,
    );
    expect(() => readEnv(env({ LIFTOFF_STORE_MAX_RESTORE_BYTES: "1000" }))).toThrow(
      /LIFTOFF_STORE_MAX_RESTORE_BYTES must be at least 1048576/,
    );
  });
});
