import type { Metadata } from "next";
import { getDb } from "@/lib/runtime";
import { ActionForm } from "@/app/_components/action-form";
import { Badge, formatTime, PageHeader, Panel } from "@/app/_components/ui";
import { requireAdmin } from "@/app/_lib/session";
import { readOnlyStatus } from "@/lib/read-only";
import { instanceSecretKey } from "@/lib/secrets/key";
import { listSettingsForDisplay, secretStorageSummary } from "@/lib/settings";
import { setMaintenanceModeAction } from "./actions";
import { MigrateToCloud } from "./migrate-to-cloud";

export const metadata: Metadata = { title: "Settings" };

export default async function SettingsPage() {
  const actor = await requireAdmin();
  const db = await getDb();
  const [settings, secrets, readOnly] = await Promise.all([
    listSettingsForDisplay(db, actor),
    secretStorageSummary(db),
    readOnlyStatus(db),
  ]);
  const keyConfigured = instanceSecretKey() !== null;
  return (
    <>
      <PageHeader title="Settings" />
      <Panel title="Migrate to Cloud">
        <MigrateToCloud />
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
