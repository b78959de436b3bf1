import type { CollectionSummary } from "@/db/queries/content";

/** Orders collections as a tree so the select shows nesting by indentation. */
function asTree(collections: CollectionSummary[]): { id: number; label: string }[] {
  const byParent = new Map<number | null, CollectionSummary[]>();
  for (const c of collections) {
    const siblings = byParent.get(c.parentId) ?? [];
    siblings.push(c);
    byParent.set(c.parentId, siblings);
  }
  const out: { id: number; label: string }[] = [];
  const visit = (parentId: number | null, depth: number) => {
    for (const c of byParent.get(parentId) ?? []) {
      out.push({
        id: c.id,
        label: `${"\u00a0\u00a0".repeat(depth)}${c.name}${c.archived ? " (archived)" : ""}`,
      });
      visit(c.id, depth + 1);
    }
  };
  visit(null, 0);
  return out;
}

export function CollectionSelect({
  name,
  collections,
  defaultValue,
  noneLabel = "— none —",
  exclude,
}: {
  name: string;
  collections: CollectionSummary[];
  defaultValue?: number | null;
  noneLabel?: string;
  exclude?: number;
}) {
  return (
    <select name={name} defaultValue={defaultValue ?? ""}>
      <option value="">{noneLabel}</option>
      {asTree(collections)
        .filter((c) => c.id !== exclude)
        .map((c) => (
          <option key={c.id} value={c.id}>
            {c.label}
          </option>
        ))}
    </select>
  );
}
