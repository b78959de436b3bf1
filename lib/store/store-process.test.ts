import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "@/db/client";
import { storeMigrations } from "@/db/schema";
import {
  adminUrl,
  createTestDatabase,
  testEngines,
  type TestDatabase,
} from "@/lib/testing/databases";
import { StoreClient } from "@/lib/upload";
import { issueKey, revokeKey } from "./keys";
import { instanceVersion } from "./testing/client";
import { startLocalS3, type LocalS3 } from "./local-s3";
import { makeRealArchive, targetDigests, type RealArchive } from "./testing/real-archive";
import { isRunning, startStoreProcess, type StoreProcess } from "./testing/store-process";
import { postgresTargets } from "./targets";

/**
 * The store as a server of its own (`npm run store`), not the in-process
 * harness the other store tests use: the real entry, its own configuration,
 * its own database.
 */

async function uploadArchive(url: string, key: string, archive: RealArchive) {
  const created = await StoreClient.createMigration(
    url,
    { ...instanceVersion, instance_id: `process-test-${crypto.randomBytes(3).toString("hex")}` },
    key,
  );
  const upload = await new StoreClient(url, created.external_id, created.token).singleUploadUrl();
  const put = await fetch(upload.upload_url, {
    method: "PUT",
    headers: upload.upload_headers,
    body: new Uint8Array(fs.readFileSync(archive.file)),
  });
  expect(put.status).toBe(200);
  return created;
}

