import type { Metadata } from "next";
import { ActionForm } from "@/app/_components/action-form";
import { Badge, formatTime, PageHeader, Panel } from "@/app/_components/ui";
import { requireAdmin } from "@/app/_lib/session";
import { listNodes } from "@/lib/cluster/overview";
import { readOnlyStatus } from "@/lib/read-only";
import { getDb, localNode } from "@/lib/runtime";
import { isSchedulerPaused, jobOverview, nodeStaleAfterSeconds } from "@/lib/scheduler";
import { runJobNowAction } from "./actions";

export const metadata: Metadata = { title: "Cluster" };

const yesNo = (value: boolean) => (value ? "yes" : "no");

function formatDuration(ms: number | null): string {
  if (ms === null) return "";
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

export default async function ClusterPage() {
  const actor = await requireAdmin();
  const db = await getDb();
  const scheduler = localNode().scheduler;
  const [nodes, jobs, readOnly, paused] = await Promise.all([
    listNodes(db, actor, { staleAfterSeconds: nodeStaleAfterSeconds }),
    jobOverview(db, actor, (cron, timezone) => scheduler.nextOccurrence(cron, timezone)),
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
        <p className="mb-2 text-xs text-slate-500">
          Jobs run on pg-boss: the state, retries and errors below are its own record.
        </p>
        <table className="w-full text-left text-sm" data-testid="job-list">
          <thead className="text-slate-500">
            <tr>
              <th className="py-2">Job</th>
              <th>Schedule (UTC)</th>
              <th>State</th>
              <th>Last run</th>
              <th>Duration</th>
              <th>Next run</th>
              <th>Retries</th>
              <th>Last error</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {jobs.map((job) => (
              <tr
                key={job.name}
                className="border-t border-slate-100"
                data-testid={`job-${job.name}`}
              >
                <td className="py-2 font-mono text-xs">{job.name}</td>
                <td className="font-mono text-xs">{job.cron ?? ""}</td>
                <td>{job.state ? <Badge>{job.state}</Badge> : "never run"}</td>
                <td>{formatTime(job.lastFinishedAt)}</td>
                <td>{formatDuration(job.lastDurationMs)}</td>
                <td>{paused ? "paused" : formatTime(job.nextRunAt)}</td>
                <td>{job.retryLimit === null ? "" : `${job.retryCount} / ${job.retryLimit}`}</td>
                <td className="max-w-xs truncate text-xs text-red-700" title={job.lastError ?? ""}>
                  {job.lastError ?? ""}
                </td>
                <td>
                  <ActionForm
                    action={runJobNowAction}
                    submitLabel="Run now"
                    testId={`run-now-${job.name}`}
                    successMessage="Queued."
                  >
                    <input type="hidden" name="name" value={job.name} />
                  </ActionForm>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Panel>
    </>
  );
}
