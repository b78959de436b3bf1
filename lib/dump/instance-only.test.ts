import path from "node:path";
import zlib from "node:zlib";
import { eq } from "drizzle-orm";
import { expect, it } from "vitest";
import { settings } from "@/db/schema";
import { deriveSecretKey, type SecretKey } from "@/lib/secrets/cipher";
import { sessionSigningSecret } from "@/lib/settings";
import {
  CLOUD_KEY_SETTING,
  instanceOnlySettings,
  SESSION_SECRET_SETTING,
} from "@/lib/settings/instance-only";
import { createTestDatabase, describeEachEngine, resetDatabase } from "@/lib/testing/engines";
import { archiveEntries } from "./format/read-archive";
import { loadDumpArchive } from "./load/load";
import type { SecretOptions } from "./secrets";
import { dumpToFile, tempDir } from "./testing/fixtures";
import { verifyDumpArchive } from "./verify/verify";

/** Every byte the archive holds, data files decompressed: what its holder can read. */
async function readableText(file: string): Promise<string> {
  const parts: Buffer[] = [];
  for await (const entry of archiveEntries(file)) {
    parts.push(entry.kind === "data" ? zlib.gunzipSync(entry.data) : entry.data);
  }
  return Buffer.concat(parts).toString("latin1");
}

const instanceKey = deriveSecretKey("instance key for instance-only tests");

const cases: { label: string; key: SecretKey | null; secrets: SecretOptions }[] = [
  { label: "stored plaintext, kept", key: null, secrets: { mode: "keep", instanceKey: null } },
  { label: "encrypted, kept", key: instanceKey, secrets: { mode: "keep", instanceKey } },
  {
    label: "encrypted, plaintext dump",
    key: instanceKey,
    secrets: { mode: "plaintext", instanceKey },
  },
];

describeEachEngine("instance-only settings stay behind", (database, engine) => {
  const dir = tempDir();

  for (const { label, key, secrets } of cases) {
    it(`leaves the session secret out of the archive (${label}), and the copy makes its own`, async () => {
      const source = database();
      await resetDatabase(source);
      // Planted the way the app plants it: on the first request.
      const planted = await sessionSigningSecret(source.db, key);
      const [stored] = await source.db
        .select({ value: settings.value })
        .from(settings)
        .where(eq(settings.key, SESSION_SECRET_SETTING));
      await source.db.insert(settings).values([
        { key: "site.name", value: "Acme" },
        { key: "smtp.password", value: "smtp-planted-pw", secret: true },
        // The migration key an admin pasted: it stays behind too.
        { key: CLOUD_KEY_SETTING, value: "lok_planted-migration-key", secret: true },
      ]);

      const file = path.join(dir, `${engine}-${label.replace(/\W+/g, "-")}.tar`);
      const result = await dumpToFile(source, file, { secrets });

      const text = await readableText(file);
      expect(text).not.toContain(planted);
      expect(text).not.toContain(stored!.value);
      expect(text).toContain("site.name");
      expect(text).not.toContain("lok_planted-migration-key");
      expect(result.manifest.excludedSettings).toEqual([...instanceOnlySettings]);
      // The one secret that travels is counted; the one that stays is not.
      expect(result.manifest.secrets.count).toBe(1);
      expect(result.manifest.tables.find((t) => t.name === "settings")?.rows).toBe(2);

      const verified = await verifyDumpArchive(file);
      expect(verified.manifest.tables).toEqual(result.manifest.tables);

      const target = await createTestDatabase(engine, { migrate: false });
      try {
        await loadDumpArchive(target, file);
        const keys = (await target.db.select({ key: settings.key }).from(settings)).map(
          (r) => r.key,
        );
        expect(keys.sort()).toEqual(["site.name", "smtp.password"]);
        // First start of the copy: it signs sessions with a secret of its own.
        const own = await sessionSigningSecret(target.db, key);
        expect(own).toMatch(/^[A-Za-z0-9_-]{43}$/);
        expect(own).not.toBe(planted);
        expect(await sessionSigningSecret(target.db, key)).toBe(own);
      } finally {
        await target.drop();
      }
    }, 120_000);
  }
});
