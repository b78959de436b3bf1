import os from "node:os";
import { expect, it } from "vitest";
import { clusterNodes } from "@/db/schema";
import { describeEachEngine } from "@/lib/testing/engines";
import { startNodeServices } from "./node";

describeEachEngine("a node starting up", (database) => {
  it("forgets the rows of dead processes on its host, and only those", async () => {
    const { db } = database();
    const old = new Date(Date.now() - 60 * 60_000);
    const row = (id: string, host: string, pid: number) => ({
      id,
      host,
      pid,
      appVersion: "0.0.0",
      lastSeenAt: old,
    });
    // Pids above the kernel's pid_max (4194304 at most) never run.
    const deadPid = 4_194_305;
    await db
      .insert(clusterNodes)
      .values([
        row("here-dead", os.hostname(), deadPid),
        row("here-alive", os.hostname(), process.pid),
        row("elsewhere", "another-host.example", deadPid),
      ]);
    const services = await startNodeServices(database(), { jobs: [] });
    try {
      const ids = (await db.select({ id: clusterNodes.id }).from(clusterNodes)).map((r) => r.id);
      expect(ids.sort()).toEqual(["elsewhere", "here-alive", services.nodeId].sort());
    } finally {
      await services.stop();
    }
  });
});
