import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { getDb } from "@/lib/runtime";
import { getDashboard, listCardChoices, listCollections } from "@/db/queries/content";
import { ActionForm } from "@/app/_components/action-form";
import { Empty, Field, PageHeader, Panel } from "@/app/_components/ui";
import { requireActor } from "@/app/_lib/session";
import { recordDashboardView } from "@/lib/content";
import { CollectionSelect } from "../../_components/collection-select";
import {
  addDashboardCardAction,
  moveDashboardCardAction,
  removeDashboardCardAction,
  updateDashboardAction,
} from "../actions";
import { PlacementFields } from "./placement-fields";

export const metadata: Metadata = { title: "Dashboard" };

export default async function DashboardPage({ params }: { params: Promise<{ id: string }> }) {
  const actor = await requireActor();
  const id = Number((await params).id);
  if (!Number.isSafeInteger(id) || id <= 0) notFound();
  const db = await getDb();
  const dashboard = await getDashboard(db, id);
  if (!dashboard) notFound();
  const [cardChoices, collections] = await Promise.all([
    listCardChoices(db),
    listCollections(db),
    recordDashboardView(db, actor, id),
  ]);
  const nextRow = dashboard.cards.reduce((max, c) => Math.max(max, c.row + c.sizeY), 0);
  return (
    <>
      <PageHeader title={dashboard.name} />
      {dashboard.description && <p className="mb-6 text-slate-600">{dashboard.description}</p>}
      <Panel title="Layout">
        {dashboard.cards.length === 0 ? (
          <Empty>No cards on this dashboard yet: add one below.</Empty>
        ) : (
          <div
            className="grid gap-2"
            style={{ gridTemplateColumns: "repeat(24, minmax(0, 1fr))", gridAutoRows: "2.5rem" }}
            data-testid="dashboard-grid"
          >
            {dashboard.cards.map((c) => (
              <div
                key={c.id}
                data-testid="dashboard-card"
                className="overflow-hidden rounded border border-indigo-200 bg-indigo-50 p-2 text-sm"
                style={{
                  gridColumn: `${c.col + 1} / span ${c.sizeX}`,
                  gridRow: `${c.row + 1} / span ${c.sizeY}`,
                }}
              >
                <Link
                  href={`/cards/${c.cardId}`}
                  className="font-medium text-indigo-800 hover:underline"
                >
                  {c.cardName}
                </Link>
                <span className="ml-1 text-xs text-slate-500">
                  {c.display} · row {c.row}, col {c.col}
                </span>
              </div>
            ))}
          </div>
        )}
      </Panel>
      <div className="grid gap-6 md:grid-cols-2">
        <Panel title="Add a card">
          {cardChoices.length === 0 ? (
            <Empty>Save a question first.</Empty>
          ) : (
            <ActionForm
              action={addDashboardCardAction}
              submitLabel="Add card"
              testId="add-dashboard-card"
            >
              <input type="hidden" name="dashboardId" value={dashboard.id} />
              <Field label="Question">
                <select name="cardId" required>
                  {cardChoices.map((c) => (
                    <option key={c.id} value={c.id}>
                      {c.name}
                    </option>
                  ))}
                </select>
              </Field>
              <PlacementFields value={{ row: nextRow, col: 0, sizeX: 12, sizeY: 4 }} />
              <div className="mb-3" />
            </ActionForm>
          )}
        </Panel>
        <Panel title="Move or remove cards">
          {dashboard.cards.length === 0 && <Empty>Nothing placed yet.</Empty>}
          <ul className="space-y-4">
            {dashboard.cards.map((c) => (
              <li
                key={c.id}
                className="rounded border border-slate-200 p-3"
                data-testid="placed-card"
              >
                <p className="mb-2 text-sm font-medium">{c.cardName}</p>
                <ActionForm action={moveDashboardCardAction} submitLabel="Move" testId="move-card">
                  <input type="hidden" name="dashboardId" value={dashboard.id} />
                  <input type="hidden" name="dashboardCardId" value={c.id} />
                  <PlacementFields value={c} />
                  <div className="mb-2" />
                </ActionForm>
                <ActionForm
                  action={removeDashboardCardAction}
                  submitLabel="Remove"
                  danger
                  className="mt-2"
                >
                  <input type="hidden" name="dashboardId" value={dashboard.id} />
                  <input type="hidden" name="dashboardCardId" value={c.id} />
                </ActionForm>
              </li>
            ))}
          </ul>
        </Panel>
      </div>
      <Panel title="Edit dashboard">
        <ActionForm action={updateDashboardAction} submitLabel="Save" successMessage="Saved.">
          <input type="hidden" name="id" value={dashboard.id} />
          <Field label="Name">
            <input name="name" required maxLength={200} defaultValue={dashboard.name} />
          </Field>
          <Field label="Description">
            <textarea name="description" rows={2} defaultValue={dashboard.description ?? ""} />
          </Field>
          <Field label="Collection">
            <CollectionSelect
              name="collectionId"
              collections={collections}
              defaultValue={dashboard.collectionId}
            />
          </Field>
          <label className="mb-3 flex items-center gap-2">
            <input type="checkbox" name="archived" defaultChecked={dashboard.archived} /> Archived
          </label>
        </ActionForm>
      </Panel>
    </>
  );
}
