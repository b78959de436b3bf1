import fs from "node:fs";
import { sql } from "drizzle-orm";
import { rowsOf } from "@/db/rows";
import { appVersion } from "@/lib/config/version";
import { readOnlyStatus } from "@/lib/read-only";
import { nodeStaleAfterSeconds } from "@/lib/scheduler";
import { instanceId, secretStorageSummary } from "@/lib/settings";
import type { MigrationContext } from "./context";
import { movedTo } from "./cut-over";
import { schemaMigrationId } from "./control";
import { unfinishedMigrations } from "./row";
import { cloudKeySourceWords, resolveCloudKey } from "./cloud-key";
import { checkCloudKey, checkStore, noCloudKey } from "./store-link";

export type CheckStatus = "pass" | "warn" | "fail";

export interface PreflightCheck {
  id: string;
  title: string;
  status: CheckStatus;
  /** What was found and, when it is not a pass, what to do about it. */
  detail: string;
}

/** The archive is gzip'd COPY text: well under the tables' on-disk size; twice that is the margin. */
const archiveMargin = 2;

/**
 * Everything that must hold before a migration may start. Failing items block
 * the start: the start action runs these again itself, it never trusts what
 * the page showed.
 */
export async function runPreflight(context: MigrationContext): Promise<PreflightCheck[]> {
  const checks = await Promise.all([
    storeCheck(context),
    cloudKeyCheck(context),
    diskCheck(context),
    databaseCheck(context),
    runningCheck(context),
    movedCheck(context),
    nodesCheck(context),
    secretsCheck(context),
  ]);
  return checks;
}

export function preflightPasses(checks: PreflightCheck[]): boolean {
  return checks.every((c) => c.status !== "fail");
}

async function guard(
  id: string,
  title: string,
  run: () => Promise<Omit<PreflightCheck, "id" | "title">>,
): Promise<PreflightCheck> {
  try {
    return { id, title, ...(await run()) };
  } catch (error) {
    return {
      id,
      title,
      status: "fail",
      detail: error instanceof Error ? error.message : String(error),
    };
  }
}

function movedCheck(context: MigrationContext) {
  return guard("moved", "This instance has not moved to the cloud already", async () => {
    const moved = await movedTo(context);
    if (!moved)
      return { status: "pass", detail: "It is not held read-only by a finished migration." };
    return {
      status: "fail",
      detail: `It moved on ${moved.movedAt ?? "an earlier date"} to ${moved.cloudUrl ?? "the cloud"} and stays read-only. To migrate again, resume editing here first.`,
    };
  });
}

function storeCheck(context: MigrationContext) {
  return guard("store", "The cloud store is reachable and accepts this version", async () => {
    const verdict = await checkStore(context.storeUrl, {
      appVersion,
      schemaMigrationId: schemaMigrationId(),
      instanceId: await instanceId(context.handle.db),
    });
    if (verdict.accepts && !verdict.sealingKeyId) {
      return {
        status: "fail",
        detail: `${context.storeUrl} publishes no sealing key, so the archive's secrets could not be sealed for it. Upgrade the cloud store.`,
      };
    }
    return verdict.accepts
      ? {
          status: "pass",
          detail: `${context.storeUrl} accepts Liftoff ${appVersion} (${schemaMigrationId()}); secrets are sealed for its key ${verdict.sealingKeyId}.`,
        }
      : {
          status: "fail",
          detail: `${context.storeUrl} refuses Liftoff ${appVersion}: ${verdict.reason ?? "no reason given"}. Upgrade this instance to a version the cloud accepts.`,
        };
  });
}

function cloudKeyCheck(context: MigrationContext) {
  return guard("cloud_key", "Cloud key", async () => {
    const resolved = await resolveCloudKey(context.handle.db, context.secretKey, context.cloudKey);
    if (!resolved) return { status: "fail", detail: noCloudKey().message };
    const key = await checkCloudKey(context.storeUrl, resolved.key);
    return {
      status: "pass",
      detail: `The key ${key.prefix}… (${cloudKeySourceWords[resolved.source]}) is enrolled as “${key.label}”.`,
    };
  });
}

