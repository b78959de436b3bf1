import type { RestoreQueue } from "./restore-queue";

// The restore queue this server process started (from-env.ts), kept apart
// from from-env.ts so that the shutdown hook can reach it without loading the
// store's server-only configuration.
const holder = globalThis as unknown as { liftoffStoreRestores?: RestoreQueue };

export function registerStoreRestores(restores: RestoreQueue): void {
  holder.liftoffStoreRestores = restores;
}

/** Stops this process's restore workers, if the store started: bounded wait for restores under way. */
export async function stopStoreRestores(): Promise<void> {
  const restores = holder.liftoffStoreRestores;
  holder.liftoffStoreRestores = undefined;
  await restores?.stop();
}