async function settle(store: StoreClient, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await store.status();
    if (!["received", "verifying", "restoring"].includes(status.status)) return status;
    if (Date.now() > deadline) throw new Error(`still ${status.status}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe.runIf(testEngines().includes("postgres"))(
  "two store processes on one PostgreSQL database and one bucket [postgres]",
  () => {
    let tmp: string;
    let s3: LocalS3;
    let database: TestDatabase;
    let archive: RealArchive;
    /** Big enough that its restore is still running when the test kills its node. */
    let bigArchive: RealArchive;
    const started: StoreProcess[] = [];
    const createdIds: string[] = [];

    beforeAll(async () => {
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), "liftoff-store-process-"));
      s3 = await startLocalS3({ directory: path.join(tmp, "s3"), bucket: "liftoff-process" });
      // The store migrates its database itself on start.
      database = await createTestDatabase("postgres", { migrate: false });
      archive = await makeRealArchive("postgres", path.join(tmp, "source.tar"), { scale: 0.1 });
      bigArchive = await makeRealArchive("postgres", path.join(tmp, "big.tar"), {
        scale: 0.1,
        ballastMiB: 8,
      });
    });
    afterAll(async () => {
      for (const store of started) await store.kill();
      const targets = postgresTargets(adminUrl());
      for (const id of createdIds) await targets.drop(targets.locate(id));
      await database?.drop();
      await s3?.close();
      fs.rmSync(tmp, { recursive: true, force: true });
    });

    /** A store node: its own data folder, the shared database, bucket and keys. */
    async function node(name: string) {
      const store = await startStoreProcess({
        LIFTOFF_DATA_DIR: path.join(tmp, name),
        STORE_DATABASE_URL: database.url!,
        LIFTOFF_S3_ENDPOINT: s3.endpoint,
        LIFTOFF_S3_BUCKET: s3.bucket,
        LIFTOFF_S3_KMS_KEY_ID: "process-test",
        // Nodes of one store share its keys: a migration opened on one may be
        // restored by another, which must open the secrets sealed for the first.
        LIFTOFF_STORE_SEALING_KEY: sealingKey,
        LIFTOFF_STORE_ENCRYPTION_KEY: "process-test-cloud-copy-key",
        // A dead node's restore is taken over after its heartbeat stops: 10 s here, not 60.
        LIFTOFF_STORE_RESTORE_HEARTBEAT_SECONDS: "10",
        LIFTOFF_STORE_LOCAL_KEY_FILE: path.join(tmp, "instance.key"),
      });
      started.push(store);
      return store;
    }
    /** The key the first node issued into the shared file, as it hands its own instance one. */
    const localKey = () => fs.readFileSync(path.join(tmp, "instance.key"), "utf8").trim();
    const sealingKey = crypto.randomBytes(32).toString("base64");

    it(
      "a migration created on one node is uploaded, completed and restored through the other",
      { timeout: 120_000 },
      async () => {
        const first = await node("first");
        const second = await node("second");
        expect(first.url).not.toBe(second.url);

        const created = await uploadArchive(first.url, localKey(), archive);
        createdIds.push(created.external_id);
        // The first node goes away; the second finishes the trip with the same token.
        expect(await first.stop()).toEqual({ code: 0, signal: null });
        const throughSecond = new StoreClient(second.url, created.external_id, created.token);
        await throughSecond.uploaded(archive.sha256, archive.size);
        const settled = await settle(throughSecond);
        expect(settled, second.output()).toMatchObject({ status: "restored", reason: null });
        expect(settled.tables).toEqual(archive.counts);

        const target = postgresTargets(adminUrl()).locate(created.external_id);
        expect(await targetDigests(target)).toEqual(archive.digests);
        // One row, in the one database both nodes share.
        const rows = await database.db.select().from(storeMigrations);
        expect(rows.map((r) => [r.externalId, r.state])).toEqual([
          [created.external_id, "restored"],
        ]);
      },
    );

    it(
      "refuses outsiders and bad input over its own port, each with its own status, and restores nothing",
      { timeout: 120_000 },
      async () => {
        const gate = await node("gate");
        const migrations = `${gate.url}/api/store/v1/migrations`;
        const body = { ...instanceVersion, instance_id: "outsider-test" };
        const call = async (
          method: string,
          url: string,
          authorization?: string,
          json?: unknown,
        ): Promise<[number, string]> => {
          const response = await fetch(url, {
            method,
            headers: {
              ...(authorization ? { authorization } : {}),
              ...(json === undefined ? {} : { "content-type": "application/json" }),
            },
            body: json === undefined ? undefined : JSON.stringify(json),
          });
          const reply = (await response.json()) as { error?: { code: string; message: string } };
          expect(typeof reply.error?.message, `${method} ${url}`).toBe("string");
          return [response.status, reply.error?.code ?? ""];
        };
        const revoked = await issueKey(database.db, { label: "revoked-for-test" });
        await revokeKey(database.db, String(revoked.id));
        const good = localKey();
        const mine = await StoreClient.createMigration(gate.url, body, good);
        const theirs = await StoreClient.createMigration(gate.url, body, good);
        const lying = await StoreClient.createMigration(gate.url, body, good);
        createdIds.push(mine.external_id, theirs.external_id, lying.external_id);
        const before = await database.db.select().from(storeMigrations);

        expect(await call("POST", migrations, undefined, body)).toEqual([
          401,
          "unauthorized:migration_key",
        ]);
        expect(await call("POST", migrations, `Bearer lok_${"A".repeat(43)}`, body)).toEqual([
          403,
          "forbidden:migration_key",
        ]);
        expect(await call("POST", migrations, `Bearer ${revoked.key}`, body)).toEqual([
          403,
          "forbidden:migration_key_revoked",
        ]);
        expect(
          await call("POST", migrations, `Bearer ${good}`, { ...body, app_version: "99.0.0" }),
        ).toEqual([422, "unprocessable:app_version"]);
        expect(
          await call("POST", migrations, `Bearer ${good}`, { ...body, unknown_field: 1 }),
        ).toEqual([400, "invalid:input"]);
        // A migration's routes take its own token, not another's, not a key.
        const uploaded = { sha256: "0".repeat(64), size: 1 };
        expect(
          await call("POST", `${migrations}/${mine.external_id}/uploaded`, undefined, uploaded),
        ).toEqual([401, "unauthorized:token"]);
        expect(
          await call(
            "POST",
            `${migrations}/${mine.external_id}/uploaded`,
            `Bearer ${theirs.token}`,
            uploaded,
          ),
        ).toEqual([403, "forbidden:migration"]);
        expect(
          await call(
            "POST",
            `${migrations}/${mine.external_id}/uploaded`,
            `Bearer ${good}`,
            uploaded,
          ),
        ).toEqual([401, "unauthorized:token"]);
        // Bad parts, a size that is not the object's, a body too large to read.
        const started = await new StoreClient(
          gate.url,
          theirs.external_id,
          theirs.token,
        ).startMultipart(12 << 20);
        expect(
          await call(
            "POST",
            `${migrations}/${theirs.external_id}/multipart/urls`,
            `Bearer ${theirs.token}`,
            {
              upload_id: started.upload_id,
              parts: [4],
            },
          ),
        ).toEqual([400, "invalid:part_number"]);
        const single = await new StoreClient(
          gate.url,
          mine.external_id,
          mine.token,
        ).singleUploadUrl();
        const put = await fetch(single.upload_url, {
          method: "PUT",
          headers: single.upload_headers,
          body: new Uint8Array(10),
        });
        expect(put.status).toBe(200);
        const auth = `Bearer ${mine.token}`;
        expect(
          await call("POST", `${migrations}/${mine.external_id}/uploaded`, auth, uploaded),
        ).toEqual([422, "unprocessable:size_mismatch"]);
        expect(
          await call("POST", `${migrations}/${mine.external_id}/uploaded`, auth, {
            blob: "x".repeat(3 << 20),
          }),
        ).toEqual([413, "invalid:body"]);
        // The right size, the wrong SHA-256: taken, then refused by its read-back.
        const lyingClient = new StoreClient(gate.url, lying.external_id, lying.token);
        const lyingUpload = await lyingClient.singleUploadUrl();
        expect(
          (
            await fetch(lyingUpload.upload_url, {
              method: "PUT",
              headers: lyingUpload.upload_headers,
              body: new Uint8Array(10),
            })
          ).status,
        ).toBe(200);
        await lyingClient.uploaded("f".repeat(64), 10);
        const lied = await settle(lyingClient);
        expect(lied.status).toBe("failed");
        expect(lied.reason).toMatch(/Checksum mismatch.*Nothing was restored/);

        // Nothing opened by the refusals, nothing restored.
        const after = await database.db.select().from(storeMigrations);
        expect(after.length).toBe(before.length);
        expect(
          after
            .filter((r) =>
              [mine.external_id, theirs.external_id, lying.external_id].includes(r.externalId),
            )
            .map((r) => [r.externalId, r.state, r.targetDatabase]),
        ).toEqual(
          expect.arrayContaining([
            [theirs.external_id, "awaiting_upload", null],
            // The size mismatch and the checksum end their migrations, with no target.
            [mine.external_id, "failed", null],
            [lying.external_id, "failed", null],
          ]),
        );
        await gate.stop();
      },
    );

    it(
      "a node killed mid-restore: the restore goes back to the queue and another node completes it",
      { timeout: 120_000 },
      async () => {
        // Only the victim may take the job: the other nodes stop first.
        for (const store of started) await store.stop();
        const victim = await node("victim");
        const created = await uploadArchive(victim.url, localKey(), bigArchive);
        createdIds.push(created.external_id);
        const client = new StoreClient(victim.url, created.external_id, created.token);
        await client.uploaded(bigArchive.sha256, bigArchive.size);
        // Killed once its restore runs, in a process of the victim's own. That
        // process must die with it, or it would go on writing into a target
        // the survivor is about to redo.
        let restoreProcesses: number[] = [];
        for (const until = Date.now() + 30_000; restoreProcesses.length === 0;) {
          if (Date.now() > until) throw new Error(`no restore began:\n${victim.output()}`);
          await new Promise((resolve) => setTimeout(resolve, 10));
          restoreProcesses = victim.children();
        }
        await victim.kill();
        for (const until = Date.now() + 10_000; restoreProcesses.some(isRunning);) {
          if (Date.now() > until) {
            throw new Error(
              `restore processes outlived their store: ${restoreProcesses.join(", ")}`,
            );
          }
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        const [cutShort] = await database.db
          .select({ state: storeMigrations.state })
          .from(storeMigrations)
          .where(eq(storeMigrations.externalId, created.external_id));
        expect(cutShort?.state).toBe("restoring");
        const survivor = await node("survivor");
        const settled = await settle(
          new StoreClient(survivor.url, created.external_id, created.token),
          120_000,
        );
        expect(settled, survivor.output()).toMatchObject({ status: "restored", reason: null });
        expect(
          await targetDigests(postgresTargets(adminUrl()).locate(created.external_id)),
        ).toEqual(bigArchive.digests);
      },
    );
  },
);

describe("a store with no database configured", () => {
  let tmp: string;
  let s3: LocalS3;
  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "liftoff-store-embedded-"));
    s3 = await startLocalS3({ directory: path.join(tmp, "s3"), bucket: "liftoff-embedded" });
  });
  afterAll(async () => {
    await s3.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it(
    "keeps an embedded database of its own under the data folder, and stops on SIGTERM",
    { timeout: 120_000 },
    async () => {
      // The restore into embedded targets is the in-process harness's on
      // PGlite, and the whole trip's (e2e 04, through this same process).
      const dataDir = path.join(tmp, "data");
      const store = await startStoreProcess({
        LIFTOFF_DATA_DIR: dataDir,
        STORE_DATABASE_URL: "",
        LIFTOFF_S3_ENDPOINT: s3.endpoint,
        LIFTOFF_S3_BUCKET: s3.bucket,
        LIFTOFF_STORE_LOCAL_KEY_FILE: path.join(dataDir, "store-keys", "local-instance.key"),
      });
      let created: { external_id: string };
      try {
        const key = fs.readFileSync(path.join(dataDir, "store-keys", "local-instance.key"), "utf8");
        created = await StoreClient.createMigration(
          store.url,
          { ...instanceVersion, instance_id: "embedded-test" },
          key.trim(),
        );
      } finally {
        expect(await store.stop()).toEqual({ code: 0, signal: null });
      }
      // Its database is where it said, and the migration is in it.
      const handle = await openDatabase({ pgliteDir: path.join(dataDir, "store-db") });
      try {
        const rows = await handle.db.select().from(storeMigrations);
        expect(rows.map((r) => [r.externalId, r.state])).toEqual([
          [created.external_id, "awaiting_upload"],
        ]);
      } finally {
        await handle.close();
      }
    },
  );

  it(
    "refuses to start on a configuration it cannot use, saying which setting is wrong",
    { timeout: 120_000 },
    async () => {
      await expect(
        startStoreProcess({ LIFTOFF_DATA_DIR: path.join(tmp, "bad"), STORE_PORT: "http" }),
      ).rejects.toThrow(/STORE_PORT must be a/);
    },
  );
});
