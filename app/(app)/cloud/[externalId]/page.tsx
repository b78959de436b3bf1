import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { PageHeader, Panel } from "@/app/_components/ui";
import { migrationContext } from "@/app/_lib/migration-context";
import { requireAdmin } from "@/app/_lib/session";
import { cloudCopyOf } from "@/lib/migration";
import { cloudStateLabel } from "@/lib/migration/cloud-verdict";
import { externalIdPattern } from "@/lib/store-contract";

export const metadata: Metadata = { title: "Cloud copy" };

/**
 * Where "Migrate to Cloud" links when done: what the cloud holds of one of
 * this instance's migrations, asked of the store with the migration's token
 * (the store is a server of its own). Admins only.
 */
export default async function CloudCopyPage({
  params,
}: {
  params: Promise<{ externalId: string }>;
}) {
  const actor = await requireAdmin();
  const { externalId } = await params;
  if (!externalIdPattern.test(externalId)) notFound();
  const copy = await cloudCopyOf(await migrationContext(), actor, externalId);
  if (!copy) notFound();
  return (
    <>
      <PageHeader title={`Cloud copy ${copy.externalId}`} />
      <Panel>
        <dl className="grid grid-cols-2 gap-2 text-sm" data-testid="cloud-instance">
          <dt className="text-slate-500">State in the cloud</dt>
          <dd data-state={copy.state ?? undefined}>{cloudStateLabel(copy.state)}</dd>
          <dt className="text-slate-500">Cloud store</dt>
          <dd className="font-mono text-xs">{copy.storeUrl ?? "—"}</dd>
          {copy.reason && (
            <>
              <dt className="text-slate-500">Failure</dt>
              <dd className="text-red-700">{copy.reason}</dd>
            </>
          )}
          {copy.unavailable && (
            <>
              <dt className="text-slate-500">The store could not be asked</dt>
              <dd className="text-amber-700" role="alert">
                {copy.unavailable}. What follows is this instance&apos;s own record.
              </dd>
            </>
          )}
        </dl>
      </Panel>
      {copy.tables && (
        <Panel title="Rows restored, per table">
          <ul className="grid grid-cols-2 gap-x-6 font-mono text-xs md:grid-cols-3">
            {Object.entries(copy.tables).map(([table, rows]) => (
              <li key={table}>
                {table}: {rows}
              </li>
            ))}
          </ul>
        </Panel>
      )}
    </>
  );
}