function diskCheck(context: MigrationContext) {
  return guard("disk", "Free disk for the archive", async () => {
    const sizes = rowsOf<{ bytes: string }>(
      await context.handle.db.execute(sql`
        select coalesce(sum(pg_total_relation_size(c.oid)), 0)::text as bytes
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'public' and c.relkind = 'r'`),
    );
    const needed = Number(sizes[0]?.bytes ?? 0) * archiveMargin;
    await fs.promises.mkdir(context.workDir, { recursive: true });
    const stats = await fs.promises.statfs(context.workDir);
    const free = stats.bavail * stats.bsize;
    const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
    if (free < needed) {
      return {
        status: "fail",
        detail: `${mb(free)} free in ${context.workDir}, ${mb(needed)} needed. Free disk space or point LIFTOFF_DATA_DIR at a larger disk.`,
      };
    }
    return {
      status: free < needed * 2 ? "warn" : "pass",
      detail: `${mb(free)} free, about ${mb(needed)} needed at most (tables × ${archiveMargin}).`,
    };
  });
}

function databaseCheck(context: MigrationContext) {
  return guard("database", "The database is healthy", async () => {
    const started = performance.now();
    await context.handle.db.execute(sql`select 1`);
    const ms = performance.now() - started;
    const readOnly = await readOnlyStatus(context.handle.db);
    if (readOnly.enabled) {
      return {
        status: "fail",
        detail: `Read-only mode is already on (${readOnly.reason ?? "no reason"}). Switch maintenance mode off first.`,
      };
    }
    return { status: "pass", detail: `${context.handle.engine} answered in ${ms.toFixed(0)} ms.` };
  });
}

function runningCheck(context: MigrationContext) {
  return guard("running", "No migration is already running", async () => {
    const running = await unfinishedMigrations(context.handle.db);
    return running.length === 0
      ? { status: "pass", detail: "None is running." }
      : {
          status: "fail",
          detail: `Migration #${running[0]!.id} is ${running[0]!.state}: wait for it or cancel it.`,
        };
  });
}

function nodesCheck(context: MigrationContext) {
  return guard("nodes", "Every node of the cluster is up and on this version", async () => {
    const nodes = rowsOf<{ id: string; version: string; stale: boolean }>(
      await context.handle.db.execute(sql`
        select id, app_version as version,
               last_seen_at < now() - make_interval(secs => ${nodeStaleAfterSeconds}) as stale
        from liftoff_cluster.nodes order by id`),
    );
    const live = nodes.filter((n) => !n.stale);
    const other = live.filter((n) => n.version !== appVersion);
    if (other.length > 0) {
      return {
        status: "fail",
        detail: `${other.map((n) => `${n.id} runs ${n.version}`).join(", ")}; this node runs ${appVersion}. Upgrade every node first.`,
      };
    }
    const stale = nodes.length - live.length;
    return {
      status: stale > 0 ? "warn" : "pass",
      detail: `${live.length} node(s) up${stale ? `, ${stale} not seen for over ${nodeStaleAfterSeconds} s (stopped, or unreachable)` : ""}.`,
    };
  });
}

function secretsCheck(context: MigrationContext) {
  return guard("secrets", "The encryption key is present where secrets are encrypted", async () => {
    const secrets = await secretStorageSummary(context.handle.db);
    if (secrets.encrypted > 0 && !context.secretKey) {
      return {
        status: "fail",
        detail: `${secrets.encrypted} secret(s) are encrypted but LIFTOFF_ENCRYPTION_KEY is not set. Start the server with the key they were encrypted with.`,
      };
    }
    if (secrets.plaintextInArchive > 0) {
      return {
        status: "warn",
        detail: `${secrets.plaintextInArchive} secret(s) are stored in plaintext on this instance (the archive seals them for the cloud store). Set LIFTOFF_ENCRYPTION_KEY and run npm run rotate-key to encrypt them here too.`,
      };
    }
    return {
      status: "pass",
      detail: context.secretKey
        ? `${secrets.encrypted} encrypted secret(s), key present.`
        : "No secret is stored in plaintext here (LIFTOFF_ENCRYPTION_KEY is not set); the archive seals secrets for the cloud store.",
    };
  });
}

/** Measured here: dump and upload together move about this much table data a second. */
const assumedBytesPerSecond = 15 * 1024 * 1024;

/** A rough length of the copy (base and upload, while everyone keeps working), for the page. */
export async function estimateCopySeconds(context: MigrationContext): Promise<number> {
  const [row] = rowsOf<{ bytes: string }>(
    await context.handle.db.execute(sql`
      select coalesce(sum(pg_total_relation_size(c.oid)), 0)::text as bytes
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind = 'r'`),
  );
  return 10 + Number(row?.bytes ?? 0) / assumedBytesPerSecond;
}
