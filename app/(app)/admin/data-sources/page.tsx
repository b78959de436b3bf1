import type { Metadata } from "next";
import Link from "next/link";
import { getDb } from "@/lib/runtime";
import { listDataSourcesForAdmin } from "@/lib/data-sources/views";
import { ActionForm } from "@/app/_components/action-form";
import { Empty, PageHeader, Panel } from "@/app/_components/ui";
import { requireAdmin } from "@/app/_lib/session";
import { createDataSourceAction } from "./actions";
import { DataSourceFields } from "./data-source-fields";

export const metadata: Metadata = { title: "Data sources" };

export default async function DataSourcesPage() {
  const actor = await requireAdmin();
  const sources = await listDataSourcesForAdmin(await getDb(), actor);
  return (
    <>
      <PageHeader title="Data sources" />
      <p className="mb-4 text-sm text-slate-600">
        Liftoff stores these connections for its questions; it does not connect to them from here.
      </p>
      <Panel>
        {sources.length === 0 ? (
          <Empty>No data sources yet.</Empty>
        ) : (
          <table className="w-full text-left text-sm" data-testid="data-source-list">
            <thead className="text-slate-500">
              <tr>
                <th className="py-2">Name</th>
                <th>Engine</th>
                <th>Host</th>
                <th>Database</th>
              </tr>
            </thead>
            <tbody>
              {sources.map((s) => (
                <tr key={s.id} className="border-t border-slate-100">
                  <td className="py-2">
                    <Link
                      href={`/admin/data-sources/${s.id}`}
                      className="text-indigo-700 hover:underline"
                    >
                      {s.name}
                    </Link>
                  </td>
                  <td>{s.engine}</td>
                  <td>{s.host}</td>
                  <td>{s.database}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Panel>
      <Panel title="Add a data source">
        <ActionForm
          action={createDataSourceAction}
          submitLabel="Add data source"
          testId="new-data-source"
        >
          <DataSourceFields />
        </ActionForm>
      </Panel>
    </>
  );
}
