import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { adminUrl, describeEachEngine } from "@/lib/testing/engines";
import { callStore, createWithArchive } from "./testing/client";
import { startStoreHarness, waitForSettled, type StoreHarness } from "./testing/harness";
import {
  makeRealArchive,
  tamperWithDataFile,
  targetDigests,
  targetExists,
  type RealArchive,
} from "./testing/real-archive";

describeEachEngine("store restores real dump archives", (database, engine) => {
  let harness: StoreHarness;
  let archive: RealArchive;
  beforeAll(async () => {
    harness = await startStoreHarness(database(), engine);
    archive = await makeRealArchive(engine, path.join(harness.tmp, "source.tar"), { scale: 0.1 });
  });
  afterAll(() => harness.close());

  /** What any client does with the create reply: one PUT to the presigned URL, then `uploaded`. */
  async function upload(file: string, sha256: string, size: number) {
    const created = await createWithArchive(harness, file);
    const reply = await callStore(harness, "POST", `/${created.external_id}/uploaded`, {
      token: created.token,
      body: { sha256, size },
    });
    expect(reply).toMatchObject({ status: 202, body: { status: "received" } });
    return created;
  }

  it("restores a seeded database row for row into a new database and reports the manifest's counts", async () => {
    expect(Object.values(archive.counts).reduce((a, b) => a + b, 0)).toBeGreaterThan(100);
    const created = await upload(archive.file, archive.sha256, archive.size);
    const settled = await waitForSettled(harness, created.external_id, created.token);
    expect(settled).toMatchObject({ status: "restored", reason: null });
    expect(settled.tables).toEqual(archive.counts);
    const target = harness.targets.at(-1)!;
    expect("database" in target ? target.database : target.dir).toContain(created.external_id);
    expect(await targetDigests(target)).toEqual(archive.digests);
  });

  it("refuses, with the loader's own checksums, an archive altered before its SHA-256 was taken, and drops the target", async () => {
    const tampered = await tamperWithDataFile(archive.file, path.join(harness.tmp, "tampered.tar"));
    expect(tampered.sha256).not.toBe(archive.sha256);
    const before = harness.targets.length;
    const created = await upload(tampered.file, tampered.sha256, tampered.size);
    const settled = await waitForSettled(harness, created.external_id, created.token);
    expect(settled.status).toBe("failed");
    expect(settled.tables).toBeNull();
    // Past the store's SHA-256 check: the dump loader found the flipped byte.
    expect(settled.reason).not.toMatch(/Checksum mismatch/);
    expect(settled.reason).toContain(tampered.entry);
    expect(settled.reason).not.toContain("..");
    expect(settled.reason).toMatch(
      /^Restore failed: Data file .* (is damaged|does not match its checksum).*Nothing was restored\.$/,
    );
    expect(harness.targets.length).toBe(before + 1);
    const target = harness.targets.at(-1)!;
    expect(await targetExists(target, adminUrl())).toBe(false);
  });
});
