import fs from "node:fs";
import zlib from "node:zlib";
import type postgres from "postgres";
import type { DatabaseHandle } from "@/db/client";
import type { SecretKey } from "@/lib/secrets/cipher";
import type { SealingKeyPair } from "@/lib/secrets/sealed-box";
import { parseCopyRows } from "../format/copy-text";
import { ArchiveRefusal } from "../format/errors";
import { DEFAULT_MAX_TEXT_BYTES } from "../format/limits";
import type { DumpManifest, ManifestTable } from "../format/manifest";
import { indexArchive, readIndexed } from "../format/read-archive";
import { setSequenceSql } from "../format/restore-sql";
import { archiveSecretsKey, resealLoadedSecrets, secretTables } from "../load/archive-secrets";
import { withLoadTransaction, type LoadTarget } from "../load/target";
import { codeMigrations } from "../migrations";
import { stableOutputSettings } from "../catalog";
import { qualified, quoteIdent, quoteLiteral } from "../tables";
import { verifyDumpArchive } from "../verify/verify";
import { primaryKeyColumns, type KeyColumn } from "./capture";
import { digestMismatch, tableDigests, type TableDigest } from "./digest";

export interface ApplyDeltaOptions {
  /** The store's: opens the delta's secrets, sealed for its public key. */
  sealingKey?: SealingKeyPair;
  /** How the copy stores secrets (the store's cloud-copy key). */
  instanceKey?: SecretKey | null;
  maxTextBytes?: number;
}

export interface AppliedDelta {
  round: number;
  final: boolean;
  /** The snapshot the delta was read under: the next delta's `since`. */
  snapshot: string | null;
  /** Rows per table in the copy after the delta. */
  tables: Record<string, number>;
  /** A final delta's digests, matched by the copy. */
  digests: TableDigest[];
}

/** Serializes deltas on one copy: a retried request waits for the first. */
const applyLockKey = [0x4c494654, 3] as const;
/** Keys deleted per statement. */
const keysPerDelete = 1000;

/**
 * Applies a delta archive to the copy it follows, in one transaction: every
 * listed key deleted, then the delta's rows inserted, sequences moved on,
 * the delta's secrets resealed; for a final delta, the copy's digests must
 * equal the source's, or nothing is applied. Applying the same delta twice
 * gives the same copy (delete, then insert the same rows), so a retry after
 * a lost reply is safe.
 *
 * Foreign keys are not checked row by row (`session_replication_role =
 * replica`, which needs a superuser, as the store's own databases have):
 * the copy matches the source once the delta is in, not half-way, and a
 * delete of a changed parent must not cascade to its unchanged children.
 * Unique keys hold at every step: the rows left after the deletes and the
 * rows inserted all coexist in the source.
 */
export async function applyDeltaArchive(
  handle: DatabaseHandle,
  file: string,
  options: ApplyDeltaOptions = {},
): Promise<AppliedDelta> {
  const limits = { maxTextBytes: options.maxTextBytes ?? DEFAULT_MAX_TEXT_BYTES };
  const { manifest } = await verifyDumpArchive(file, codeMigrations(), limits);
  const delta = manifest.delta;
  if (!delta) {
    throw new ArchiveRefusal("not_a_delta", "The archive is a full dump, not a delta.");
  }
  const archiveKey = await archiveSecretsKey(manifest, options);
  const entries = new Map((await indexArchive(file)).map((e) => [e.name, e]));
  const fileHandle = await fs.promises.open(file, "r");
  const textOf = async (path: string, bytes: number): Promise<Buffer> => {
    const entry = entries.get(path);
    if (!entry) throw new ArchiveRefusal("damaged", `Data file ${path} is missing.`);
    // Verified above: the size is the manifest's, checked against the limits.
    return zlib.gunzipSync(await readIndexed(fileHandle, entry), { maxOutputLength: bytes + 1 });
  };
  // The tables a final delta leaves alone are digested beside its transaction,
  // on a second connection (PostgreSQL): they are as they will be, and the
  // read-only window waits for the slowest digest.
  const touched = new Set(delta.keys.filter((list) => list.rows > 0).map((list) => list.name));
  const expected = delta.final ? (delta.digests ?? []) : [];
  const beside = handle.engine === "postgres" ? expected.filter((d) => !touched.has(d.table)) : [];
  const besideDigests = beside.length
    ? digestsOutside(handle, beside)
    : Promise.resolve([] as TableDigest[]);
  besideDigests.catch(() => {});
  try {
    return await withLoadTransaction(
      handle,
      async (target) => {
        await target.query(`select pg_advisory_xact_lock(${applyLockKey[0]}, ${applyLockKey[1]})`);
        await target.exec("set local session_replication_role = replica");
        const keyColumns = await primaryKeyColumns(
          target.query,
          delta.keys.map((list) => list.name),
        );
        const brought = { settings: [] as string[], dataSources: [] as string[] };
        for (const list of delta.keys) {
          const key = keyColumns.get(list.name)!;
          if (list.columns.join() !== key.map((k) => k.name).join()) {
            throw new ArchiveRefusal(
              "malformed",
              `The delta's keys of ${list.name} are not that table's primary key.`,
            );
          }
          const keys: (string | null)[][] = [];
          for (const f of list.files) {
            keys.push(...parseCopyRows(await textOf(f.path, f.bytes), key.length));
          }
          await deleteKeys(target, list.name, key, keys);
          if (list.name === secretTables.settings) brought.settings.push(...keys.map((k) => k[0]!));
          if (list.name === secretTables.dataSources) {
            brought.dataSources.push(...keys.map((k) => k[0]!));
          }
        }
        for (const table of manifest.tables) await insertRows(target, table, textOf);
        const sequences = manifest.sequences.map(setSequenceSql);
        if (sequences.length) await target.query(sequences.join(" union all "));
        if (archiveKey) {
          await resealLoadedSecrets(
            target,
            { from: archiveKey, to: options.instanceKey ?? null },
            brought,
          );
        }
        await target.exec("set local session_replication_role = origin");
        const inside = expected.filter((d) => !beside.includes(d));
        const digests = delta.final
          ? checkDigests(expected, [
              ...(await tableDigests(target.query, inside)),
              ...(await besideDigests),
            ])
          : [];
        return {
          round: delta.round,
          final: delta.final,
          snapshot: manifest.snapshot ?? null,
          // Counting every table is a scan of the whole copy: only once, at the end.
          tables: delta.final ? await rowCounts(target, manifest, digests) : {},
          digests,
        };
      },
      { freeze: false },
    );
  } finally {
    await fileHandle.close();
  }
}

