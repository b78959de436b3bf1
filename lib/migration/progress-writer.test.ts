import { expect, it } from "vitest";
import { phaseEstimates } from "./progress-writer";

it("derives throughput and time left for a phase that does not measure them (the dump)", () => {
  // A quarter done in 10 s: 30 s to go; 50 MB in 10 s is 5 MB/s.
  expect(phaseEstimates({ fraction: 0.25, bytesDone: 50e6, bytesTotal: 300e6 }, 10)).toEqual({
    throughput: 5e6,
    eta: 30,
  });
  // Too early, or nothing done yet: no figure rather than a wild one.
  expect(phaseEstimates({ fraction: 0.25, bytesDone: 1, bytesTotal: 4 }, 0.1)).toEqual({
    throughput: null,
    eta: null,
  });
  expect(phaseEstimates({ fraction: 0, bytesDone: 0, bytesTotal: 4 }, 5).eta).toBeNull();
  // A phase that measures its own (the upload) keeps its figures.
  expect(
    phaseEstimates(
      { fraction: 0.5, bytesDone: 1, bytesTotal: 2, throughputBytesPerSecond: 7, etaSeconds: 3 },
      10,
    ),
  ).toEqual({ throughput: 7, eta: 3 });
});
