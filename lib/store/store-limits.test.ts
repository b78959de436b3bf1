import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { writeBombArchive } from "@/lib/dump/testing/bomb";
import { adminUrl, describeEachEngine } from "@/lib/testing/engines";
import { callStore, createWithArchive } from "./testing/client";
import { startStoreHarness, waitForSettled, type StoreHarness } from "./testing/harness";
import { makeRealArchive, targetExists, type RealArchive } from "./testing/real-archive";

describeEachEngine("store limits", (database, engine) => {
  let harness: StoreHarness;
  let archive: RealArchive;
  beforeAll(async () => {
    harness = await startStoreHarness(database(), engine);
    archive = await makeRealArchive(engine, path.join(harness.tmp, "source.tar"), {
      scale: 0.02,
    });
  });
  afterAll(() => harness.close());

  /** One PUT and `uploaded`, then the store's verdict; the target it made must be gone. */
  async function refusal(file: string, sha256: string, size: number): Promise<string> {
    const created = await createWithArchive(harness, file);
    const before = harness.targets.length;
    const reply = await callStore(harness, "POST", `/${created.external_id}/uploaded`, {
      token: created.token,
      body: { sha256, size },
    });
    expect(reply).toMatchObject({ status: 202, body: { status: "received" } });
    const settled = await waitForSettled(harness, created.external_id, created.token);
    expect(settled.status).toBe("failed");
    expect(settled.tables).toBeNull();
    expect(harness.targets.length).toBe(before + 1);
    expect(await targetExists(harness.targets.at(-1)!, adminUrl())).toBe(false);
    return settled.reason!;
  }

  it("refuses a decompression bomb whose manifest tells the truth, and drops its target", async () => {
    const bomb = await writeBombArchive(archive.file, path.join(harness.tmp, "bomb.tar"), 1 << 30);
    const reason = await refusal(bomb.file, bomb.sha256, bomb.size);
    expect(reason).toMatch(
      /^Restore failed: Data file data\/\d{3}-settings\.0\.tsv\.gz inflates to more than 16 MiB, the most a data file may hold; it was refused\. Nothing was restored\.$/,
    );
  });

  it("refuses an archive with more text than LIFTOFF_STORE_MAX_RESTORE_BYTES allows", async () => {
    const text = archive.manifest.tables.reduce((n, t) => n + t.bytes, 0);
    harness.ctx.maxRestoreBytes = text - 1;
    try {
      const reason = await refusal(archive.file, archive.sha256, archive.size);
      expect(reason).toMatch(
        /^Restore failed: The archive's data inflates to more than .*, the most that is restored from one archive; it was refused\. Nothing was restored\.$/,
      );
    } finally {
      harness.ctx.maxRestoreBytes = Number.MAX_SAFE_INTEGER;
    }
  });
});
