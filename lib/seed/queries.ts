import type { CardDisplay } from "@/db/schema";
import type { Random } from "./random";
import { sentence, unicodeSamples } from "./text";

/**
 * Card definitions shaped like a BI tool's saved questions: structured
 * queries several levels deep, or native SQL with template tags.
 */
const tables = ["orders", "customers", "products", "invoices", "events", "tickets"] as const;
const columns = ["id", "total", "created_at", "country", "plan", "status", "amount", "email"];

function field(rng: Random): unknown[] {
  const options: Record<string, unknown> = { "base-type": rng.pick(["type/Text", "type/Float"]) };
  if (rng.chance(0.3)) options["temporal-unit"] = rng.pick(["day", "week", "month", "quarter"]);
  if (rng.chance(0.2)) options["join-alias"] = rng.pick(tables);
  return ["field", rng.int(1, 400), options];
}

function filter(rng: Random, depth: number): unknown[] {
  if (depth > 0 && rng.chance(0.5)) {
    const clauses = Array.from({ length: rng.int(2, 3) }, () => filter(rng, depth - 1));
    return [rng.pick(["and", "or"]), ...clauses];
  }
  const value = rng.chance(0.2) ? rng.pick(unicodeSamples) : rng.int(0, 10_000);
  return [rng.pick(["=", "!=", ">", "<", "contains"]), field(rng), value];
}

function structuredQuery(rng: Random, databaseId: number | null): Record<string, unknown> {
  const query: Record<string, unknown> = {
    "source-table": rng.int(1, 120),
    aggregation: [rng.pick([["count"], ["sum", field(rng)], ["avg", field(rng)]])],
    breakout: Array.from({ length: rng.int(0, 2) }, () => field(rng)),
    filter: filter(rng, 3),
    "order-by": [[rng.pick(["asc", "desc"]), field(rng)]],
    limit: rng.chance(0.5) ? null : rng.pick([10, 100, 2000]),
  };
  if (rng.chance(0.3)) {
    query.joins = [
      {
        alias: rng.pick(tables),
        strategy: rng.pick(["left-join", "inner-join"]),
        condition: ["=", field(rng), field(rng)],
        fields: "all",
      },
    ];
  }
  return { type: "query", database: databaseId, query };
}

function nativeQuery(rng: Random, databaseId: number | null): Record<string, unknown> {
  const table = rng.pick(tables);
  const selected = Array.from({ length: rng.int(2, 6) }, () => rng.pick(columns));
  const sql =
    `-- ${sentence(rng)}\nSELECT ${selected.join(",\n       ")}\n  FROM ${table}\n` +
    ` WHERE created_at >= {{start_date}}\n   AND country = '${rng.pick(["BR", "JP", "DE"])}'\n` +
    ` GROUP BY 1\n ORDER BY 2 DESC\n LIMIT ${rng.int(10, 1000)};`;
  return {
    type: "native",
    database: databaseId,
    native: {
      query: sql,
      "template-tags": {
        start_date: { id: rng.hex(8), name: "start_date", type: "date", required: rng.chance(0.5) },
      },
    },
  };
}

export function cardQuery(rng: Random, databaseId: number | null): Record<string, unknown> {
  return rng.chance(0.35) ? nativeQuery(rng, databaseId) : structuredQuery(rng, databaseId);
}

export function visualizationSettings(rng: Random, display: CardDisplay): Record<string, unknown> {
  if (rng.chance(0.3)) return {};
  const settings: Record<string, unknown> = {
    column_settings: {
      '["name","total"]': {
        number_style: rng.pick(["currency", "decimal", "percent"]),
        currency: rng.pick(["EUR", "JPY", "BRL", "USD"]),
        decimals: rng.int(0, 4),
        prefix: rng.chance(0.1) ? "≈ " : null,
      },
    },
  };
  if (rng.chance(0.2)) settings["card.title"] = rng.pick(unicodeSamples);
  if (display === "bar" || display === "line" || display === "area") {
    settings["graph.dimensions"] = [rng.pick(columns)];
    settings["graph.metrics"] = [rng.pick(columns), rng.pick(columns)];
    settings["graph.y_axis.scale"] = rng.pick(["linear", "log", "pow"]);
    settings.series_settings = { total: { color: `#${rng.hex(6)}`, display } };
  }
  if (display === "table") settings["table.pivot"] = rng.chance(0.2);
  return settings;
}
