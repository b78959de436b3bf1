import type { Metadata } from "next";
import { getDb } from "@/lib/runtime";
import { listCollections } from "@/db/queries/content";
import { ActionForm } from "@/app/_components/action-form";
import { LinkList, PageHeader, Panel } from "@/app/_components/ui";
import { requireActor } from "@/app/_lib/session";
import { createCollectionAction } from "./actions";
import { CollectionFields } from "./collection-fields";

export const metadata: Metadata = { title: "Collections" };

export default async function CollectionsPage() {
  await requireActor();
  const collections = await listCollections(await getDb());
  const roots = collections.filter((c) => c.parentId === null);
  return (
    <>
      <PageHeader title="Collections" />
      <div className="grid gap-6 md:grid-cols-2">
        <Panel title="Top-level collections">
          <LinkList
            testId="collection-list"
            items={roots.map((c) => ({
              href: `/collections/${c.id}`,
              label: c.name,
              note: c.archived ? "archived" : undefined,
            }))}
            empty="No collections yet: create the first one."
          />
        </Panel>
        <Panel title="New collection">
          <ActionForm
            action={createCollectionAction}
            submitLabel="Create collection"
            testId="new-collection"
          >
            <CollectionFields collections={collections} />
          </ActionForm>
        </Panel>
      </div>
    </>
  );
}
