import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { getDb } from "@/lib/runtime";
import { getCard, listCollections, listDataSourceChoices } from "@/db/queries/content";
import { ActionForm } from "@/app/_components/action-form";
import { Badge, formatTime, PageHeader, Panel } from "@/app/_components/ui";
import { requireActor } from "@/app/_lib/session";
import { recordCardView } from "@/lib/content";
import { updateCardAction } from "../actions";
import { CardFields } from "../card-fields";

export const metadata: Metadata = { title: "Question" };

export default async function CardPage({ params }: { params: Promise<{ id: string }> }) {
  const actor = await requireActor();
  const id = Number((await params).id);
  if (!Number.isSafeInteger(id) || id <= 0) notFound();
  const db = await getDb();
  const card = await getCard(db, id);
  if (!card) notFound();
  const [collections, dataSources] = await Promise.all([
    listCollections(db),
    listDataSourceChoices(db),
    recordCardView(db, actor, id),
  ]);
  return (
    <>
      <PageHeader title={card.name}>
        <Badge>{card.display}</Badge>
        {card.archived && <Badge>archived</Badge>}
      </PageHeader>
      <p className="mb-4 text-sm text-slate-500">
        Created by {card.creatorName ?? "a deleted user"} · last used {formatTime(card.lastUsedAt)}
      </p>
      <Panel title="Query">
        <pre
          className="overflow-x-auto rounded bg-slate-900 p-4 text-xs text-slate-100"
          data-testid="card-query"
        >
          {JSON.stringify(card.query, null, 2)}
        </pre>
      </Panel>
      <Panel title="Edit question">
        <ActionForm
          action={updateCardAction}
          submitLabel="Save"
          successMessage="Saved."
          testId="edit-card"
        >
          <input type="hidden" name="id" value={card.id} />
          <CardFields collections={collections} dataSources={dataSources} value={card} />
        </ActionForm>
      </Panel>
    </>
  );
}
