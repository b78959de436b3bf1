import { afterAll, beforeAll, beforeEach, expect, it } from "vitest";
import { loadParts, loadUpload } from "./parts-repo";
import { waitForSettled } from "@/lib/store/testing/harness";
import { describeEachEngine } from "@/lib/testing/engines";
import { seededRandom, type Fault } from "./testing/fault-proxy";
import { startUploadRig, type UploadRig } from "./testing/rig";
import type { RealArchive } from "@/lib/store/testing/real-archive";
import { uploadArchive, UploadError, type UploadProgress } from ".";

const MiB = 1024 * 1024;
const fast = { attempts: 6, baseMs: 10, capMs: 200 };

describeEachEngine("upload", (database, engine) => {
  let rig: UploadRig;
  /** Real dumps of seeded databases: one below the multipart threshold, one of 4 parts. */
  let small: RealArchive;
  let large: RealArchive;
  beforeAll(async () => {
    rig = await startUploadRig(database(), engine);
    small = await rig.makeArchive("small", { scale: 0.1 });
    large = await rig.makeArchive("large", { scale: 0.05, ballastMiB: 24 });
    expect(small.size).toBeLessThan(10 * MiB);
    expect(large.size).toBeGreaterThan(15 * MiB);
    expect(large.size).toBeLessThanOrEqual(20 * MiB);
  }, 120_000);
  afterAll(() => rig.close());
  beforeEach(() => {
    rig.proxy.plan = () => "pass";
    rig.proxy.requests.length = 0;
    rig.proxy.maxConcurrentPuts = 0;
  });

  /** The store restored exactly the source: its per-table digests and the manifest's counts. */
  async function expectRestored(externalId: string, token: string, archive: RealArchive) {
    const settled = await waitForSettled(rig.harness, externalId, token);
    expect(settled).toMatchObject({ status: "restored", reason: null });
    expect(settled.tables).toEqual(archive.counts);
    expect(await rig.restoredDigests(externalId)).toEqual(archive.digests);
  }

  it("sends a small archive in one PUT with the SSE headers, and the store restores it", async () => {
    const { db } = database();
    const { migrationId, store, token } = await rig.newMigration(db);
    const archive = small;
    const outcome = await uploadArchive({ db, migrationId, store, file: archive.file });
    expect(outcome).toMatchObject({ mode: "single", partsSent: 1, sha256: archive.sha256 });
    expect(rig.proxy.requests.filter((r) => r.method === "PUT")).toHaveLength(1);
    expect(await rig.storedSha256(store.externalId)).toBe(archive.sha256);
    await expectRestored(store.externalId, token, archive);
  });

  it("sends a large archive as parallel parts, with progress that only moves forward", async () => {
    const { db } = database();
    const { migrationId, store, token } = await rig.newMigration(db);
    const archive = large;
    const seen: UploadProgress[] = [];
    const outcome = await uploadArchive({
      db,
      migrationId,
      store,
      file: archive.file,
      multipartThreshold: 10 * MiB,
      partSize: 5 * MiB,
      concurrency: 4,
      onProgress: (p) => seen.push(p),
    });
    expect(outcome).toMatchObject({ mode: "multipart", partsSent: 4, partsResumed: 0 });
    expect(rig.proxy.maxConcurrentPuts).toBeGreaterThan(1);
    expect(rig.proxy.maxConcurrentPuts).toBeLessThanOrEqual(4);
    const bytes = seen.map((p) => p.bytesAcknowledged);
    expect(bytes).toEqual([...bytes].sort((a, b) => a - b));
    expect(seen.at(-1)).toMatchObject({
      bytesAcknowledged: outcome.size,
      partsDone: 4,
      etaSeconds: 0,
    });
    expect(seen.at(-1)?.bytesPerSecond).toBeGreaterThan(0);
    expect(await rig.storedSha256(store.externalId)).toBe(archive.sha256);
    await expectRestored(store.externalId, token, archive);
    expect(await loadUpload(db, migrationId)).toBeNull(); // bookkeeping gone once uploaded
  });

  it("rides out 500s, 503 SlowDown, resets, stalls and expired URLs; the object is identical", async () => {
    const { db } = database();
    const { migrationId, store, token } = await rig.newMigration(db);
    const archive = large;
    const forced: Fault[] = ["error500", "slowdown503", "reset", "stall", "expired"];
    const random = seededRandom(42);
    const kinds: Fault[] = ["error500", "slowdown503", "reset", "stall", "expired"];
    rig.proxy.plan = ({ index }) =>
      index < forced.length
        ? forced[index]!
        : random() < 0.25
          ? kinds[Math.floor(random() * kinds.length)]!
          : "pass";
    await uploadArchive({
      db,
      migrationId,
      store,
      file: archive.file,
      multipartThreshold: 10 * MiB,
      partSize: 5 * MiB,
      retry: fast,
      stallMs: 300,
    });
    const faults = new Set(rig.proxy.requests.map((r) => r.fault));
    expect([...faults].sort()).toEqual([
      "error500",
      "expired",
      "pass",
      "reset",
      "slowdown503",
      "stall",
    ]);
    expect(await rig.storedSha256(store.externalId)).toBe(archive.sha256);
    await expectRestored(store.externalId, token, archive);
  });

  it("fails clearly when faults outlast the retry budget, and the store records the abort", async () => {
    const { db } = database();
    const { migrationId, store, token } = await rig.newMigration(db);
    const archive = large;
    rig.proxy.plan = () => "slowdown503";
    const upload = uploadArchive({
      db,
      migrationId,
      store,
      file: archive.file,
      multipartThreshold: 10 * MiB,
      partSize: 5 * MiB,
      retry: { attempts: 3, baseMs: 5, capMs: 20 },
    });
    await expect(upload).rejects.toThrow(/failed after 3 attempts; last error: HTTP 503 SlowDown/);
    await expect(upload).rejects.toBeInstanceOf(UploadError);
    const status = await store.status();
    expect(status.status).toBe("aborted");
    // s3rver answers AbortMultipartUpload with 405: the store says so instead of pretending.
    expect(status.reason).toMatch(/does not support AbortMultipartUpload/);
    expect(await loadParts(db, migrationId)).toEqual([]);
    expect(token).toBeTruthy();
  });

  it("aborts on the store when the admin cancels", async () => {
    const { db } = database();
    const { migrationId, store } = await rig.newMigration(db);
    const archive = large;
    const controller = new AbortController();
    rig.proxy.plan = () => "pass";
    const upload = uploadArchive({
      db,
      migrationId,
      store,
      file: archive.file,
      multipartThreshold: 10 * MiB,
      partSize: 5 * MiB,
      concurrency: 1,
      onPart: () => controller.abort(new Error("cancelled by admin")),
      signal: controller.signal,
    });
    const error: unknown = await upload.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UploadError);
    expect((error as UploadError).cancelled).toBe(true);
    expect((await store.status()).status).toBe("aborted");
    // One part at a time, cancelled after the first: the other parts are never sent.
    expect(rig.proxy.requests.filter((r) => r.method === "PUT").length).toBeLessThan(4);
  });
});
