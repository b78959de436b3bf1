import type { ChildProcess } from "node:child_process";

export declare function freePort(host?: string): Promise<number>;

export declare function startLocalStore(options: {
  root: string;
  env: NodeJS.ProcessEnv;
  timeoutMs?: number;
  onLine?: (line: string) => void;
}): { child: ChildProcess; ready: Promise<string> };
