import type { Metadata } from "next";
import Link from "next/link";
import { getDb } from "@/lib/runtime";
import { listCards } from "@/db/queries/content";
import { ButtonLink, Empty, formatTime, PageHeader, Panel } from "@/app/_components/ui";
import { requireActor } from "@/app/_lib/session";

export const metadata: Metadata = { title: "Questions" };

export default async function CardsPage() {
  await requireActor();
  const cards = await listCards(await getDb());
  return (
    <>
      <PageHeader title="Questions">
        <ButtonLink href="/cards/new">New question</ButtonLink>
      </PageHeader>
      <Panel>
        {cards.length === 0 ? (
          <Empty>No saved questions yet.</Empty>
        ) : (
          <table className="w-full text-left text-sm" data-testid="card-list">
            <thead className="text-slate-500">
              <tr>
                <th className="py-2">Name</th>
                <th>Display</th>
                <th>Collection</th>
                <th>Last used</th>
              </tr>
            </thead>
            <tbody>
              {cards.map((card) => (
                <tr key={card.id} className="border-t border-slate-100">
                  <td className="py-2">
                    <Link href={`/cards/${card.id}`} className="text-indigo-700 hover:underline">
                      {card.name}
                    </Link>
                  </td>
                  <td>{card.display}</td>
                  <td>{card.collectionName ?? "—"}</td>
                  <td>{formatTime(card.lastUsedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Panel>
    </>
  );
}
