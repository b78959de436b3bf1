import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { eq, sql } from "drizzle-orm";
import { expect, it } from "vitest";
import { storeMigrationKeys } from "@/db/schema";
import { describeEachEngine } from "@/lib/testing/engines";
import { runKeyCommand } from "./key-commands";
import { ensureLocalKey, findLiveKey, revokeKey } from "./keys";

/** The operator's commands and the local key, on both engines; the plaintext is never stored. */
describeEachEngine("store key commands", (database) => {
  async function run(...argv: string[]) {
    let text = "";
    const code = await runKeyCommand(argv, database().db, { write: (t: string) => (text += t) });
    return { code, text };
  }

  it("issue-key prints the key once and stores only its hash; list-keys shows no secret", async () => {
    const issued = await run("issue-key", "--label", "acme staging", "--max-open", "3");
    expect(issued.code).toBe(0);
    const key = /\b(lok_[A-Za-z0-9_-]{43})\b/.exec(issued.text)?.[1];
    expect(key).toBeDefined();
    expect(issued.text).toMatch(/for "acme staging"/);
    expect(issued.text).toMatch(/Limits: 3 open migrations, 50 GiB\./);
    const hash = createHash("sha256").update(key!).digest("hex");
    const [row] = await database()
      .db.select()
      .from(storeMigrationKeys)
      .where(eq(storeMigrationKeys.keyHash, hash));
    expect(row).toMatchObject({ label: "acme staging", maxOpenMigrations: 3 });
    // Not in any column of the table, nor anywhere in the store's schema.
    const everything = await database().db.execute(sql`select * from store.migration_keys`);
    expect(JSON.stringify(everything)).not.toContain(key!.slice(4));

    const listed = await run("list-keys");
    expect(listed.code).toBe(0);
    expect(listed.text).toContain(`${row!.id}\t${key!.slice(0, 12)}…\tlive\t"acme staging"`);
    expect(listed.text).not.toContain(key!.slice(12));
    expect(listed.text).not.toContain(hash);
  });

  it("revoke-key by id or by prefix; the key stops working; unknown keys and bad usage fail", async () => {
    const one = await run("issue-key", "--label", "by id");
    const two = await run("issue-key", "--label", "by prefix");
    const keyOf = (text: string) => /\b(lok_[A-Za-z0-9_-]{43})\b/.exec(text)![1]!;
    const [first, second] = [keyOf(one.text), keyOf(two.text)];
    const firstRow = await findLiveKey(database().db, first);
    expect(firstRow).not.toBeNull();
    const byId = await run("revoke-key", String(firstRow!.id));
    expect(byId).toMatchObject({ code: 0 });
    expect(byId.text).toMatch(/is revoked since/);
    expect(await findLiveKey(database().db, first)).toBeNull();
    expect((await run("revoke-key", second.slice(0, 12))).code).toBe(0);
    expect(await findLiveKey(database().db, second)).toBeNull();
    expect((await run("list-keys")).text).toMatch(/\trevoked \d{4}-/);

    expect(await run("revoke-key", "lok_nosuchkey")).toMatchObject({
      code: 1,
      text: "No key lok_nosuchkey.\n",
    });
    expect((await run("issue-key")).code).toBe(1);
    expect((await run("issue-key", "--label", "x", "--max-open", "many")).code).toBe(1);
    expect((await run("issue-key", "--lable", "typo")).code).toBe(2);
    expect((await run("frobnicate")).code).toBe(2);
  });

  it("ensureLocalKey keeps a live key, replaces a revoked or missing one, file mode 0600", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "liftoff-local-key-"));
    try {
      const file = path.join(dir, "store-keys", "local-instance.key");
      const first = await ensureLocalKey(database().db, file);
      expect(first.issued).toBe(true);
      expect(fs.readFileSync(file, "utf8").trim()).toBe(first.key);
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      expect((await findLiveKey(database().db, first.key))?.label).toBe("local instance");

      const again = await ensureLocalKey(database().db, file);
      expect(again).toEqual({ key: first.key, issued: false });

      await revokeKey(database().db, first.key.slice(0, 12));
      const replaced = await ensureLocalKey(database().db, file);
      expect(replaced.issued).toBe(true);
      expect(replaced.key).not.toBe(first.key);
      expect(fs.readFileSync(file, "utf8").trim()).toBe(replaced.key);

      fs.writeFileSync(file, "garbage\n");
      expect((await ensureLocalKey(database().db, file)).issued).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
