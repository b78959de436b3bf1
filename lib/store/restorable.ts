import journal from "@/drizzle/meta/_journal.json";
import packageJson from "@/package.json";
import { AppError } from "@/lib/errors";

/** What this store's code can restore: dumps up to its own version, of schemas it knows. */
export interface RestorableVersions {
  appVersion: string;
  schemaMigrationIds: readonly string[];
}

export function restorableVersions(): RestorableVersions {
  return {
    appVersion: packageJson.version,
    schemaMigrationIds: journal.entries.map((entry) => entry.tag),
  };
}

function parseVersion(version: string): [number, number, number] | null {
  const match = /^(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$/.exec(version);
  return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : null;
}

function compareVersions(a: [number, number, number], b: [number, number, number]): number {
  for (let i = 0; i < 3; i++) {
    const diff = (a[i] ?? 0) - (b[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

/**
 * Why the store could not restore a dump of this version, or null: newer
 * code, or a schema migration this store has never seen.
 */
export function restorableRefusal(
  input: { appVersion: string; schemaMigrationId: string },
  supported: RestorableVersions,
): AppError | null {
  const theirs = parseVersion(input.appVersion);
  const ours = parseVersion(supported.appVersion);
  if (!theirs || !ours) {
    return new AppError(
      "unprocessable",
      "app_version",
      `The app version "${input.appVersion}" is not a version this store understands (expected x.y.z).`,
    );
  }
  if (compareVersions(theirs, ours) > 0) {
    return new AppError(
      "unprocessable",
      "app_version",
      `This instance runs Liftoff ${input.appVersion}, newer than the cloud (${supported.appVersion}); the cloud cannot restore it yet.`,
    );
  }
  if (!supported.schemaMigrationIds.includes(input.schemaMigrationId)) {
    return new AppError(
      "unprocessable",
      "schema_version",
      `The database schema "${input.schemaMigrationId}" is unknown to the cloud, so it cannot restore it.`,
    );
  }
  return null;
}

/** Refuses, before anything is uploaded, a dump the store could not restore. */
export function assertRestorable(
  input: { appVersion: string; schemaMigrationId: string },
  supported: RestorableVersions,
): void {
  const refusal = restorableRefusal(input, supported);
  if (refusal) throw refusal;
}
