import type { CollectionSummary } from "@/db/queries/content";
import { Field } from "@/app/_components/ui";
import { CollectionSelect } from "../_components/collection-select";

export function CollectionFields({
  collections,
  value,
}: {
  collections: CollectionSummary[];
  value?: {
    id: number;
    name: string;
    description: string | null;
    parentId: number | null;
    archived: boolean;
  };
}) {
  return (
    <>
      <Field label="Name">
        <input name="name" required maxLength={200} defaultValue={value?.name} />
      </Field>
      <Field label="Description">
        <textarea name="description" rows={2} defaultValue={value?.description ?? ""} />
      </Field>
      <Field label="Inside collection">
        <CollectionSelect
          name="parentId"
          collections={collections}
          defaultValue={value?.parentId}
          noneLabel="— top level —"
          exclude={value?.id}
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
