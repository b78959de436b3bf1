import { spawnSync } from "node:child_process";

/**
 * An archive command as a user runs it (`npm run <script> -- <args>`) on
 * the embedded database in `dataDir`, with every setting that could leak in
 * from the test's own environment cleared; `env` sets what the case needs.
 */
export function runArchiveCli(
  script: string,
  args: string[],
  dataDir: string,
  env: Record<string, string> = {},
): { status: number | null; output: string } {
  const result = spawnSync("npm", ["run", "--silent", script, "--", ...args], {
    encoding: "utf8",
    env: {
      ...process.env,
      LIFTOFF_DATA_DIR: dataDir,
      DATABASE_URL: "",
      LIFTOFF_LOG_LEVEL: "silent",
      LIFTOFF_ENCRYPTION_KEY: "",
      LIFTOFF_ARCHIVE_PASSPHRASE: "",
      LIFTOFF_STORE_SEALING_KEY: "",
      ...env,
    },
  });
  return { status: result.status, output: result.stdout + result.stderr };
}
