import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { getDb } from "@/lib/runtime";
import { getDataSourceForEdit } from "@/lib/data-sources/views";
import { ActionForm } from "@/app/_components/action-form";
import { PageHeader, Panel } from "@/app/_components/ui";
import { requireAdmin } from "@/app/_lib/session";
import { updateDataSourceAction } from "../actions";
import { DataSourceFields } from "../data-source-fields";

export const metadata: Metadata = { title: "Data source" };

export default async function DataSourcePage({ params }: { params: Promise<{ id: string }> }) {
  const actor = await requireAdmin();
  const id = Number((await params).id);
  if (!Number.isSafeInteger(id) || id <= 0) notFound();
  const source = await getDataSourceForEdit(await getDb(), actor, id);
  if (!source) notFound();
  return (
    <>
      <PageHeader title={source.name} />
      <Panel>
        <ActionForm
          action={updateDataSourceAction}
          submitLabel="Save"
          successMessage="Saved."
          testId="edit-data-source"
        >
          <input type="hidden" name="id" value={source.id} />
          <DataSourceFields value={source} />
        </ActionForm>
      </Panel>
    </>
  );
}
