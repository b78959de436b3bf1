import { afterAll, beforeAll, describe } from "vitest";
import type { Engine } from "@/db/client";
import { createTestDatabase, testEngines, type TestDatabase } from "./databases";

export * from "./databases";

/**
 * Runs the same suite on every engine: each engine gets its own fresh
 * database for the suite, dropped afterwards.
 */
export function describeEachEngine(
  title: string,
  body: (database: () => TestDatabase, engine: Engine) => void,
): void {
  for (const engine of testEngines()) {
    describe(`${title} [${engine}]`, () => {
      let handle: TestDatabase | undefined;
      beforeAll(async () => {
        handle = await createTestDatabase(engine);
      });
      afterAll(async () => {
        await handle?.drop();
      });
      body(() => {
        if (!handle) throw new Error("test database not ready");
        return handle;
      }, engine);
    });
  }
}
