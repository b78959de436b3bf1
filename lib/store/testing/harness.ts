import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Engine } from "@/db/client";
import { DEFAULT_MAX_TEXT_BYTES } from "@/lib/dump/format/limits";
import { statusReply } from "@/lib/store-contract";
import { adminUrl, type TestDatabase } from "@/lib/testing/databases";
import { pgliteBlankCluster } from "@/lib/testing/templates";
import { handleStoreRequest } from "../api";
import { defaultTokenTtlMs, type StoreContext } from "../context";
import { dumpLoaderRestorer } from "../dump-restorer";
import { defaultEnrolmentPolicy, issueKey, type EnrolmentPolicy } from "../keys";
import { localS3Credentials, startLocalS3, type LocalS3 } from "../local-s3";
import { ObjectStorage } from "../object-storage";
import { restorableVersions } from "../restorable";
import { RestoreQueue } from "../restore-queue";
import type { ArchiveRestorer } from "../restorer";
import { startStoreRestores } from "../resume";
import { loadStoreKeys } from "../sealing-key";
import {
  pgliteTargets,
  postgresTargets,
  type RestoreTarget,
  type RestoreTargets,
} from "../targets";
import { serveFetchHandler, type Served } from "../serve";

export interface StoreHarness {
  ctx: StoreContext;
  /**
   * Stops this store's restore workers as a stopping store process does
   * (bounded wait, then what still runs goes back to the queue), and starts
   * new ones on the same database, as the next store process would.
   */
  restartRestores(options?: HarnessRestoreOptions): Promise<void>;
  s3: LocalS3;
  api: Served;
  /** A migration key issued for the tests, with room for every migration they open. */
  migrationKey: string;
  /** Every target the store created, to check and to drop. */
  targets: RestoreTarget[];
  tmp: string;
  close(): Promise<void>;
}

export interface HarnessRestoreOptions {
  workers?: number;
  /** How stop() bounds its wait for restores under way (pg-boss's floor is 1 s). */
  stopTimeoutMs?: number;
  /** Wraps the real restorer (to watch or hold restores); the real one still runs unless it says otherwise. */
  restorer?: (real: ArchiveRestorer) => ArchiveRestorer;
}

/**
 * A real store over HTTP on 127.0.0.1: a local s3rver (random port, its own
 * folder), the store's routes, and restore targets on the test's engine.
 * `publicEndpoint` lets a test put a proxy between uploader and storage.
 */
export async function startStoreHarness(
  database: TestDatabase,
  engine: Engine,
  options: {
    publicEndpoint?: (s3: LocalS3) => Promise<string>;
    urlTtlSeconds?: number;
    maxRestoreBytes?: number;
    enrolment?: Partial<EnrolmentPolicy>;
  } & HarnessRestoreOptions = {},
): Promise<StoreHarness> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "liftoff-store-"));
  const s3 = await startLocalS3({ directory: path.join(tmp, "s3"), bucket: "liftoff-test" });
  const storage = new ObjectStorage({
    endpoint: s3.endpoint,
    publicEndpoint: options.publicEndpoint ? await options.publicEndpoint(s3) : undefined,
    bucket: s3.bucket,
    region: "us-east-1",
    ...localS3Credentials,
    kmsKeyId: "test-kms-key",
  });
  const inner: RestoreTargets =
    engine === "postgres"
      ? postgresTargets(adminUrl())
      : pgliteTargets(path.join(tmp, "cloud"), { blank: pgliteBlankCluster() });
  const created: RestoreTarget[] = [];
  const targets: RestoreTargets = {
    async create(externalId) {
      const target = await inner.create(externalId);
      created.push(target);
      return target;
    },
    locate: (externalId) => inner.locate(externalId),
    drop: (target) => inner.drop(target),
  };
  // Made on first use in the store's folder, as a store without the variables does.
  const keys = loadStoreKeys({ dir: path.join(tmp, "store-keys") });
  const ctx: StoreContext = {
    db: database.db,
    storage,
    restorer: options.restorer?.(dumpLoaderRestorer(keys)) ?? dumpLoaderRestorer(keys),
    targets,
    versions: restorableVersions(),
    keys,
    workDir: path.join(tmp, "work"),
    tokenTtlMs: defaultTokenTtlMs,
    urlTtlSeconds: options.urlTtlSeconds ?? 900,
    restores: restoreQueue(database, options),
    maxRestoreBytes: options.maxRestoreBytes ?? DEFAULT_MAX_TEXT_BYTES,
    // Generous unless a test says otherwise: the limits have tests of their own (keys.test.ts).
    enrolment: {
      ...defaultEnrolmentPolicy,
      perKey: { budget: 100_000, windowMs: 60_000 },
      ...options.enrolment,
    },
  };
  const { key: migrationKey } = await issueKey(database.db, {
    label: "store tests",
    maxOpenMigrations: 10_000,
    maxBytes: Number.MAX_SAFE_INTEGER,
  });
  await startStoreRestores(ctx);
  const api = await serveFetchHandler((request) => handleStoreRequest(ctx, request));
  return {
    ctx,
    s3,
    api,
    migrationKey,
    targets: created,
    tmp,
    async restartRestores(restart = {}) {
      await ctx.restores.stop();
      ctx.restores = restoreQueue(database, restart);
      ctx.restorer = restart.restorer?.(dumpLoaderRestorer(keys)) ?? dumpLoaderRestorer(keys);
      await startStoreRestores(ctx);
    },
    async close() {
      await ctx.restores.stop();
      await api.close();
      await s3.close();
      for (const target of created) await inner.drop(target);
      fs.rmSync(tmp, { recursive: true, force: true });
    },
  };
}

function restoreQueue(database: TestDatabase, options: HarnessRestoreOptions): RestoreQueue {
  return new RestoreQueue(database, {
    workers: options.workers ?? 1,
    pollSeconds: 0.5,
    retryDelaySeconds: 0,
    stopTimeoutMs: options.stopTimeoutMs ?? 30_000,
  });
}

/** Polls the status route until the migration leaves the in-between states. */
export async function waitForSettled(
  harness: StoreHarness,
  externalId: string,
  token: string,
  timeoutMs = 60_000,
): Promise<{ status: string; reason: string | null; tables: Record<string, number> | null }> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    // A PGlite restore runs on the server's event loop: meanwhile the server
    // may close a kept-alive socket just as the next poll is sent on it
    // (ECONNRESET). A status read is safe to repeat, so ask again.
    const response = await fetch(`${harness.api.url}/api/store/v1/migrations/${externalId}`, {
      headers: { authorization: `Bearer ${token}` },
    }).catch((error: unknown) => {
      if ((error as { cause?: { code?: string } }).cause?.code === "ECONNRESET") return null;
      throw error;
    });
    if (!response) continue;
    // The real reply, checked against the contract in full.
    const body = statusReply.parse(await response.json());
    if (!["received", "verifying", "restoring"].includes(body.status)) return body;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("the store migration did not settle");
}
