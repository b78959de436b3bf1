import { fork, type ChildProcess } from "node:child_process";
import path from "node:path";

export interface ChildReply {
  id?: number;
  ok: boolean;
  code?: string | null;
  message?: string;
  at?: number;
  state?: { enabled: boolean };
}

/** Drives lib/testing/node-process.ts: a real second process on the same database. */
export class ChildNode {
  private nextId = 1;
  private readonly waiting = new Map<number, (reply: ChildReply) => void>();
  readonly jobRuns: number[] = [];

  private constructor(private readonly child: ChildProcess) {
    child.on("message", (message: ChildReply & { event?: string }) => {
      if (message.event === "job-ran") this.jobRuns.push(message.at ?? Date.now());
      if (message.id !== undefined) this.waiting.get(message.id)?.(message);
    });
  }

  static async start(databaseUrl: string): Promise<ChildNode> {
    const child = fork(path.resolve(import.meta.dirname, "node-process.ts"), {
      execArgv: ["--import", "tsx"],
      env: { ...process.env, LIFTOFF_TEST_NODE_URL: databaseUrl, LIFTOFF_LOG_LEVEL: "silent" },
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    await new Promise<void>((resolve, reject) => {
      child.once("error", reject);
      child.once("exit", (code) => reject(new Error(`child node exited with ${code}`)));
      child.on("message", (message: { event?: string }) => {
        if (message.event === "ready") resolve();
      });
    });
    return new ChildNode(child);
  }

  send(cmd: "write" | "enable" | "disable" | "local-state" | "stop"): Promise<ChildReply> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.child.send({ id, cmd });
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once("exit", resolve));
    await this.send("stop");
    await exited;
  }

  kill(): void {
    this.child.kill("SIGKILL");
  }
}
