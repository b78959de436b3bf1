import path from "node:path";
import type { DatabaseHandle } from "@/db/client";
import { dataDir, readEnv } from "@/lib/config/env";
import type { SecretKey } from "@/lib/secrets/cipher";
import { instanceSecretKey } from "@/lib/secrets/key";
import type { CloudKeySources } from "./cloud-key";

/** What a migration needs from the process that runs it. */
export interface MigrationContext {
  handle: DatabaseHandle;
  /** This node's id (lib/cluster): the row's owner while it runs here. */
  nodeId: string;
  /** Where archives are staged: one folder per migration, deleted at the end. */
  workDir: string;
  storeUrl: string;
  secretKey: SecretKey | null;
  /** Where the migration key comes from after Settings (cloud-key.ts). */
  cloudKey?: CloudKeySources;
  readOnlyDrainMs?: number;
  schedulerDrainMs?: number;
  /** How long to wait for the store to verify and restore after the upload. */
  restoreTimeoutMs?: number;
  upload?: { multipartThreshold?: number; concurrency?: number; partSize?: number };
  /** Told of each delta the cloud applied (bench:migrate reports them; they are logged too). */
  onDelta?: (delta: DeltaReport) => void;
  /**
   * Tests only: awaited once change capture is installed, before setup
   * records it. PGlite runs one query at a time, so no lock can hold setup
   * there without holding the whole database (and the cancel with it).
   */
  testHoldAfterCapture?: () => Promise<void>;
}

/** One delta round, as the cloud applied it. */
export interface DeltaReport {
  round: number;
  final: boolean;
  /** Rows the delta carried (inserted or updated in the copy). */
  rows: number;
  /** Keys it listed: every key changed, deleted ones included. */
  keys: number;
  bytes: number;
  /** From the start of its build to the cloud's answer. */
  ms: number;
  /** Of which writing the archive (a final delta's digests included). */
  writeMs: number;
}

export function archivePathFor(context: MigrationContext, id: number): string {
  return path.join(context.workDir, String(id), "archive.tar");
}

/** The context of a server process, from its configuration. */
export function migrationContextFromEnv(handle: DatabaseHandle, nodeId: string): MigrationContext {
  const env = readEnv();
  return {
    handle,
    nodeId,
    workDir: path.join(dataDir(env), "migrations"),
    storeUrl: env.LIFTOFF_CLOUD_URL,
    secretKey: instanceSecretKey(),
    cloudKey: { env: env.LIFTOFF_CLOUD_KEY ?? null, file: env.LIFTOFF_CLOUD_KEY_FILE ?? null },
  };
}
