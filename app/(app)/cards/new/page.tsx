import type { Metadata } from "next";
import { getDb } from "@/lib/runtime";
import { listCollections, listDataSourceChoices } from "@/db/queries/content";
import { ActionForm } from "@/app/_components/action-form";
import { PageHeader, Panel } from "@/app/_components/ui";
import { requireActor } from "@/app/_lib/session";
import { createCardAction } from "../actions";
import { CardFields } from "../card-fields";

export const metadata: Metadata = { title: "New question" };

export default async function NewCardPage() {
  await requireActor();
  const db = await getDb();
  const [collections, dataSources] = await Promise.all([
    listCollections(db),
    listDataSourceChoices(db),
  ]);
  return (
    <>
      <PageHeader title="New question" />
      <Panel>
        <ActionForm action={createCardAction} submitLabel="Save question" testId="new-card">
          <CardFields collections={collections} dataSources={dataSources} />
        </ActionForm>
      </Panel>
    </>
  );
}
