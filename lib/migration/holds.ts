/**
 * Who holds read-only mode (and the scheduler's pause), as the `source` the
 * mode records. A migration holds it as `migration:<id>` while it runs; once
 * done with a cut-over that keeps this instance read-only, as `moved:<id>`,
 * which nothing that ends a migration lifts, only "Resume editing here".
 */
export const migrationSource = (id: number) => `migration:${id}` as const;
export const movedSource = (id: number) => `moved:${id}` as const;

/** The migration named by a hold, and which kind of hold it is. */
export function holdOf(source: string | null): { kind: "migration" | "moved"; id: number } | null {
  const match = /^(migration|moved):(\d+)$/.exec(source ?? "");
  return match ? { kind: match[1] as "migration" | "moved", id: Number(match[2]) } : null;
}
