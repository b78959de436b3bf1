import type { ChildProcess } from "node:child_process";

export declare function startLocalStore(options: {
  root: string;
  env: NodeJS.ProcessEnv;
  timeoutMs?: number;
  onLine?: (line: string) => void;
}): Promise<{ url: string; child: ChildProcess }>;
