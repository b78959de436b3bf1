import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { getDb } from "@/lib/runtime";
import { getCollection, listCollections } from "@/db/queries/content";
import { ActionForm } from "@/app/_components/action-form";
import { LinkList, PageHeader, Panel } from "@/app/_components/ui";
import { requireActor } from "@/app/_lib/session";
import { updateCollectionAction } from "../actions";
import { CollectionFields } from "../collection-fields";

export const metadata: Metadata = { title: "Collection" };

export default async function CollectionPage({ params }: { params: Promise<{ id: string }> }) {
  await requireActor();
  const id = Number((await params).id);
  if (!Number.isSafeInteger(id) || id <= 0) notFound();
  const db = await getDb();
  const [collection, all] = await Promise.all([getCollection(db, id), listCollections(db)]);
  if (!collection) notFound();
  const parent = all.find((c) => c.id === collection.parentId);
  return (
    <>
      <PageHeader title={collection.name}>
        {parent && (
          <Link
            href={`/collections/${parent.id}`}
            className="text-sm text-indigo-700 hover:underline"
          >
            ↑ {parent.name}
          </Link>
        )}
      </PageHeader>
      {collection.description && <p className="mb-6 text-slate-600">{collection.description}</p>}
      <div className="grid gap-6 md:grid-cols-3">
        <Panel title="Sub-collections">
          <LinkList
            items={collection.children.map((c) => ({
              href: `/collections/${c.id}`,
              label: c.name,
            }))}
            empty="None."
          />
        </Panel>
        <Panel title="Questions">
          <LinkList
            testId="collection-cards"
            items={collection.cards.map((c) => ({
              href: `/cards/${c.id}`,
              label: c.name,
              note: c.display,
            }))}
            empty="None."
          />
        </Panel>
        <Panel title="Dashboards">
          <LinkList
            items={collection.dashboards.map((d) => ({
              href: `/dashboards/${d.id}`,
              label: d.name,
            }))}
            empty="None."
          />
        </Panel>
      </div>
      <Panel title="Edit collection">
        <ActionForm action={updateCollectionAction} submitLabel="Save" successMessage="Saved.">
          <input type="hidden" name="id" value={collection.id} />
          <CollectionFields collections={all} value={collection} />
        </ActionForm>
      </Panel>
    </>
  );
}
