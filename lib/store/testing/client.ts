import fs from "node:fs";
import type { StoreHarness } from "./harness";
import { appVersion } from "@/lib/config/version";
import { codeMigrations } from "@/lib/dump/migrations";
import { createdReply, storeApiPaths } from "@/lib/store-contract";

export interface Reply {
  status: number;
  body: { error?: { code: string; message: string }; [field: string]: unknown };
}

/** One store call as the instance makes it, for tests that probe the routes directly. */
export async function callStore(
  harness: StoreHarness,
  method: string,
  route: string,
  options: { token?: string; body?: unknown } = {},
  path: string = storeApiPaths.migrations,
): Promise<Reply> {
  const response = await fetch(`${harness.api.url}${path}${route}`, {
    method,
    headers: {
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...(options.body !== undefined ? { "content-type": "application/json" } : {}),
    },
    body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
  });
  return { status: response.status, body: (await response.json()) as Reply["body"] };
}

export const instanceVersion = {
  app_version: appVersion,
  schema_migration_id: codeMigrations().at(-1)!.id,
};

/** Opens a migration with the harness's key (or `key`, for the limit tests). */
export async function createStoreMigration(
  harness: StoreHarness,
  instanceId = "instance-a",
  key = harness.migrationKey,
) {
  const reply = await callStore(harness, "POST", "", {
    token: key,
    body: { ...instanceVersion, instance_id: instanceId },
  });
  if (reply.status !== 201) throw new Error(`create failed: ${JSON.stringify(reply.body)}`);
  // Every test that opens a migration checks the real reply against the contract, in full.
  return createdReply.parse(reply.body);
}

/** A store migration with `file` already PUT to its upload URL, as an uploader leaves it before `uploaded`. */
export async function createWithArchive(harness: StoreHarness, file: string) {
  const created = await createStoreMigration(harness);
  const put = await fetch(created.upload_url, {
    method: "PUT",
    headers: created.upload_headers,
    body: new Uint8Array(fs.readFileSync(file)),
  });
  if (put.status !== 200) throw new Error(`the archive PUT answered ${put.status}`);
  return created;
}
