import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { formatTime, PageHeader, Panel } from "@/app/_components/ui";
import { requireAdmin } from "@/app/_lib/session";
import { getDb } from "@/lib/runtime";
import { getCloudInstance } from "@/lib/store/cloud-instance";
import { externalIdPattern } from "@/lib/store/token";

export const metadata: Metadata = { title: "Cloud instance" };

/**
 * The store's side of a migration, where "Migrate to Cloud" links when done:
 * what arrived, whether it verified, and what was restored. In this build the
 * store runs beside the instance, so its admins are the ones who may look.
 */
export default async function CloudInstancePage({
  params,
}: {
  params: Promise<{ externalId: string }>;
}) {
  const actor = await requireAdmin();
  const { externalId } = await params;
  if (!externalIdPattern.test(externalId)) notFound();
  const instance = await getCloudInstance(await getDb(), actor, externalId);
  if (!instance) notFound();
  return (
    <>
      <PageHeader title={`Cloud instance ${instance.externalId}`} />
      <Panel>
        <dl className="grid grid-cols-2 gap-2 text-sm" data-testid="cloud-instance">
          <dt className="text-slate-500">State</dt>
          <dd>{instance.state}</dd>
          <dt className="text-slate-500">From instance</dt>
          <dd className="font-mono text-xs">{instance.instanceId}</dd>
          <dt className="text-slate-500">Liftoff version</dt>
          <dd>{instance.appVersion}</dd>
          <dt className="text-slate-500">Restored into</dt>
          <dd className="font-mono text-xs">{instance.targetDatabase ?? "—"}</dd>
          <dt className="text-slate-500">Last change</dt>
          <dd>{formatTime(instance.updatedAt)}</dd>
          {instance.failureReason && (
            <>
              <dt className="text-slate-500">Failure</dt>
              <dd className="text-red-700">{instance.failureReason}</dd>
            </>
          )}
        </dl>
      </Panel>
      {instance.tableCounts && (
        <Panel title="Rows restored, per table">
          <ul className="grid grid-cols-2 gap-x-6 font-mono text-xs md:grid-cols-3">
            {Object.entries(instance.tableCounts).map(([table, rows]) => (
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
