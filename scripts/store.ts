/**
 * npm run store [-- serve]
 * npm run store -- issue-key --label WHO | revoke-key ID|PREFIX | list-keys
 * The cloud side (the store) as a server of its own: its own port
 * (STORE_HOST, STORE_PORT), its own database (STORE_DATABASE_URL, or an
 * embedded one under the data folder), its own object storage (LIFTOFF_S3_*).
 * Instances reach it over HTTP only (lib/store-contract). Several store
 * processes may share one PostgreSQL database and one bucket: restores are
 * jobs on that database's queue, run by whichever node is free.
 *
 * Prints "Liftoff store ready on <url>" once it serves (`npm start` reads
 * that line when it runs a local store beside the instance). SIGTERM or
 * SIGINT stop it: restores under way get a bounded wait, then go back to the
 * queue for the next start or another node.
 */
import { readStoreEnv } from "@/lib/store/config";
import { handleStoreRequest } from "@/lib/store";
import { openStore, openStoreDatabase } from "@/lib/store/from-env";
import { runKeyCommand } from "@/lib/store/key-commands";
import { keyLimitsFromEnv } from "@/lib/store/keys";
import { serveFetchHandler } from "@/lib/store/serve";
import { log } from "@/lib/log";

const usage = `Usage: npm run store [-- serve]
       npm run store -- issue-key --label WHO [--max-open N] [--max-bytes N]
       npm run store -- revoke-key ID|PREFIX
       npm run store -- list-keys`;
const keyCommands = new Set(["issue-key", "revoke-key", "list-keys"]);

/** A migration key command on the store's database (an embedded one: with the store stopped). */
async function keys(argv: string[]): Promise<number> {
  const env = readStoreEnv();
  const handle = await openStoreDatabase(env);
  try {
    return await runKeyCommand(argv, handle.db, process.stdout, keyLimitsFromEnv(env));
  } finally {
    await handle.close();
  }
}

async function serve(): Promise<void> {
  const env = readStoreEnv();
  const store = await openStore(env);
  const served = await serveFetchHandler((request) => handleStoreRequest(store.context, request), {
    host: env.STORE_HOST,
    port: env.STORE_PORT,
  });
  console.log(`Liftoff store ready on ${served.url}`);
  log.info({ url: served.url, engine: store.handle.engine }, "store ready");
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void served
      .close()
      .then(() => store.close())
      .catch((error: unknown) => log.error({ err: error }, "store stop failed"))
      .finally(() => process.exit(0));
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

const [command = "serve"] = process.argv.slice(2);
try {
  if (command === "serve") await serve();
  else if (keyCommands.has(command)) process.exit(await keys(process.argv.slice(2)));
  else {
    console.error(`Unknown command "${command}".\n${usage}`);
    process.exit(2);
  }
} catch (error) {
  console.error(
    `The store could not start: ${error instanceof Error ? error.message : String(error)}`,
  );
  process.exit(1);
}
