#!/usr/bin/env node
// `npm test`: every check, in the order that fails fastest — lint (typed
// rules), formatting, types, unit and integration tests on PGlite and
// PostgreSQL, then the end-to-end tests in Chromium against the built server.
// Ends with one line: "N passed, N failed".
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const reports = fs.mkdtempSync(path.join(os.tmpdir(), "liftoff-test-"));
const vitestReport = path.join(reports, "vitest.json");
const playwrightReport = path.join(reports, "playwright.json");

const steps = [
  ["lint", ["npx", "eslint", ".", "--max-warnings", "0"]],
  ["format", ["npx", "prettier", "--check", ".", "--log-level", "warn"]],
  ["types", ["npx", "tsc", "--noEmit"]],
  [
    "unit+integration",
    [
      "npx",
      "vitest",
      "run",
      "--reporter=default",
      "--reporter=json",
      `--outputFile.json=${vitestReport}`,
    ],
  ],
  ["build", ["npx", "next", "build"]],
  [
    "e2e",
    ["npx", "playwright", "test", "--reporter=list,json"],
    { PLAYWRIGHT_JSON_OUTPUT_NAME: playwrightReport },
  ],
];

let failedStep = null;
for (const [name, [command, ...args], extraEnv] of steps) {
  console.log(`\n── ${name}: ${[command, ...args].join(" ")}`);
  const result = spawnSync(command, args, {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, ...extraEnv },
  });
  if (result.status !== 0) {
    failedStep = name;
    break;
  }
}

function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8"));
  } catch {
    return null;
  }
}

let passed = 0;
let failed = 0;
const vitest = readJson(vitestReport);
if (vitest) {
  passed += vitest.numPassedTests;
  failed += vitest.numFailedTests;
}
const playwright = readJson(playwrightReport);
if (playwright) {
  passed += playwright.stats.expected;
  failed += playwright.stats.unexpected + playwright.stats.flaky;
}
if (failedStep) console.log(`\nStep "${failedStep}" failed.`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failedStep ? 1 : 0);
