import type { Random } from "./random";

/**
 * Seeded content spans fixed years rather than "the last N years from now",
 * so that a seed number always produces the same rows.
 */
export const timelineStart = Date.UTC(2019, 0, 1);
export const timelineEnd = Date.UTC(2026, 0, 1);
const dayMs = 86_400_000;
const days = (timelineEnd - timelineStart) / dayMs;

/** Where the instance's users sit; activity happens in their office hours. */
const utcOffsets = [
  "+00:00",
  "+01:00",
  "+05:30",
  "+05:45",
  "+08:00",
  "+09:00",
  "+12:45",
  "-03:30",
  "-05:00",
  "-08:00",
] as const;

/** Instants people tend to get wrong: leap days, year ends, extreme offsets. */
const awkwardInstants = [
  "2020-02-29T23:59:59.999+14:00",
  "2023-12-31T23:59:59.999999-12:00",
  "2024-02-29T12:00:00Z",
  "2021-03-14T02:30:00-05:00",
  "2022-10-30T01:30:00+01:00",
] as const;

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/**
 * A moment at `fraction` (0..1) of the timeline, so that rows inserted later
 * happened later, as in a real instance. The wall-clock time is chosen in one
 * of several UTC offsets and converted from there.
 */
export function momentAt(rng: Random, fraction: number): Date {
  if (rng.chance(0.002)) return new Date(rng.pick(awkwardInstants));
  const jitter = rng.int(-3, 3);
  const day = Math.min(Math.max(Math.floor(fraction * days) + jitter, 0), days - 1);
  const date = new Date(timelineStart + day * dayMs);
  const hour = rng.chance(0.8) ? rng.int(8, 18) : rng.int(0, 23);
  const local =
    `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}` +
    `T${pad(hour)}:${pad(rng.int(0, 59))}:${pad(rng.int(0, 59))}.${pad(rng.int(0, 999), 3)}`;
  return new Date(local + rng.pick(utcOffsets));
}

export function randomMoment(rng: Random): Date {
  return momentAt(rng, rng.next());
}

/** A moment up to `maxDays` after `start`. */
export function later(rng: Random, start: Date, maxDays: number): Date {
  return new Date(start.getTime() + Math.floor(rng.next() * maxDays * dayMs));
}
