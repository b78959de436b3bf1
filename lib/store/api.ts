import { z } from "zod";
import { AppError, RateLimitedError } from "@/lib/errors";
import { jsonError } from "@/lib/errors/http";
import { log } from "@/lib/log";
import {
  completeBody,
  createMigrationBody,
  deltaBody,
  deltaUrlBody,
  externalIdParam,
  healthQuery,
  partUrlsBody,
  startMultipartBody,
  storeApiPaths,
  uploadedBody,
  type CreatedReply,
  type HealthReply,
  type KeyReply,
  type SingleUploadReply,
} from "@/lib/store-contract";
import { authenticateMigration } from "./auth";
import { applyDelta, deltaUploadUrl } from "./delta";
import type { StoreContext } from "./context";
import { authenticateKey } from "./keys";
import {
  abortMigration,
  createMigration,
  migrationStatus,
  singleUploadUrl,
  unfinishedStates,
  type UploadUrl,
} from "./migrations";
import { completeMultipart, reissuePartUrls, startMultipart } from "./multipart";
import { restorableRefusal } from "./restorable";
import { markUploaded } from "./verify";

/** 10,000 parts with their ETags fit well inside this. */
const maxBodyBytes = 1024 * 1024;
const prefix = storeApiPaths.migrations;
const healthPath = storeApiPaths.health;
const keyPath = storeApiPaths.key;

function json(status: number, body: unknown): Response {
  return Response.json(body, { status, headers: { "cache-control": "no-store" } });
}

function errorResponse(error: AppError): Response {
  const headers: Record<string, string> =
    error instanceof RateLimitedError ? { "retry-after": String(error.retryAfterSeconds) } : {};
  return jsonError(error.status, error.code, error.message, headers);
}

async function readBody<S extends z.ZodType>(request: Request, schema: S): Promise<z.output<S>> {
  const text = await request.text();
  if (text.length > maxBodyBytes)
    throw new AppError("invalid", "body", "The request body is too large.");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new AppError("invalid", "json", "The request body is not JSON.");
  }
  return parseInput(schema, value, "body");
}

function parseInput<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const detail = parsed.error.issues
      .map((issue) => `${issue.path.map(String).join(".") || what} ${issue.message}`)
      .join("; ");
    throw new AppError("invalid", "input", detail);
  }
  return parsed.data;
}

/** Query parameters as an object; a parameter given twice is refused, not guessed at. */
function readQuery<S extends z.ZodType>(url: URL, schema: S): z.output<S> {
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) {
    if (name in query) throw new AppError("invalid", "input", `${name} is given more than once`);
    query[name] = value;
  }
  return parseInput(schema, query, "query");
}

type Handler = (ctx: StoreContext, request: Request, id: string) => Promise<Response>;

/** A presigned single PUT as the wire spells it: an archive's, or a delta's. */
function uploadUrlReply(upload: UploadUrl): SingleUploadReply {
  return {
    upload_url: upload.url,
    upload_headers: upload.headers,
    expires_at: upload.expiresAt.toISOString(),
  };
}

/** Order in every handler: parse → authenticate (token of THIS migration) → act. */
const routes: Record<string, Handler> = {
  async "GET /:id"(ctx, request, id) {
    const m = await authenticateMigration(ctx, id, request.headers.get("authorization"));
    const waiting = unfinishedStates.includes(m.state);
    return json(
      200,
      migrationStatus(m, waiting ? await ctx.restores.positionOf(m.externalId) : null),
    );
  },
  async "DELETE /:id"(ctx, request, id) {
    const m = await authenticateMigration(ctx, id, request.headers.get("authorization"));
    return json(200, await abortMigration(ctx, m));
  },
  async "POST /:id/upload-url"(ctx, request, id) {
    const m = await authenticateMigration(ctx, id, request.headers.get("authorization"));
    return json(200, uploadUrlReply(await singleUploadUrl(ctx, m)));
  },
  async "POST /:id/multipart"(ctx, request, id) {
    const body = await readBody(request, startMultipartBody);
    const m = await authenticateMigration(ctx, id, request.headers.get("authorization"));
    return json(200, await startMultipart(ctx, m, { size: body.size, partSize: body.part_size }));
  },
  async "POST /:id/multipart/urls"(ctx, request, id) {
    const body = await readBody(request, partUrlsBody);
    const m = await authenticateMigration(ctx, id, request.headers.get("authorization"));
    return json(
      200,
      await reissuePartUrls(ctx, m, { uploadId: body.upload_id, parts: body.parts }),
    );
  },
  async "POST /:id/multipart/complete"(ctx, request, id) {
    const body = await readBody(request, completeBody);
    const m = await authenticateMigration(ctx, id, request.headers.get("authorization"));
    return json(
      200,
      await completeMultipart(ctx, m, { uploadId: body.upload_id, parts: body.parts }),
    );
  },
  async "POST /:id/uploaded"(ctx, request, id) {
    const body = await readBody(request, uploadedBody);
    const m = await authenticateMigration(ctx, id, request.headers.get("authorization"));
    return json(202, await markUploaded(ctx, m, body));
  },
  async "POST /:id/delta-url"(ctx, request, id) {
    const body = await readBody(request, deltaUrlBody);
    const m = await authenticateMigration(ctx, id, request.headers.get("authorization"));
    return json(200, uploadUrlReply(await deltaUploadUrl(ctx, m, body.round)));
  },
  async "POST /:id/delta"(ctx, request, id) {
    const body = await readBody(request, deltaBody);
    const m = await authenticateMigration(ctx, id, request.headers.get("authorization"));
    return json(200, await applyDelta(ctx, m, body));
  },
};

