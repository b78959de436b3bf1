import postgres from "postgres";
import { adminUrl, testEngines } from "./engines";
import { makeTemplates } from "./templates";

/**
 * Fails the run at once, with what to do, when PostgreSQL is not there; then
 * makes the migrated databases the tests copy (see templates.ts) and returns
 * their clean-up.
 */
export default async function setup(): Promise<() => Promise<void>> {
  await checkPostgres();
  return makeTemplates(testEngines(), adminUrl());
}

async function checkPostgres(): Promise<void> {
  if (!testEngines().includes("postgres")) return;
  const sql = postgres(adminUrl(), { max: 1, connect_timeout: 5, onnotice: () => {} });
  try {
    await sql`select 1`;
  } catch (error) {
    throw new Error(
      `Integration tests run on PostgreSQL too, but ${adminUrl()} is not reachable (${String(error)}). ` +
        "Start PostgreSQL, point TEST_DATABASE_URL at a server where this user may create databases, " +
        "or set LIFTOFF_TEST_ENGINES=pglite to run on the embedded engine only.",
    );
  } finally {
    await sql.end();
  }
}
