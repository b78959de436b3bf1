import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Engine } from "@/db/client";
import { startStoreHarness, type StoreHarness } from "@/lib/store/testing/harness";
import type { TestDatabase } from "@/lib/testing/databases";
import { startFaultProxy, type FaultProxy } from "@/lib/upload/testing/fault-proxy";
import type { MigrationContext } from "../context";
import { getMigration, type MigrationRow } from "../row";
import { isTerminal } from "../states";

export interface MigrationRig {
  context: MigrationContext;
  store: StoreHarness;
  /** Between the uploader and the storage: `delayMs` slows every PUT. */
  proxy: FaultProxy;
  close(): Promise<void>;
}

/**
 * A real store (routes over HTTP, s3rver, restore targets) beside the
 * instance's database, with a proxy in front of the storage, and the
 * context a node would run migrations with.
 */
export async function startMigrationRig(
  database: TestDatabase,
  engine: Engine,
): Promise<MigrationRig> {
  let proxy: FaultProxy | undefined;
  const store = await startStoreHarness(database, engine, {
    publicEndpoint: async (s3) => {
      proxy = await startFaultProxy(s3.endpoint);
      return proxy.url;
    },
  });
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "liftoff-migration-"));
  const context: MigrationContext = {
    handle: database,
    nodeId: `${os.hostname()}:${process.pid}:test`,
    workDir,
    storeUrl: store.api.url,
    secretKey: null,
    // As LIFTOFF_CLOUD_KEY would give it: the store harness's own key.
    cloudKey: { env: store.migrationKey, file: null },
    schedulerDrainMs: 10_000,
    restoreTimeoutMs: 60_000,
  };
  return {
    context,
    store,
    proxy: proxy!,
    async close() {
      await proxy?.close();
      await store.close();
      fs.rmSync(workDir, { recursive: true, force: true });
    },
  };
}

/** Polls the row until `until` holds (default: a terminal state), recording what it saw. */
export async function watchMigration(
  rig: MigrationRig,
  id: number,
  until: (row: MigrationRow) => boolean = (row) => isTerminal(row.state),
  seen: { state: string; progress: number }[] = [],
  timeoutMs = 60_000,
): Promise<MigrationRow> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const row = await getMigration(rig.context.handle.db, id);
    if (!row) throw new Error(`migration ${id} vanished`);
    const last = seen.at(-1);
    if (!last || last.state !== row.state || last.progress !== row.progress) {
      seen.push({ state: row.state, progress: row.progress });
    }
    if (until(row)) return row;
    if (Date.now() > deadline) throw new Error(`migration ${id} stuck in ${row.state}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
