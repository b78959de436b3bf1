import type { Metadata } from "next";
import { getDb } from "@/lib/runtime";
import { listCollections, listDashboards } from "@/db/queries/content";
import { ActionForm } from "@/app/_components/action-form";
import { Field, LinkList, PageHeader, Panel } from "@/app/_components/ui";
import { requireActor } from "@/app/_lib/session";
import { CollectionSelect } from "../_components/collection-select";
import { createDashboardAction } from "./actions";

export const metadata: Metadata = { title: "Dashboards" };

export default async function DashboardsPage() {
  await requireActor();
  const db = await getDb();
  const [dashboards, collections] = await Promise.all([listDashboards(db), listCollections(db)]);
  return (
    <>
      <PageHeader title="Dashboards" />
      <div className="grid gap-6 md:grid-cols-2">
        <Panel title="All dashboards">
          <LinkList
            testId="dashboard-list"
            items={dashboards.map((d) => ({
              href: `/dashboards/${d.id}`,
              label: d.name,
              note: `${d.cardCount} cards`,
            }))}
            empty="No dashboards yet."
          />
        </Panel>
        <Panel title="New dashboard">
          <ActionForm
            action={createDashboardAction}
            submitLabel="Create dashboard"
            testId="new-dashboard"
          >
            <Field label="Name">
              <input name="name" required maxLength={200} />
            </Field>
            <Field label="Description">
              <textarea name="description" rows={2} />
            </Field>
            <Field label="Collection">
              <CollectionSelect name="collectionId" collections={collections} />
            </Field>
          </ActionForm>
        </Panel>
      </div>
    </>
  );
}
