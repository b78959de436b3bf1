import type { TextQuery } from "../catalog";
import { exportableRows } from "../instance-only";
import { comparableColumn } from "../secrets";
import { qualified, quoteLiteral } from "../tables";

/**
 * What a digest covers in one table: the columns that cannot change while
 * read-only mode is on (an exempt column such as `last_used_at` may move
 * between the source's digest and the copy's), and the rows that cannot
 * either (`exclude`: rows whose column holds one of these keys). The
 * migration derives these from the read-only guard's plan; the manifest
 * carries them, and the store builds its query from them (never from SQL
 * text it was sent).
 */
export interface DigestSpec {
  table: string;
  columns: string[];
  exclude?: { column: string; keys: string[] };
}

/** A digest with what it covers, as a final delta's manifest lists it. */
export interface TableDigest extends DigestSpec {
  digest: string;
}

/**
 * Per-table digests: the row count and the sum of a 64-bit hash of each row
 * (`hash_record_extended`: each column's own hash function, the one hash
 * partitioning relies on, so no value is printed as text — twice as fast as
 * hashing the row's text, and the digest is the read-only window's largest
 * cost), so that the order rows come in does not matter and no table is held
 * in memory. `sum` over bigint is exact (it returns numeric) and adds in
 * 128-bit integers where it can: casting each hash to numeric first cost the
 * query 15 %. Equal rows hash alike on either engine; secrets are left out
 * (comparableColumn). A digest proves the two tables hold the
 * same rows up to a 64-bit hash collision in a sum, which a copy does not
 * produce by accident.
 */
export async function tableDigests(
  queries: TextQuery | TextQuery[],
  specs: DigestSpec[],
): Promise<TableDigest[]> {
  const work = new DigestWork(specs);
  await Promise.all((Array.isArray(queries) ? queries : [queries]).map((q) => work.run(q)));
  return work.results();
}

/**
 * The digests of `specs`, shared out among connections as they come free:
 * the read-only window waits for the last one. (PostgreSQL scans a large
 * table with parallel workers of its own; cutting tables into `ctid` ranges
 * measured no faster on 2 cores.) `own` tables are digested only by the lane
 * that may (a transaction digesting its own uncommitted changes), and by it
 * first; then it helps with the rest.
 */
export class DigestWork {
  private readonly shared: Job[];
  private readonly own: Job[];
  private readonly found = new Map<string, TableDigest>();
  private readonly counted = new Map<string, number>();

  /** `counts`: tables only counted (no digest covers all their rows), in the same lanes. */
  constructor(
    private readonly specs: DigestSpec[],
    own: ReadonlySet<string> = new Set(),
    private readonly counts: string[] = [],
  ) {
    const jobs: Job[] = [
      ...specs.filter((spec) => spec.columns.length > 0).map((spec) => ({ spec })),
      ...counts.map((table) => ({ count: table })),
    ];
    const tableOf = (job: Job) => ("spec" in job ? job.spec.table : job.count);
    this.shared = jobs.filter((job) => !own.has(tableOf(job)));
    this.own = jobs.filter((job) => own.has(tableOf(job)));
  }

  /** Takes jobs on `query` until none is left (`own`: this lane may take the own tables). */
  async run(query: TextQuery, { own = false } = {}): Promise<void> {
    for (;;) {
      const job = (own ? this.own.shift() : undefined) ?? this.shared.shift();
      if (!job) return;
      if ("spec" in job) {
        this.found.set(job.spec.table, await digestOf(query, job.spec));
      } else {
        const [row] = await query(`select count(*)::text from ${qualified(job.count)}`);
        this.counted.set(job.count, Number(row![0]));
      }
    }
  }

  /** Leaves what is not begun undone: the lanes finish their current job and return. */
  stop(): void {
    this.shared.length = 0;
    this.own.length = 0;
  }

  /** Every digest, in the order of the specs; throws when one was left undone. */
  results(): TableDigest[] {
    return this.specs.flatMap((spec) => {
      if (spec.columns.length === 0) return [];
      const digest = this.found.get(spec.table);
      if (!digest) throw new Error(`the digest of ${spec.table} was not taken`);
      return [digest];
    });
  }

  /** The row count of each table counted. */
  rowCounts(): Record<string, number> {
    return Object.fromEntries(
      this.counts.map((table) => {
        const count = this.counted.get(table);
        if (count === undefined) throw new Error(`the rows of ${table} were not counted`);
        return [table, count];
      }),
    );
  }
}

type Job = { spec: DigestSpec } | { count: string };

async function digestOf(query: TextQuery, spec: DigestSpec): Promise<TableDigest> {
  const values = spec.columns.map((c) => comparableColumn(spec.table, c)).join(", ");
  const excluded = spec.exclude ? rowsOutside(spec.exclude.column, spec.exclude.keys) : null;
  const conditions = [exportableRows(spec.table), excluded].filter(Boolean);
  const where = conditions.length ? ` where ${conditions.join(" and ")}` : "";
  const [row] = await query(
    `select count(*)::text, coalesce(sum(hash_record_extended(row(${values}), 0)), 0)::text from ${qualified(spec.table)}${where}`,
  );
  return { ...spec, digest: `${row![0]}:${row![1]}` };
}

/** The condition for rows whose `column` is not one of `keys`. */
export function rowsOutside(column: string, keys: readonly string[]): string {
  if (keys.length === 0) return "true";
  return `"${column.replace(/"/g, '""')}" not in (${keys.map(quoteLiteral).join(", ")})`;
}

/** Tables whose digests differ, as a sentence; null when all match. */
export function digestMismatch(expected: TableDigest[], actual: TableDigest[]): string | null {
  const found = new Map(actual.map((d) => [d.table, d.digest]));
  const differ = expected.filter((d) => found.get(d.table) !== d.digest);
  if (differ.length === 0) return null;
  const rows = (digest: string | undefined) => digest?.split(":")[0] ?? "no";
  const counts = differ
    .slice(0, 5)
    .map(
      (d) => `${d.table} (source ${rows(d.digest)} rows, copy ${rows(found.get(d.table))} rows)`,
    );
  return `The copy does not match the source in ${differ.length} table${differ.length > 1 ? "s" : ""}: ${counts.join(", ")}${differ.length > 5 ? ", …" : ""}.`;
}
