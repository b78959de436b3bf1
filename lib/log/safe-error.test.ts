import { sql } from "drizzle-orm";
import { beforeAll, expect, it } from "vitest";
import { createDataSource } from "@/lib/data-sources";
import { publicFailureMessage } from "@/lib/errors";
import { describeEachEngine, resetDatabase } from "@/lib/testing/engines";
import { insertUser } from "@/lib/testing/fixtures";
import { createLogger } from "./index";

const planted = "planted-ds-password-for-the-log-3b9d";

/** The app's logger writing its lines here instead of stdout. */
function capturedLogger() {
  const lines: string[] = [];
  const logger = createLogger({ write: (line: string) => void lines.push(line) });
  logger.level = "info";
  return { logger, text: () => lines.join("") };
}

describeEachEngine("database errors in the log", (database) => {
  beforeAll(async () => {
    const { db } = database();
    await resetDatabase(database());
    // A rule the use case does not expect, so its error goes to the log as
    // the action wrapper logs it — with the password among the query's parameters.
    await db.execute(sql`alter table data_sources drop constraint if exists no_forbidden_host`);
    await db.execute(
      sql`alter table data_sources add constraint no_forbidden_host check (details->>'host' <> 'forbidden.example')`,
    );
  });

  it("are logged by SQLSTATE, constraint and table, never with the query's parameters", async () => {
    const { db } = database();
    const admin = await insertUser(db, { role: "admin" });
    const input = {
      name: "warehouse",
      engine: "postgres" as const,
      host: "forbidden.example",
      port: 5432,
      database: "dwh",
      user: "reader",
      ssl: true,
      password: planted,
    };
    const error = await createDataSource(db, admin, input, null).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    // What would have leaked: the raw error holds the password and the query.
    const raw = JSON.stringify(error, Object.getOwnPropertyNames(error)) + String(error);
    expect(raw).toContain(planted);

    const { logger, text } = capturedLogger();
    logger.error({ err: error, action: "createDataSource", actorId: admin.id }, "action failed");
    const line = text();
    expect(line).not.toContain(planted);
    expect(line).not.toContain("insert into");
    expect(line).not.toContain("violates check constraint");
    const logged = JSON.parse(line) as { err: { database: Record<string, string> } };
    expect(logged.err.database).toMatchObject({
      sqlstate: "23514",
      constraint: "no_forbidden_host",
      table: "data_sources",
    });

    const shown = publicFailureMessage(error, "Saving");
    expect(shown).toBe(
      "Saving stopped on a database error (SQLSTATE 23514, constraint no_forbidden_host, table data_sources). Details are in the server log.",
    );
  });

  it("keeps other errors' messages, and drops a query or parameters they carry", () => {
    const { logger, text } = capturedLogger();
    const error = Object.assign(new Error("disk full"), { params: [planted] });
    Object.assign(error, { code: "ENOSPC" });
    // An error that carries parameters counts as a database error: nothing of it but names.
    logger.warn({ err: error }, "odd");
    expect(text()).not.toContain(planted);
    const plain = capturedLogger();
    plain.logger.warn({ err: new Error("the store answered 503") }, "store");
    expect(plain.text()).toContain("the store answered 503");
    expect(publicFailureMessage(new Error(`oops ${planted}`), "The migration")).toBe(
      "The migration stopped on an unexpected error. Details are in the server log.",
    );
    expect(
      publicFailureMessage(
        Object.assign(new Error("no space"), { code: "ENOSPC" }),
        "The migration",
      ),
    ).toContain("(ENOSPC)");
  });
});
