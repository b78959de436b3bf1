import { getDb } from "@/lib/runtime";
import { listCards, listDashboards, listRootCollections } from "@/db/queries/content";
import { LinkList, PageHeader, Panel } from "@/app/_components/ui";
import { requireActor } from "@/app/_lib/session";

export default async function HomePage() {
  const actor = await requireActor();
  const db = await getDb();
  const [collections, cards, dashboards] = await Promise.all([
    listRootCollections(db),
    listCards(db),
    listDashboards(db),
  ]);
  const top = <T extends { id: number; name: string }>(rows: T[], path: string) =>
    rows.slice(0, 10).map((row) => ({ href: `/${path}/${row.id}`, label: row.name }));
  return (
    <>
      <PageHeader title={`Hello, ${actor.name}`} />
      <div className="grid gap-6 md:grid-cols-3">
        <Panel title="Collections">
          <LinkList items={top(collections, "collections")} empty="No collections yet." />
        </Panel>
        <Panel title="Recent questions">
          <LinkList items={top(cards, "cards")} empty="No questions yet." />
        </Panel>
        <Panel title="Dashboards">
          <LinkList items={top(dashboards, "dashboards")} empty="No dashboards yet." />
        </Panel>
      </div>
    </>
  );
}
