import { afterAll, beforeAll, beforeEach, expect, it } from "vitest";
import { waitForSettled } from "@/lib/store/testing/harness";
import type { RealArchive } from "@/lib/store/testing/real-archive";
import { describeEachEngine } from "@/lib/testing/engines";
import { StoreClient, StoreRequestError } from "./store-client";
import { startStoreApiProxy, type StoreApiProxy } from "./testing/store-api-proxy";
import { startUploadRig, type UploadRig } from "./testing/rig";
import { uploadArchive } from ".";

const MiB = 1024 * 1024;
const fast = { attempts: 6, baseMs: 10, capMs: 200 };

describeEachEngine(
  "store calls when the network between instance and store fails",
  (database, engine) => {
    let rig: UploadRig;
    let front: StoreApiProxy;
    let archive: RealArchive;
    beforeAll(async () => {
      rig = await startUploadRig(database(), engine);
      front = await startStoreApiProxy(rig.harness.api.url);
      archive = await rig.makeArchive("two-parts", { scale: 0.05, ballastMiB: 6 });
      expect(archive.size).toBeGreaterThan(5 * MiB);
    }, 120_000);
    afterAll(async () => {
      await front?.close();
      await rig?.close();
    });
    beforeEach(() => {
      front.plan = () => "pass";
      front.requests.length = 0;
    });

    /** The rig's migration, reached through the failing front instead of directly. */
    async function migrationBehindFront() {
      const { db } = database();
      const { migrationId, store, token } = await rig.newMigration(db);
      return {
        db,
        migrationId,
        token,
        store: new StoreClient(front.url, store.externalId, token, fast),
      };
    }

    it("asks again when the answers to complete and uploaded are lost, and the store answers as the first time", async () => {
      const { db, migrationId, token, store } = await migrationBehindFront();
      front.plan = (call, index) =>
        (call === "POST /multipart/complete" || call === "POST /uploaded") && index === 0
          ? "loseAnswer"
          : "pass";
      const outcome = await uploadArchive({
        db,
        migrationId,
        store,
        file: archive.file,
        multipartThreshold: 5 * MiB,
        partSize: 5 * MiB,
        retry: fast,
      });
      expect(outcome).toMatchObject({ mode: "multipart", sha256: archive.sha256 });
      const calls = front.requests.map((r) => `${r.call} ${r.fault}`);
      expect(calls).toEqual(
        expect.arrayContaining([
          "POST /multipart/complete loseAnswer",
          "POST /multipart/complete pass",
          "POST /uploaded loseAnswer",
          "POST /uploaded pass",
        ]),
      );
      // Nothing aborted the upload: the store restores the one copy.
      expect(front.requests.some((r) => r.call === "DELETE /")).toBe(false);
      const settled = await waitForSettled(rig.harness, store.externalId, token);
      expect(settled).toMatchObject({ status: "restored", tables: archive.counts });
    });

    it("sends again after a dropped connection and a 503, but not after a refusal", async () => {
      const { store } = await migrationBehindFront();
      front.plan = (call, index) =>
        call === "GET /"
          ? ((["resetBefore", "unavailable503"][index] as "resetBefore" | undefined) ?? "pass")
          : "pass";
      await expect(store.status()).resolves.toMatchObject({ status: "awaiting_upload" });
      expect(front.requests.map((r) => r.fault)).toEqual(["resetBefore", "unavailable503", "pass"]);

      front.requests.length = 0;
      // Declaring an upload that never happened is a refusal (409): asking again cannot help.
      const refused = await store.uploaded("0".repeat(64), 1).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(StoreRequestError);
      expect(refused).toMatchObject({ status: 409 });
      expect(front.requests).toHaveLength(1);
    });

    it("gives up after its attempts when the store stays out of reach", async () => {
      const { store } = await migrationBehindFront();
      front.plan = () => "resetBefore";
      await expect(store.status()).rejects.toThrow(/fetch failed/);
      expect(front.requests).toHaveLength(fast.attempts);
    });
  },
);
