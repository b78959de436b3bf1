import Link from "next/link";
import { Badge, formatTime } from "@/app/_components/ui";
import { migrationContext } from "@/app/_lib/migration-context";
import {
  estimateCopySeconds,
  isTerminal,
  movedTo,
  preflightPasses,
  recentMigrations,
  runPreflight,
  stateLabels,
  toView,
  type PreflightCheck,
} from "@/lib/migration";
import { DownloadDump } from "./download-dump";
import { formatDuration } from "./format";
import { ResumeEditing } from "./resume-editing";
import { StartMigration } from "./start-migration";

const checkIcon: Record<PreflightCheck["status"], string> = { pass: "✓", warn: "!", fail: "✗" };
const checkColor: Record<PreflightCheck["status"], string> = {
  pass: "text-green-700",
  warn: "text-amber-700",
  fail: "text-red-700",
};

/** Settings → Migrate to Cloud: checks and start, or the live progress, and the history. */
export async function MigrateToCloud() {
  const context = await migrationContext();
  const migrations = await recentMigrations(context.handle.db, 10);
  const active = migrations.find((m) => !isTerminal(m.state));
  const last = migrations[0];
  const checks = active ? [] : await runPreflight(context);
  const estimate = formatDuration(await estimateCopySeconds(context));
  const moved = active ? null : await movedTo(context);
  return (
    <div data-testid="migrate-to-cloud">
      <StartMigration
        active={active ? toView(active) : null}
        latestId={last?.id ?? null}
        canStart={preflightPasses(checks)}
        copyEstimate={estimate}
      >
        <p className="text-sm text-slate-600">
          Copies this whole instance — collections, questions, dashboards, users, settings — to
          Liftoff Cloud while everyone keeps working (about {estimate} here). At the end the
          instance is read-only for a few seconds while the last changes are copied and the cloud
          checks every table against this one; reads and sign-in keep working throughout, and you
          can cancel at any time.
        </p>
        {last?.state === "done" && (
          <div
            className="mt-3 rounded bg-green-50 p-3 text-sm text-green-900"
            data-testid="migration-done"
          >
            Migrated on {formatTime(last.finishedAt)} to{" "}
            {last.cloudUrl ? (
              <a className="underline" href={last.cloudUrl}>
                the cloud copy
              </a>
            ) : (
              "the cloud"
            )}
            .{" "}
            {moved
              ? "This instance stays read-only so that the copy is the whole truth."
              : "Changes made here since then are not copied."}
            {last.restoredTables && (
              <ul
                className="mt-2 grid grid-cols-2 gap-x-6 font-mono text-xs md:grid-cols-3"
                data-testid="restored-tables"
              >
                {Object.entries(last.restoredTables).map(([table, rows]) => (
                  <li key={table}>
                    {table}: {rows}
                  </li>
                ))}
              </ul>
            )}
            {moved && <ResumeEditing />}
          </div>
        )}
        {last?.state === "error" && (
          <div
            role="alert"
            className="mt-3 rounded bg-red-50 p-3 text-sm text-red-900"
            data-testid="migration-error"
          >
            The last migration failed on {formatTime(last.finishedAt)}: {last.error}
          </div>
        )}
        <ul className="my-4 space-y-2 text-sm" data-testid="preflight">
          {checks.map((check) => (
            <li key={check.id} data-status={check.status} className="flex gap-2">
              <span className={`w-4 font-bold ${checkColor[check.status]}`}>
                {checkIcon[check.status]}
              </span>
              <span>
                <span className="font-medium">{check.title}</span>
                <span className="block text-slate-600">{check.detail}</span>
              </span>
            </li>
          ))}
        </ul>
        {last?.state === "error" && (
          <p className="mb-2 text-sm text-slate-600">Fix what it says, then try again.</p>
        )}
      </StartMigration>
      <div className="mt-4 flex items-start gap-3 border-t border-slate-100 pt-4">
        <DownloadDump keyConfigured={context.secretKey !== null} />
        <span className="text-xs text-slate-500">
          Or take the archive yourself: a tar of schema, per-table data and checksums that{" "}
          <code>npm run load</code> or <code>psql</code> restores. The session-signing secret never
          leaves: the copy makes its own.
        </span>
      </div>
      {migrations.length > 0 && (
        <table className="mt-4 w-full text-left text-sm" data-testid="migration-history">
          <thead className="text-slate-500">
            <tr>
              <th className="py-2">#</th>
              <th>Started</th>
              <th>State</th>
              <th>Read-only for</th>
            </tr>
          </thead>
          <tbody>
            {migrations.map((m) => (
              <tr key={m.id} className="border-t border-slate-100">
                <td className="py-2">{m.id}</td>
                <td>{formatTime(m.createdAt)}</td>
                <td>
                  {stateLabels[m.state]} <Badge>{m.progress}%</Badge>
                </td>
                <td>
                  {m.readOnlyFrom && m.readOnlyUntil
                    ? formatDuration((m.readOnlyUntil.getTime() - m.readOnlyFrom.getTime()) / 1000)
                    : "—"}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p className="mt-3 text-xs text-slate-500">
        The cloud store is at <Link href={context.storeUrl}>{context.storeUrl}</Link>.
      </p>
    </div>
  );
}
