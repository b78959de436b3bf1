import { parseArgs } from "node:util";
import type { Database } from "@/db/client";
import { AppError } from "@/lib/errors";
import { defaultKeyLimits, issueKey, listKeys, revokeKey, type KeyLimits } from "./keys";

/**
 * The store operator's key commands (`npm run store -- issue-key …`):
 *   issue-key --label <who> [--max-open <n>] [--max-bytes <n>]
 *   revoke-key <id | display prefix>
 *   list-keys
 * Writes to `out`, returns the exit code. A key is printed once, when it is
 * issued; nothing prints a hash.
 */

export interface KeyCommandOutput {
  write(text: string): unknown;
}

export const keyCommandUsage = `Usage:
  issue-key --label <who it is for> [--max-open <migrations>] [--max-bytes <bytes>]
  revoke-key <id | prefix>
  list-keys
`;

const GiB = 1024 ** 3;

function bytesText(bytes: number): string {
  return bytes % GiB === 0 ? `${bytes / GiB} GiB` : `${bytes} bytes`;
}

function wholeNumber(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[0-9]+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new AppError("invalid", "argument", `${flag} must be a whole number.`);
  }
  return Number(value);
}

export async function runKeyCommand(
  argv: string[],
  db: Database,
  out: KeyCommandOutput,
  defaults: KeyLimits = defaultKeyLimits,
): Promise<number> {
  const [command, ...rest] = argv;
  const line = (text = "") => out.write(text + "\n");
  try {
    switch (command) {
      case "issue-key": {
        const { values } = parseArgs({
          args: rest,
          options: {
            label: { type: "string" },
            "max-open": { type: "string" },
            "max-bytes": { type: "string" },
          },
        });
        if (!values.label) throw new AppError("invalid", "argument", "issue-key needs --label.");
        const issued = await issueKey(
          db,
          {
            label: values.label,
            maxOpenMigrations: wholeNumber(values["max-open"], "--max-open"),
            maxBytes: wholeNumber(values["max-bytes"], "--max-bytes"),
          },
          defaults,
        );
        line(`Migration key ${issued.id} for "${issued.label}":`);
        line();
        line(`  ${issued.key}`);
        line();
        line(
          `Limits: ${issued.limits.maxOpenMigrations} open migrations, ${bytesText(issued.limits.maxBytes)}.`,
        );
        line(
          "It is shown only now. Paste it on the instance's Settings page, or set LIFTOFF_CLOUD_KEY.",
        );
        return 0;
      }
      case "revoke-key": {
        const { positionals } = parseArgs({ args: rest, allowPositionals: true });
        if (positionals.length !== 1) {
          throw new AppError("invalid", "argument", "revoke-key needs one key id or prefix.");
        }
        const revoked = await revokeKey(db, positionals[0]!);
        line(
          `Key ${revoked.id} (${revoked.displayPrefix}…, "${revoked.label}") is revoked since ${revoked.revokedAt?.toISOString()}.`,
        );
        return 0;
      }
      case "list-keys": {
        parseArgs({ args: rest });
        const keys = await listKeys(db);
        if (keys.length === 0) {
          line("No migration keys. Issue one with issue-key --label <who>.");
          return 0;
        }
        for (const key of keys) {
          const state = key.revokedAt ? `revoked ${key.revokedAt.toISOString()}` : "live";
          const used = key.lastUsedAt ? key.lastUsedAt.toISOString() : "never";
          line(
            `${key.id}\t${key.displayPrefix}…\t${state}\t"${key.label}"\tcreated ${key.createdAt.toISOString()}\tlast used ${used}\t${key.maxOpenMigrations} open, ${bytesText(key.maxBytes)}`,
          );
        }
        return 0;
      }
      default:
        out.write(keyCommandUsage);
        return 2;
    }
  } catch (error) {
    if (error instanceof AppError) {
      line(error.message);
      return 1;
    }
    // parseArgs' own errors (an unknown flag) are for the operator too.
    if (error instanceof TypeError && "code" in error) {
      line(`${error.message}\n${keyCommandUsage}`);
      return 2;
    }
    throw error;
  }
}
