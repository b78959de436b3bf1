import fs from "node:fs";
import path from "node:path";
import { eq } from "drizzle-orm";
import type { Database, Engine } from "@/db/client";
import { cloudMigration, storeMigrations } from "@/db/schema";
import { createStoreMigration } from "@/lib/store/testing/client";
import { startStoreHarness, type StoreHarness } from "@/lib/store/testing/harness";
import { makeRealArchive, targetDigests, type RealArchive } from "@/lib/store/testing/real-archive";
import type { TestDatabase } from "@/lib/testing/databases";
import { StoreClient } from "../store-client";
import { startFaultProxy, type FaultProxy } from "./fault-proxy";

export interface UploadRig {
  harness: StoreHarness;
  proxy: FaultProxy;
  /** A cloud_migration row on the instance and its migration on the store. */
  newMigration(db: Database): Promise<{ migrationId: number; store: StoreClient; token: string }>;
  /** A real dump of a seeded database on the rig's engine (see makeRealArchive). */
  makeArchive(
    name: string,
    options?: { scale?: number; ballastMiB?: number },
  ): Promise<RealArchive>;
  /** `serverDigests` of the database the store restored this migration into. */
  restoredDigests(externalId: string): Promise<Record<string, string>>;
  /** SHA-256 of the object as the storage holds it. */
  storedSha256(externalId: string): Promise<string>;
  close(): Promise<void>;
}

let counter = 0;

/** Store + s3rver + fault proxy: presigned URLs point at the proxy, the store talks to s3rver directly. */
export async function startUploadRig(storeDb: TestDatabase, engine: Engine): Promise<UploadRig> {
  let proxy: FaultProxy | undefined;
  const harness = await startStoreHarness(storeDb, engine, {
    publicEndpoint: async (s3) => {
      proxy = await startFaultProxy(s3.endpoint);
      return proxy.url;
    },
  });
  if (!proxy) throw new Error("proxy not started");
  const started = proxy;
  return {
    harness,
    proxy: started,
    async newMigration(db) {
      const created = await createStoreMigration(harness);
      // The instance allows one unfinished migration: end earlier ones first.
      await db.update(cloudMigration).set({ state: "cancelled" });
      const [row] = await db
        .insert(cloudMigration)
        .values({ state: "upload", externalId: created.external_id })
        .returning({ id: cloudMigration.id });
      if (!row) throw new Error("no migration row");
      return {
        migrationId: row.id,
        token: created.token,
        store: new StoreClient(harness.api.url, created.external_id, created.token),
      };
    },
    makeArchive(name, options) {
      return makeRealArchive(engine, path.join(harness.tmp, `${name}-${++counter}.tar`), options);
    },
    restoredDigests(externalId) {
      const target = harness.targets.find((t) =>
        (t.engine === "postgres" ? t.database : t.dir).endsWith(externalId),
      );
      if (!target) throw new Error(`no restore target for ${externalId}`);
      return targetDigests(target);
    },
    async storedSha256(externalId) {
      const [row] = await harness.ctx.db
        .select({ key: storeMigrations.objectKey })
        .from(storeMigrations)
        .where(eq(storeMigrations.externalId, externalId));
      if (!row) throw new Error("no store migration");
      const copy = path.join(harness.tmp, `readback-${++counter}`);
      const { sha256 } = await harness.ctx.storage.download(row.key, copy);
      fs.rmSync(copy);
      return sha256;
    },
    async close() {
      await started.close();
      await harness.close();
    },
  };
}
