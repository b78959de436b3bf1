import path from "node:path";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    alias: {
      "@": path.resolve(import.meta.dirname),
      // `server-only` throws outside a React server bundle; tests are server code.
      "server-only": path.resolve(import.meta.dirname, "lib/testing/empty-module.ts"),
    },
  },
  test: {
    include: ["lib/**/*.test.ts", "db/**/*.test.ts"],
    environment: "node",
    testTimeout: 30_000,
    // Vitest's default is one worker per core but one (2 cores: 1 worker, all
    // files in a row). Most files here wait on PostgreSQL, child processes and
    // sockets rather than the CPU, so two share two cores well.
    maxWorkers: 2,
    hookTimeout: 60_000,
    globalSetup: ["lib/testing/global-setup.ts"],
    // Refusal tests make the code under test log on purpose: keep the output for failures.
    env: { LIFTOFF_LOG_LEVEL: process.env.LIFTOFF_LOG_LEVEL ?? "fatal" },
  },
});
