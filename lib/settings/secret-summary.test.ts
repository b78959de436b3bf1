import { expect, it } from "vitest";
import { dataSources, settings } from "@/db/schema";
import { describeEachEngine } from "@/lib/testing/engines";
import { insertUser } from "@/lib/testing/fixtures";
import { SESSION_SECRET_SETTING } from "./instance-only";
import { secretStorageSummary } from ".";

describeEachEngine("secret storage summary", (database) => {
  it("counts the session secret as stored in plaintext but not as leaving in an archive", async () => {
    const { db } = database();
    const admin = await insertUser(db, { role: "admin" });
    await db.insert(settings).values([
      { key: SESSION_SECRET_SETTING, value: "planted-session-secret", secret: true },
      { key: "smtp.password", value: "planted-smtp-password", secret: true },
      { key: "smtp.host", value: "mail.example.test", secret: false },
    ]);
    await db.insert(dataSources).values({
      name: "warehouse",
      engine: "postgres",
      details: { host: "h", port: 5432, database: "d", user: "u", password: "pw", ssl: false },
      createdById: admin.id,
    });
    expect(await secretStorageSummary(db)).toEqual({
      encrypted: 0,
      plaintext: 3,
      plaintextInArchive: 2,
    });
  });
});
