import type { Metadata } from "next";
import { getDb } from "@/lib/runtime";
import { listAuditLog } from "@/lib/audit/views";
import { formatTime, PageHeader, Panel } from "@/app/_components/ui";
import { requireAdmin } from "@/app/_lib/session";

export const metadata: Metadata = { title: "Audit log" };

export default async function AuditPage() {
  const actor = await requireAdmin();
  const entries = await listAuditLog(await getDb(), actor);
  return (
    <>
      <PageHeader title="Audit log" />
      <Panel>
        <table className="w-full text-left text-sm" data-testid="audit-list">
          <thead className="text-slate-500">
            <tr>
              <th className="py-2">When</th>
              <th>Who</th>
              <th>Action</th>
              <th>Target</th>
              <th>Details</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((e) => (
              <tr key={e.id} className="border-t border-slate-100 align-top">
                <td className="py-2 whitespace-nowrap">{formatTime(e.createdAt)}</td>
                <td>{e.actorEmail ?? "—"}</td>
                <td className="font-mono text-xs">{e.action}</td>
                <td>{e.targetType ? `${e.targetType} ${e.targetId ?? ""}` : "—"}</td>
                <td className="max-w-md truncate font-mono text-xs">{JSON.stringify(e.details)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Panel>
    </>
  );
}
