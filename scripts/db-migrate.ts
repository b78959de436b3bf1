import { appDatabaseOptions, migrateDatabase, openDatabase } from "@/db/client";

const handle = await openDatabase(appDatabaseOptions());
try {
  await migrateDatabase(handle);
  console.log(`Database migrated (${handle.engine}).`);
} finally {
  await handle.close();
}
