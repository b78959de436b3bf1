import { cardDisplays } from "@/db/schema";
import type { CollectionSummary } from "@/db/queries/content";
import { Field } from "@/app/_components/ui";
import { CollectionSelect } from "../_components/collection-select";

export interface CardFormValue {
  name: string;
  description: string | null;
  collectionId: number | null;
  dataSourceId: number | null;
  display: string;
  query: unknown;
  visualizationSettings: unknown;
  archived: boolean;
}

const exampleQuery = {
  source: "orders",
  filter: [">", "created_at", "2024-01-01"],
  aggregate: [["count"]],
};

export function CardFields({
  collections,
  dataSources,
  value,
}: {
  collections: CollectionSummary[];
  dataSources: { id: number; name: string }[];
  value?: CardFormValue;
}) {
  return (
    <>
      <Field label="Name">
        <input name="name" required maxLength={200} defaultValue={value?.name} />
      </Field>
      <Field label="Description">
        <textarea name="description" rows={2} defaultValue={value?.description ?? ""} />
      </Field>
      <div className="grid gap-4 md:grid-cols-3">
        <Field label="Collection">
          <CollectionSelect
            name="collectionId"
            collections={collections}
            defaultValue={value?.collectionId}
          />
        </Field>
        <Field label="Data source">
          <select name="dataSourceId" defaultValue={value?.dataSourceId ?? ""}>
            <option value="">— none —</option>
            {dataSources.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Display">
          <select name="display" defaultValue={value?.display ?? "table"}>
            {cardDisplays.map((d) => (
              <option key={d} value={d}>
                {d}
              </option>
            ))}
          </select>
        </Field>
      </div>
      <Field label="Query (JSON)">
        <textarea
          name="query"
          rows={6}
          required
          defaultValue={JSON.stringify(value?.query ?? exampleQuery, null, 2)}
        />
      </Field>
      <Field label="Visualization settings (JSON)">
        <textarea
          name="visualizationSettings"
          rows={3}
          defaultValue={JSON.stringify(value?.visualizationSettings ?? {}, null, 2)}
        />
      </Field>
      {value && (
        <label className="mb-3 flex items-center gap-2">
          <input type="checkbox" name="archived" defaultChecked={value.archived} /> Archived
        </label>
      )}
    </>
  );
}
