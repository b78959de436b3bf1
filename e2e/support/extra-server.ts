import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

/**
 * A server of the spec's own, for what needs its own configuration or a
 * throwaway database: the real `npm start` path (scripts/start.mjs, then the
 * custom server), on a fresh embedded database, without a local store. The app is
 * already built by the config's web servers.
 */
export class ExtraServer {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    private readonly dataDir: string,
  ) {}

  static async start(options: {
    port: number;
    env?: Record<string, string>;
  }): Promise<ExtraServer> {
    const root = path.resolve(import.meta.dirname, "..", "..");
    const dataDir = path.join(root, `.data-e2e-extra-${options.port}`);
    fs.rmSync(dataDir, { recursive: true, force: true });
    const url = `http://127.0.0.1:${options.port}`;
    const child = spawn(process.execPath, [path.join(root, "scripts", "start.mjs")], {
      cwd: root,
      stdio: ["ignore", "ignore", "inherit"],
      env: {
        ...process.env,
        PORT: String(options.port),
        LIFTOFF_DATA_DIR: dataDir,
        // A cloud that is not there: no local store starts beside this server.
        LIFTOFF_CLOUD_URL: "http://127.0.0.1:9",
        LIFTOFF_LOG_LEVEL: "warn",
        ...options.env,
      },
    });
    const server = new ExtraServer(child, url, dataDir);
    const deadline = Date.now() + 120_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
      try {
        const response = await fetch(`${url}/login`, { redirect: "manual" });
        if (response.status < 500) return server;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        await server.stop();
        throw new Error(`server on ${url} did not start`);
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((resolve) => this.child.once("exit", resolve));
      this.child.kill("SIGINT");
      await exited;
    }
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** next-auth's credentials sign-in as a browser's form would post it, cookies carried by hand. */
export async function postCredentials(
  baseUrl: string,
  credentials: { email: string; password: string },
  headers: Record<string, string> = {},
): Promise<{ error: string | null }> {
  const csrf = await fetch(`${baseUrl}/api/auth/csrf`, { headers });
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  const cookie = csrf.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
  const response = await fetch(`${baseUrl}/api/auth/callback/credentials`, {
    method: "POST",
    redirect: "manual",
    headers: { ...headers, cookie, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ ...credentials, csrfToken, json: "true" }),
  });
  const location =
    response.headers.get("location") ?? ((await response.json()) as { url: string }).url;
  return { error: new URL(location, baseUrl).searchParams.get("error") };
}
