import { describe, expect, it } from "vitest";
import { readEnv } from "./env";

const env = (vars: Record<string, string>): NodeJS.ProcessEnv => ({ NODE_ENV: "test", ...vars });

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
