import { cardDisplays, type cards, type collections, type dashboards } from "@/db/schema";
import type { IdPool } from "./id-pool";
import type { SeededUser } from "./people";
import { cardQuery, visualizationSettings } from "./queries";
import type { Random } from "./random";
import { description, longText, title, unicodeSamples } from "./text";
import { later, momentAt } from "./timeline";

type NewCollection = typeof collections.$inferInsert;
type NewCard = typeof cards.$inferInsert;
type NewDashboard = typeof dashboards.$inferInsert;

const colors = ["#509EE3", "#88BF4D", "#A989C5", "#EF8C8C", "#F9D45C"] as const;

/**
 * How many collections sit at each depth. Each level is inserted after the
 * one above it, so a child's parent id is known when the child is generated.
 */
export function collectionLevels(total: number): number[] {
  const shares = [0.15, 0.4, 0.7, 0.9, 1];
  const levels = shares.map((share, i) => {
    const previous = i === 0 ? 0 : Math.round(total * (shares[i - 1] ?? 0));
    return Math.round(total * share) - previous;
  });
  if (levels[0] === 0) {
    levels[0] = 1;
    levels[1] = (levels[1] ?? 1) - 1;
  }
  return levels;
}

export function* collectionRows(
  rng: Random,
  count: number,
  depth: number,
  parents: IdPool | null,
): Generator<NewCollection> {
  for (let i = 0; i < count; i++) {
    const createdAt = momentAt(rng, 0.1 * depth + (i / count) * 0.4);
    yield {
      name: title(rng),
      description: description(rng),
      parentId: parents ? parents.pick(rng) : null,
      color: rng.chance(0.4) ? null : rng.pick(colors),
      // The first child at depth 1 is archived so that even the smallest seed has one.
      archived: (depth === 1 && i === 0) || rng.chance(0.05),
      createdAt,
      updatedAt: later(rng, createdAt, 200),
    };
  }
}

export function* cardRows(
  rng: Random,
  count: number,
  refs: { collections: IdPool; dataSources: IdPool; people: readonly SeededUser[] },
): Generator<NewCard> {
  for (let i = 0; i < count; i++) {
    const display = rng.pick(cardDisplays);
    const dataSource = rng.chance(0.05) ? null : refs.dataSources.pick(rng);
    const createdAt = momentAt(rng, (i / count) * 0.9);
    // As above, fixed positions guarantee a long description, an archived
    // card and a never-used one at any scale.
    const neverUsed = i === 1 || rng.chance(0.25);
    yield {
      name: title(rng),
      description: i === 0 ? longText(rng, 4_000) : description(rng, 0.08),
      collectionId: rng.chance(0.15) ? null : refs.collections.pick(rng),
      dataSourceId: dataSource,
      creatorId: rng.chance(0.05) ? null : rng.pick(refs.people).id,
      query: cardQuery(rng, dataSource),
      display,
      visualizationSettings: visualizationSettings(rng, display),
      archived: i === 2 || rng.chance(0.07),
      lastUsedAt: neverUsed ? null : later(rng, createdAt, 500),
      createdAt,
      updatedAt: later(rng, createdAt, 300),
    };
  }
}

function parameters(rng: Random): unknown[] {
  return Array.from({ length: rng.int(0, 4) }, (_, n) => ({
    id: rng.hex(8),
    name: rng.chance(0.2) ? rng.pick(unicodeSamples) : `Filter ${n + 1}`,
    slug: `filter_${n + 1}`,
    type: rng.pick(["date/all-options", "string/=", "number/between", "category"]),
    default: rng.chance(0.5) ? null : rng.pick(["past30days", ["BR", "JP"], 42]),
    required: rng.chance(0.1),
  }));
}

export function* dashboardRows(
  rng: Random,
  count: number,
  refs: { collections: IdPool; people: readonly SeededUser[] },
): Generator<NewDashboard> {
  for (let i = 0; i < count; i++) {
    const createdAt = momentAt(rng, (i / count) * 0.9);
    yield {
      name: title(rng),
      description: description(rng, 0.1),
      collectionId: rng.chance(0.1) ? null : refs.collections.pick(rng),
      creatorId: rng.chance(0.05) ? null : rng.pick(refs.people).id,
      parameters: parameters(rng),
      archived: i === 1 || rng.chance(0.05),
      createdAt,
      updatedAt: later(rng, createdAt, 300),
    };
  }
}
