import { appDatabaseOptions, migrateDatabase, openDatabase } from "@/db/client";
import { instanceSecretKey } from "@/lib/secrets";
import {
  measureTables,
  parseSeedArgs,
  seedDatabase,
  seedUsage,
  UsageError,
  type SeedCommand,
  type SeedTable,
} from "@/lib/seed";

const megabytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MB`;

async function seed(command: Extract<SeedCommand, { help: false }>): Promise<void> {
  const secretKey = instanceSecretKey();
  const started = performance.now();
  const handle = await openDatabase(appDatabaseOptions());
  try {
    await migrateDatabase(handle);
    console.log(
      `Seeding ${handle.engine} at scale ${command.scale} with seed ${command.seed}; ` +
        `secrets ${secretKey ? "encrypted" : "in plaintext (LIFTOFF_ENCRYPTION_KEY is not set)"}.`,
    );
    // One line when a table is finished, and one every few seconds on big ones.
    let last: { table: SeedTable; inserted: number; total: number } | undefined;
    let printedAt = performance.now();
    const print = (p: NonNullable<typeof last>) => {
      console.log(`  ${p.table.padEnd(16)} ${p.inserted}/${p.total}`);
      printedAt = performance.now();
    };
    const counts = await seedDatabase(handle.db, {
      scale: command.scale,
      seed: command.seed,
      secretKey,
      onProgress: (progress) => {
        if (last && last.table !== progress.table) print(last);
        else if (performance.now() - printedAt > 3000) print(progress);
        last = progress;
      },
    });
    if (last) print(last);

    const sizes = await measureTables(handle.db);
    console.log(`\n${"table".padEnd(16)} ${"inserted".padStart(10)} ${"rows".padStart(10)}  size`);
    for (const { table, rows, bytes } of sizes) {
      const inserted = counts[table as SeedTable] ?? 0;
      console.log(
        `${table.padEnd(16)} ${String(inserted).padStart(10)} ${String(rows).padStart(10)}  ${megabytes(bytes)}`,
      );
    }
    const totalBytes = sizes.reduce((sum, s) => sum + s.bytes, 0);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(
      `\nTables now take ${megabytes(totalBytes)} (${totalBytes} bytes). Took ${seconds} s.`,
    );
  } finally {
    await handle.close();
  }
}

async function main(): Promise<number> {
  let command: SeedCommand;
  try {
    command = parseSeedArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${error.message}\n\n${seedUsage}`);
    return 2;
  }
  if (command.help) {
    console.log(seedUsage);
    return 0;
  }
  await seed(command);
  return 0;
}

process.exitCode = await main().catch((error: unknown) => {
  console.error(`Seeding failed: ${error instanceof Error ? error.message : String(error)}`);
  return 1;
});
