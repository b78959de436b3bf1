import type { dashboardCards } from "@/db/schema";
import type { IdPool } from "./id-pool";
import type { Random } from "./random";
import { title } from "./text";
import { later, randomMoment } from "./timeline";

type NewDashboardCard = typeof dashboardCards.$inferInsert;

const gridWidth = 24;
const widths = [4, 6, 8, 12, 24] as const;

/**
 * Exactly `total` cards over the dashboards, laid out left to right and
 * wrapping as the dashboard editor does. Dashboards come in pairs where one
 * gets `jitter` more cards than the average and the other as many fewer, so
 * some are empty and some crowded while the sum stays exact.
 */
export function* dashboardCardRows(
  rng: Random,
  total: number,
  refs: { dashboards: IdPool; cards: IdPool },
): Generator<NewDashboardCard> {
  if (total > 0 && refs.dashboards.size === 0) throw new Error("No dashboards to place cards on.");
  const base = Math.floor(total / refs.dashboards.size);
  let emitted = 0;
  let jitter = 0;
  let index = 0;
  for (const dashboardId of refs.dashboards) {
    if (index % 2 === 0) jitter = rng.int(0, base);
    const count =
      index === refs.dashboards.size - 1
        ? total - emitted
        : index % 2 === 0
          ? base + jitter
          : base - jitter;
    let row = 0;
    let col = 0;
    let rowHeight = 0;
    for (let n = 0; n < count; n++) {
      const sizeX = rng.chance(0.1) ? rng.int(1, gridWidth) : rng.pick(widths);
      const sizeY = rng.chance(0.02) ? 48 : rng.int(2, 10);
      if (col + sizeX > gridWidth) {
        row += rowHeight;
        col = 0;
        rowHeight = 0;
      }
      const createdAt = randomMoment(rng);
      yield {
        dashboardId,
        cardId: refs.cards.pick(rng),
        row,
        col,
        sizeX,
        sizeY,
        settings: rng.chance(0.6)
          ? {}
          : {
              "card.title": title(rng),
              click_behavior: {
                type: "link",
                linkType: "url",
                linkTemplate: `https://example.com/orders/{{id}}?ref=${rng.hex(6)}`,
              },
            },
        createdAt,
        updatedAt: later(rng, createdAt, 100),
      };
      col += sizeX;
      rowHeight = Math.max(rowHeight, sizeY);
    }
    emitted += count;
    index++;
  }
}
