import { defineConfig } from "@playwright/test";
import { chromiumArgs, chromiumPath } from "./scripts/chromium.mjs";

const port = Number(process.env.E2E_PORT || 3100);
/** A second server, seeded, for the migration: see e2e/04-migrate.spec.ts. */
export const seededPort = port + 1;
export const seededAdmin = { email: "migrator@example.test", password: "migrate-me-please-1" };

/**
 * End-to-end tests against the built server (`npm start` with an empty
 * embedded database of its own) in Debian's Chromium — never a downloaded
 * browser. Spec files run in name order on one server: 01-foundation sets up
 * the first admin on the fresh database; later specs make sure of their users
 * themselves (e2e/fixtures.ts).
 */
export default defineConfig({
  testDir: "e2e",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  reporter: [["list"]],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: { executablePath: chromiumPath, args: chromiumArgs },
  },
  webServer: [
    {
      command: "node scripts/e2e-server.mjs",
      url: `http://127.0.0.1:${port}/login`,
      timeout: 180_000,
      reuseExistingServer: false,
      env: { PORT: String(port), LIFTOFF_DATA_DIR: ".data-e2e", LIFTOFF_LOG_LEVEL: "warn" },
    },
    {
      command: "node scripts/e2e-server.mjs",
      url: `http://127.0.0.1:${seededPort}/login`,
      timeout: 300_000,
      reuseExistingServer: false,
      env: {
        PORT: String(seededPort),
        LIFTOFF_DATA_DIR: ".data-e2e-seeded",
        LIFTOFF_LOG_LEVEL: "warn",
        E2E_SEED_SCALE: "40",
        E2E_ADMIN_EMAIL: seededAdmin.email,
        LIFTOFF_ADMIN_PASSWORD: seededAdmin.password,
      },
    },
  ],
});
