import { spawn } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrateDatabase, openDatabase } from "@/db/client";
import { waitForSettled } from "@/lib/store/testing/harness";
import { createTestDatabase, testEngines, type TestDatabase } from "@/lib/testing/engines";
import { loadParts } from "./parts-repo";
import { startUploadRig, type UploadRig } from "./testing/rig";

const MiB = 1024 * 1024;
const child = path.resolve("lib/upload/testing/upload-child.ts");

/** Runs the uploader in a child; `killAfterParts` kill -9s it once that many parts were acknowledged. */
function runChild(input: object, killAfterParts?: number) {
  return new Promise<{ parts: number[]; killed: boolean; output: string }>((resolve, reject) => {
    // `node --import tsx`, not the tsx CLI: the CLI runs the script in a
    // grandchild that a SIGKILL to the CLI would leave running.
    const proc = spawn(process.execPath, ["--import", "tsx", child], {
      env: {
        ...process.env,
        LIFTOFF_UPLOAD_CHILD: JSON.stringify(input),
        LIFTOFF_LOG_LEVEL: "silent",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const parts: number[] = [];
    let output = "";
    proc.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      for (const match of chunk.toString().matchAll(/^part (\d+)$/gm)) parts.push(Number(match[1]));
      if (killAfterParts !== undefined && parts.length >= killAfterParts) proc.kill("SIGKILL");
    });
    proc.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    proc.on("error", reject);
    proc.on("exit", (_code, signal) => resolve({ parts, killed: signal === "SIGKILL", output }));
  });
}

for (const engine of testEngines()) {
  describe(`upload resume after kill -9 [${engine}]`, () => {
    let storeDb: TestDatabase;
    let rig: UploadRig;
    beforeAll(async () => {
      storeDb = await createTestDatabase(engine);
      rig = await startUploadRig(storeDb, engine);
    });
    afterAll(async () => {
      await rig.close();
      await storeDb.drop();
    });

    it("continues with the missing parts only and produces an identical object", async () => {
      // The instance's database: a folder (PGlite) or a database (PostgreSQL) both processes can open in turn.
      const instance =
        engine === "postgres"
          ? await createTestDatabase("postgres")
          : await openDatabase({ pgliteDir: path.join(rig.harness.tmp, "instance-db") });
      const location =
        engine === "postgres"
          ? { databaseUrl: (instance as TestDatabase).url }
          : { pgliteDir: path.join(rig.harness.tmp, "instance-db") };
      if (engine === "pglite") await migrateDatabase(instance);
      const { migrationId, store, token } = await rig.newMigration(instance.db);
      if (engine === "pglite") await instance.close(); // one process at a time on a PGlite folder
      // A real dump of 5 parts: 4 of 5 MiB and the rest.
      const archive = await rig.makeArchive("resume", { scale: 0.05, ballastMiB: 28 });
      const total = Math.ceil(archive.size / (5 * MiB));
      expect(total).toBe(5);
      const input = {
        ...location,
        migrationId,
        storeUrl: rig.harness.api.url,
        externalId: store.externalId,
        token,
        file: archive.file,
        partSize: 5 * MiB,
        concurrency: 2,
      };
      rig.proxy.delayMs = 150; // slow enough to be killed with parts still in flight
      const first = await runChild(input, 2);
      expect(first.killed).toBe(true);

      const reopened = engine === "postgres" ? instance : await openDatabase(location);
      const saved = (await loadParts(reopened.db, migrationId)).map((p) => p.n);
      if (engine === "pglite") await reopened.close();
      expect(saved.length).toBeGreaterThanOrEqual(2);
      expect(saved.length).toBeLessThan(total);

      rig.proxy.delayMs = 0;
      rig.proxy.requests.length = 0;
      const second = await runChild(input);
      expect(second.output).toMatch(/^done /m);
      const resent = rig.proxy.requests.filter((r) => r.method === "PUT").map((r) => r.partNumber);
      const all = Array.from({ length: total }, (_, i) => i + 1);
      expect([...resent].sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual(
        all.filter((n) => !saved.includes(n)),
      );
      expect(await rig.storedSha256(store.externalId)).toBe(archive.sha256);
      const settled = await waitForSettled(rig.harness, store.externalId, token);
      expect(settled).toMatchObject({ status: "restored", tables: archive.counts });
      expect(await rig.restoredDigests(store.externalId)).toEqual(archive.digests);
      if (engine === "postgres") await (instance as TestDatabase).drop();
    }, 90_000);
  });
}
