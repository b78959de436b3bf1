import { dataSourceEngines, type DataSourceDetails, type dataSources } from "@/db/schema";
import { sealSecret, type SecretKey } from "@/lib/secrets/cipher";
import type { SeededUser } from "./people";
import type { Random } from "./random";
import { later, momentAt } from "./timeline";

type NewDataSource = typeof dataSources.$inferInsert;

const sourceNames = [
  "Sales warehouse",
  "Product analytics",
  "Billing (prod)",
  "Support 🎧",
  "データ基盤",
  "Legacy MySQL — do not use",
  "מחסן נתונים",
] as const;
const ports: Record<string, number> = { postgres: 5432, mysql: 3306, sqlserver: 1433 };

function password(rng: Random): string {
  // Passwords with symbols and non-ASCII, as people do choose them.
  return rng.hex(rng.int(12, 24)) + rng.pick(["!", "§ü", "🔑", "p@ss", "\\'\""]);
}

function details(rng: Random, engine: string, key: SecretKey | null): DataSourceDetails {
  const host =
    engine === "bigquery"
      ? "bigquery.googleapis.com"
      : `${rng.pick(["db", "warehouse", "replica"])}-${rng.int(1, 9)}.internal.example.com`;
  const result: DataSourceDetails = {
    host,
    port: ports[engine] ?? 443,
    database: rng.pick(["analytics", "prod", "billing", "dwh"]),
    user: rng.pick(["liftoff", "readonly", "report_user"]),
    ssl: rng.chance(0.7),
    options: {
      timeout_seconds: rng.int(5, 120),
      schemas: { include: ["public", "sales"], exclude: rng.chance(0.5) ? [] : ["tmp_*"] },
      tunnel: rng.chance(0.2) ? { host: "bastion.example.com", port: 22, user: "tunnel" } : null,
    },
  };
  // BigQuery authenticates with a service account, not a password; some
  // connections have an empty one.
  if (engine !== "bigquery") {
    result.password = rng.chance(0.1) ? null : sealSecret(password(rng), key);
  }
  return result;
}

/** `firstNumber` keeps names unique across runs (names are unique in the table). */
export function* dataSourceRows(
  rng: Random,
  count: number,
  firstNumber: number,
  people: readonly SeededUser[],
  key: SecretKey | null,
): Generator<NewDataSource> {
  const admins = people.filter((person) => person.role === "admin");
  for (let i = 0; i < count; i++) {
    const engine = i === 0 ? "postgres" : rng.pick(dataSourceEngines);
    const createdAt = momentAt(rng, (i / count) * 0.3);
    yield {
      name: `${rng.pick(sourceNames)} ${firstNumber + i}`,
      engine,
      details: details(rng, engine, key),
      createdById: rng.chance(0.1) ? null : rng.pick(admins).id,
      createdAt,
      updatedAt: later(rng, createdAt, 300),
    };
  }
}
