import type { NodeServices } from "@/lib/cluster/node";

// The services this server process started (instrumentation.ts), for code
// that needs to know which node it runs on.
const holder = globalThis as unknown as { liftoffNode?: NodeServices };

export function registerLocalNode(services: NodeServices): void {
  holder.liftoffNode = services;
}

export function localNode(): NodeServices {
  if (!holder.liftoffNode) throw new Error("node services have not started in this process");
  return holder.liftoffNode;
}