/** Parse → authenticate (the migration key) → act: the key's limits apply in createMigration. */
async function create(ctx: StoreContext, request: Request): Promise<Response> {
  const body = await readBody(request, createMigrationBody);
  const key = await authenticateKey(ctx, request);
  const created = await createMigration(ctx, {
    appVersion: body.app_version,
    schemaMigrationId: body.schema_migration_id,
    instanceId: body.instance_id,
    keyId: key.id,
  });
  return json(201, {
    external_id: created.externalId,
    token: created.token,
    token_expires_at: created.tokenExpiresAt.toISOString(),
    upload_url: created.upload.url,
    upload_headers: created.upload.headers,
    expires_at: created.upload.expiresAt.toISOString(),
    sealing_key: publishedSealingKey(ctx),
  } satisfies CreatedReply);
}

/** The public half of the store's sealing key: instances seal the archive's secrets for it. */
function publishedSealingKey(ctx: StoreContext) {
  return { id: ctx.keys.sealing.keyId, public_key: ctx.keys.sealing.publicKey };
}

/** The instance's pre-flight: is its key good here, and whose is it? */
async function keyCheck(ctx: StoreContext, request: Request): Promise<Response> {
  const key = await authenticateKey(ctx, request);
  return json(200, { label: key.label, prefix: key.displayPrefix } satisfies KeyReply);
}

/**
 * Whether this store would take a migration from an instance of this version,
 * asked before anything is frozen or dumped. No token: it reveals only the
 * store's version. Same check as create.
 */
function health(ctx: StoreContext, url: URL): Response {
  const query = readQuery(url, healthQuery);
  const refusal = restorableRefusal(
    { appVersion: query.app_version, schemaMigrationId: query.schema_migration_id },
    ctx.versions,
  );
  return json(200, {
    accepts: refusal === null,
    reason: refusal?.message ?? null,
    store_version: ctx.versions.appVersion,
    sealing_key: publishedSealingKey(ctx),
  } satisfies HealthReply);
}

/**
 * The store API as a plain `Request → Response` function: the Next route
 * handler and the tests' HTTP server both call it. Errors that are not
 * AppError are logged (never with the request's URL or token) and hidden.
 */
export async function handleStoreRequest(ctx: StoreContext, request: Request): Promise<Response> {
  const url = new URL(request.url);
  const { pathname } = url;
  try {
    if (pathname === healthPath) {
      if (request.method !== "GET")
        return jsonError(405, "method_not_allowed:health", "Use GET.", { allow: "GET" });
      return health(ctx, url);
    }
    if (pathname === keyPath) {
      if (request.method !== "GET")
        return jsonError(405, "method_not_allowed:key", "Use GET.", { allow: "GET" });
      return await keyCheck(ctx, request);
    }
    if (pathname === prefix) {
      if (request.method !== "POST")
        return jsonError(405, "method_not_allowed:migrations", "Use POST.", { allow: "POST" });
      return await create(ctx, request);
    }
    if (!pathname.startsWith(prefix + "/"))
      throw new AppError("not_found", "route", "No such store route.");
    const [id = "", ...rest] = pathname.slice(prefix.length + 1).split("/");
    const handler = routes[`${request.method} /:id${rest.length ? "/" + rest.join("/") : ""}`];
    if (!handler) throw new AppError("not_found", "route", "No such store route.");
    if (!externalIdParam.safeParse(id).success) {
      throw new AppError("not_found", "migration", "No such migration.");
    }
    return await handler(ctx, request, id);
  } catch (error) {
    if (error instanceof AppError) return errorResponse(error);
    log.error(
      { err: error, method: request.method, route: pathname.replace(/[0-9a-f]{24}/, ":id") },
      "store request failed",
    );
    return jsonError(500, "internal:error", "The store failed; the error was logged.");
  }
}
