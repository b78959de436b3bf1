import type { Metadata } from "next";
import { getDb } from "@/lib/runtime";
import { ActionForm } from "@/app/_components/action-form";
import { Badge, formatTime, PageHeader, Panel } from "@/app/_components/ui";
import { migrationContext } from "@/app/_lib/migration-context";
import { requireAdmin } from "@/app/_lib/session";
import { cloudKeySourceWords, cloudKeySummary } from "@/lib/migration";
import { readOnlyStatus } from "@/lib/read-only";
import { instanceSecretKey } from "@/lib/secrets/key";
import { listSettingsForDisplay, secretStorageSummary } from "@/lib/settings";
import { removeCloudKeyAction, saveCloudKeyAction, setMaintenanceModeAction } from "./actions";
import { MigrateToCloud } from "./migrate-to-cloud";

export const metadata: Metadata = { title: "Settings" };

export default async function SettingsPage() {
  const actor = await requireAdmin();
  const db = await getDb();
  const keyConfigured = instanceSecretKey() !== null;
  const context = await migrationContext();
  const [settings, secrets, readOnly, cloudKey] = await Promise.all([
    listSettingsForDisplay(db, actor),
    secretStorageSummary(db),
    readOnlyStatus(db),
    cloudKeySummary(db, context.secretKey, context.cloudKey),
  ]);
  return (
    <>
      <PageHeader title="Settings" />
      <Panel title="Migrate to Cloud">
        <MigrateToCloud />
      </Panel>
      <Panel title="Cloud migration key">
        <div data-testid="cloud-key">
          <p className="mb-3 text-sm text-slate-600" data-testid="cloud-key-status">
            {cloudKey
              ? `Key ${cloudKey.prefix}… (${cloudKeySourceWords[cloudKey.source]}). The pre-flight checks below ask the cloud store whether it still takes it.`
              : "No key: the cloud store opens migrations only for enrolled instances. Ask its operator for a migration key (npm run store -- issue-key) and paste it here."}
          </p>
          <ActionForm
            action={saveCloudKeyAction}
            submitLabel={cloudKey?.source === "settings" ? "Replace key" : "Save key"}
            testId="cloud-key-form"
            successMessage="Key saved."
            resetOnSuccess
            className="flex flex-wrap items-center gap-2"
          >
            <input
              type="password"
              name="key"
              autoComplete="off"
              placeholder="lok_…"
              aria-label="Migration key"
              className="w-96 rounded-md border border-slate-300 px-3 py-2 font-mono text-sm"
            />
          </ActionForm>
          {cloudKey?.source === "settings" && (
            <ActionForm
              action={removeCloudKeyAction}
              submitLabel="Remove key"
              testId="cloud-key-remove"
              danger
              className="mt-2"
            />
          )}
        </div>
      </Panel>
      <Panel title="Maintenance mode">
        <div data-testid="maintenance-mode">
          <p className="mb-3 text-sm text-slate-600">
            {readOnly.enabled
              ? `Read-only since ${formatTime(readOnly.changedAt)}${readOnly.reason ? ` — ${readOnly.reason}` : ""}. Every node refuses changes; sign-in and browsing keep working.`
              : "Freeze every change on every node — the database itself refuses writes — while you back up or upgrade. Sign-in and browsing keep working."}
          </p>
          <ActionForm
            action={setMaintenanceModeAction}
            submitLabel={
              readOnly.enabled ? "Switch read-only mode off" : "Switch read-only mode on"
            }
            danger={!readOnly.enabled}
            allowInReadOnly
          >
            <input type="hidden" name="enabled" value={readOnly.enabled ? "false" : "true"} />
          </ActionForm>
        </div>
      </Panel>
      <Panel title="Secrets at rest">
        {keyConfigured ? (
          <p className="text-sm text-green-800" data-testid="encryption-status">
            Encryption is on: data-source passwords and secret settings are stored with AES-256-GCM
            under LIFTOFF_ENCRYPTION_KEY.
          </p>
        ) : (
          <p
            className="rounded bg-amber-50 p-3 text-sm text-amber-900"
            data-testid="encryption-status"
          >
            LIFTOFF_ENCRYPTION_KEY is not set, so data-source passwords and secret settings are
            stored in plaintext. Make a key with <code>openssl rand -base64 32</code>, set it as
            LIFTOFF_NEW_ENCRYPTION_KEY and run <code>npm run rotate-key</code> to encrypt them, then
            start with it as LIFTOFF_ENCRYPTION_KEY.
          </p>
        )}
        <p className="mt-2 text-sm text-slate-600">
          Stored secrets: {secrets.encrypted} encrypted, {secrets.plaintext} in plaintext.
        </p>
      </Panel>
      <Panel title="All settings">
        <table className="w-full text-left text-sm">
          <tbody>
            {settings.map((s) => (
              <tr key={s.key} className="border-t border-slate-100">
                <td className="py-2 font-mono text-xs">{s.key}</td>
                <td>
                  {s.value}
                  {s.secret && <Badge>{s.encrypted ? "encrypted" : "plaintext secret"}</Badge>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Panel>
    </>
  );
}
