import { parseArgs } from "node:util";
import { minScale } from "./plan";
import { seedPassword } from "./seed";

/** A mistake on the command line: the script prints it with the usage and exits with 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export const seedUsage = `Usage: npm run seed -- --scale N [--seed S]

Adds realistic content to the app database (DATABASE_URL, or the embedded
database in LIFTOFF_DATA_DIR): users, login history, data sources,
collections, cards, dashboards, settings, audit and view logs. It adds to
what is there and never deletes.

  --scale N   size: 1 is about 1 MB of tables (a small team), 1000 about 1 GB.
              Decimals allowed, at least ${minScale}.
  --seed S    whole number; the same seed gives the same content (default 1).
  --help      show this text.

Every seeded user's password is "${seedPassword}".
Secrets are sealed with LIFTOFF_ENCRYPTION_KEY when it is set.`;

export type SeedCommand = { help: true } | { help: false; scale: number; seed: number };

export function parseSeedArgs(argv: string[]): SeedCommand {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        scale: { type: "string" },
        seed: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return { help: true };
  if (values.scale === undefined) throw new UsageError("--scale is required.");
  const scale = Number(values.scale);
  if (values.scale.trim() === "" || !Number.isFinite(scale) || scale < minScale) {
    throw new UsageError(
      `--scale must be a number of at least ${minScale}, not "${values.scale}".`,
    );
  }
  const seed = values.seed === undefined ? 1 : Number(values.seed);
  if (!/^\d+$/.test(values.seed ?? "1") || seed > 0xffffffff) {
    throw new UsageError(
      `--seed must be a whole number from 0 to 4294967295, not "${values.seed}".`,
    );
  }
  return { help: false, scale, seed };
}
