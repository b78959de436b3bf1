import { afterAll, beforeAll, beforeEach, expect, it } from "vitest";
import { loadParts, loadUpload } from "./parts-repo";
import { waitForSettled } from "@/lib/store/testing/harness";
import { describeEachEngine } from "@/lib/testing/engines";
import { seededRandom, type Fault } from "./testing/fault-proxy";
import { startUploadRig, type UploadRig } from "./testing/rig";
import { uploadArchive, UploadError, type UploadProgress } from ".";

const MiB = 1024 * 1024;
const fast = { attempts: 6, baseMs: 10, capMs: 200 };

describeEachEngine("upload", (database, engine) => {
  let rig: UploadRig;
  beforeAll(async () => {
    rig = await startUploadRig(database(), engine);
  });
  afterAll(() => rig.close());
  beforeEach(() => {
    rig.proxy.plan = () => "pass";
    rig.proxy.requests.length = 0;
    rig.proxy.maxConcurrentPuts = 0;
  });

  it("sends a small archive in one PUT with the SSE headers, and the store restores it", async () => {
    const { db } = database();
    const { migrationId, store, token } = await rig.newMigration(db);
    const archive = rig.makeArchive("small", 200_000);
    const outcome = await uploadArchive({ db, migrationId, store, file: archive.file });
    expect(outcome).toMatchObject({ mode: "single", partsSent: 1, sha256: archive.sha256 });
    expect(rig.proxy.requests.filter((r) => r.method === "PUT")).toHaveLength(1);
    expect(await rig.storedSha256(store.externalId)).toBe(archive.sha256);
    const settled = await waitForSettled(rig.harness, store.externalId, token);
    expect(settled).toMatchObject({ status: "restored", tables: { users: 2, cards: 1 } });
  });

  it("sends a large archive as parallel parts, with progress that only moves forward", async () => {
    const { db } = database();
    const { migrationId, store, token } = await rig.newMigration(db);
    const archive = rig.makeArchive("large", 48 * MiB);
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
    expect(outcome).toMatchObject({ mode: "multipart", partsSent: 10, partsResumed: 0 });
    expect(rig.proxy.maxConcurrentPuts).toBeGreaterThan(1);
    expect(rig.proxy.maxConcurrentPuts).toBeLessThanOrEqual(4);
    const bytes = seen.map((p) => p.bytesAcknowledged);
    expect(bytes).toEqual([...bytes].sort((a, b) => a - b));
    expect(seen.at(-1)).toMatchObject({
      bytesAcknowledged: outcome.size,
      partsDone: 10,
      etaSeconds: 0,
    });
    expect(seen.at(-1)?.bytesPerSecond).toBeGreaterThan(0);
    expect(await rig.storedSha256(store.externalId)).toBe(archive.sha256);
    expect(await waitForSettled(rig.harness, store.externalId, token)).toMatchObject({
      status: "restored",
    });
    expect(await loadUpload(db, migrationId)).toBeNull(); // bookkeeping gone once uploaded
  });

  it("rides out 500s, 503 SlowDown, resets, stalls and expired URLs; the object is identical", async () => {
    const { db } = database();
    const { migrationId, store, token } = await rig.newMigration(db);
    const archive = rig.makeArchive("faults", 40 * MiB);
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
    expect(await waitForSettled(rig.harness, store.externalId, token)).toMatchObject({
      status: "restored",
    });
  });

  it("fails clearly when faults outlast the retry budget, and the store records the abort", async () => {
    const { db } = database();
    const { migrationId, store, token } = await rig.newMigration(db);
    const archive = rig.makeArchive("doomed", 12 * MiB);
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
    const archive = rig.makeArchive("cancel", 30 * MiB);
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
    expect(rig.proxy.requests.filter((r) => r.method === "PUT").length).toBeLessThan(6);
  });
});
