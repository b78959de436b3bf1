import { describe, expect, it } from "vitest";
import { parseSeedArgs, UsageError } from "./args";

describe("seed arguments", () => {
  it("reads the scale and the seed, with seed 1 by default", () => {
    expect(parseSeedArgs(["--scale", "0.5"])).toEqual({ help: false, scale: 0.5, seed: 1 });
    expect(parseSeedArgs(["--scale=20", "--seed", "42"])).toEqual({
      help: false,
      scale: 20,
      seed: 42,
    });
    expect(parseSeedArgs(["--help"])).toEqual({ help: true });
  });

  it.each([
    [[], /--scale is required/],
    [["--scale"], /argument missing/],
    [["--scale", "abc"], /--scale must be a number/],
    [["--scale", "0.001"], /at least 0.01/],
    [["--scale=-1"], /at least 0.01/],
    [["--scale", "Infinity"], /--scale must be a number/],
    [["--scale", " "], /--scale must be a number/],
    [["--scale", "1", "--seed", "1.5"], /--seed must be a whole number/],
    [["--scale", "1", "--seed=-3"], /--seed must be a whole number/],
    [["--scale", "1", "--seed", "4294967296"], /--seed must be a whole number/],
    [["--scale", "1", "--rows", "5"], /Unknown option '--rows'/],
    [["--scale", "1", "extra"], /Unexpected argument 'extra'/],
  ])("refuses %j", (argv, message) => {
    expect(() => parseSeedArgs(argv)).toThrow(UsageError);
    expect(() => parseSeedArgs(argv)).toThrow(message);
  });
});
