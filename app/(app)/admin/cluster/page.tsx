import type { Metadata } from "next";
import { Badge, formatTime, PageHeader, Panel } from "@/app/_components/ui";
import { requireAdmin } from "@/app/_lib/session";
import { listJobs, listNodes } from "@/lib/cluster/overview";
import { readOnlyStatus } from "@/lib/read-only";
import { getDb } from "@/lib/runtime";
import { isSchedulerPaused, nodeStaleAfterSeconds } from "@/lib/scheduler";

export const metadata: Metadata = { title: "Cluster" };

const yesNo = (value: boolean) => (value ? "yes" : "no");

export default async function ClusterPage() {
  const actor = await requireAdmin();
  const db = await getDb();
  const [nodes, jobs, readOnly, paused] = await Promise.all([
    listNodes(db, actor, { staleAfterSeconds: nodeStaleAfterSeconds }),
    listJobs(db, actor),
    readOnlyStatus(db),
    isSchedulerPaused(db),
  ]);
  return (
    <>
      <PageHeader title="Cluster" />
      <p className="mb-4 text-sm text-slate-600">
        Read-only mode: <strong>{readOnly.enabled ? "on" : "off"}</strong> · Scheduler:{" "}
        <strong>{paused ? "paused" : "running"}</strong>. Each node reports what it sees every few
        seconds.
      </p>
      <Panel title="Nodes">
        <table className="w-full text-left text-sm" data-testid="node-list">
          <thead className="text-slate-500">
            <tr>
              <th className="py-2">Node</th>
              <th>Version</th>
              <th>Started</th>
              <th>Last seen</th>
              <th>Sees read-only</th>
              <th>Sees scheduler paused</th>
              <th>Running jobs</th>
            </tr>
          </thead>
          <tbody>
            {nodes.map((node) => (
              <tr key={node.id} className="border-t border-slate-100">
                <td className="py-2 font-mono text-xs">
                  {node.id}
                  {node.gone && <Badge>gone</Badge>}
                </td>
                <td>{node.appVersion}</td>
                <td>{formatTime(node.startedAt)}</td>
                <td>{formatTime(node.lastSeenAt)}</td>
                <td>{yesNo(node.readOnly)}</td>
                <td>{yesNo(node.schedulerPaused)}</td>
                <td>{node.runningJobs}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Panel>
      <Panel title="Background jobs">
        <table className="w-full text-left text-sm" data-testid="job-list">
          <thead className="text-slate-500">
            <tr>
              <th className="py-2">Job</th>
              <th>Every</th>
              <th>Last run</th>
              <th>Next run</th>
              <th>Runs / failures</th>
              <th>Last error</th>
            </tr>
          </thead>
          <tbody>
            {jobs.map((job) => (
              <tr key={job.name} className="border-t border-slate-100">
                <td className="py-2 font-mono text-xs">
                  {job.name}
                  {job.runningNode && <Badge>running</Badge>}
                </td>
                <td>
                  {job.intervalSeconds >= 3600
                    ? `${job.intervalSeconds / 3600} h`
                    : `${job.intervalSeconds / 60} min`}
                </td>
                <td>{formatTime(job.lastFinishedAt)}</td>
                <td>{paused ? "paused" : formatTime(job.nextRunAt)}</td>
                <td>
                  {job.runCount} / {job.failureCount}
                </td>
                <td className="max-w-xs truncate text-xs text-red-700">{job.lastError ?? ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Panel>
    </>
  );
}