async function deleteKeys(
  target: LoadTarget,
  table: string,
  key: KeyColumn[],
  keys: (string | null)[][],
): Promise<void> {
  const columns = key.map((k) => quoteIdent(k.name)).join(", ");
  for (let i = 0; i < keys.length; i += keysPerDelete) {
    const values = keys
      .slice(i, i + keysPerDelete)
      .map((row) => `(${row.map((v, j) => `${quoteLiteral(v!)}::${key[j]!.type}`).join(", ")})`)
      .join(", ");
    await target.exec(`delete from ${qualified(table)} where (${columns}) in (values ${values})`);
  }
}

async function insertRows(
  target: LoadTarget,
  table: ManifestTable,
  textOf: (path: string, bytes: number) => Promise<Buffer>,
): Promise<void> {
  if (table.files.length === 0) return;
  async function* pieces() {
    for (const f of table.files) yield await textOf(f.path, f.bytes);
  }
  const stored = await target.copyIn(table.name, table.columns, pieces());
  if (stored !== table.rows) {
    throw new ArchiveRefusal(
      "count_mismatch",
      `The delta has ${table.rows} rows of ${table.name}, the copy stored ${stored}.`,
    );
  }
}

/** Digests on a connection of their own, as committed (see the caller). */
async function digestsOutside(
  handle: DatabaseHandle,
  specs: TableDigest[],
): Promise<TableDigest[]> {
  const digests: TableDigest[] = [];
  await (handle.raw as postgres.Sql).begin(
    "isolation level repeatable read read only",
    async (tx) => {
      await tx.unsafe(stableOutputSettings);
      const query = async (text: string) => (await tx.unsafe(text).values()) as (string | null)[][];
      digests.push(...(await tableDigests(query, specs)));
    },
  );
  return digests;
}

/** The copy's digests against the source's; a mismatch undoes the delta. */
function checkDigests(expected: TableDigest[], actual: TableDigest[]): TableDigest[] {
  const mismatch = digestMismatch(expected, actual);
  if (mismatch) {
    throw new ArchiveRefusal("digest_mismatch", `${mismatch} Nothing of the delta was applied.`);
  }
  return actual;
}

/** Row counts: a digest's where it has one (no second scan), else counted. */
async function rowCounts(
  target: LoadTarget,
  manifest: DumpManifest,
  digests: TableDigest[],
): Promise<Record<string, number>> {
  const fromDigest = new Map(
    digests.filter((d) => !d.exclude).map((d) => [d.table, Number(d.digest.split(":")[0])]),
  );
  const counts: Record<string, number> = {};
  const rest = manifest.tables.map((t) => t.name).filter((name) => !fromDigest.has(name));
  if (rest.length) {
    const rows = await target.query(
      rest
        .map((name) => `select ${quoteLiteral(name)}, count(*)::text from ${qualified(name)}`)
        .join(" union all "),
    );
    for (const [name, count] of rows) counts[name!] = Number(count);
  }
  for (const [name, count] of fromDigest) counts[name] = count;
  return counts;
}
