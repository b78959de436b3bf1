/**
 * The one error type the layers below the routes throw on purpose. The code
 * names the kind and the subject (`forbidden:admin`, `not_found:card`), the
 * message is safe to show a user; anything else is logged and hidden.
 */
export type ErrorKind =
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "invalid"
  | "conflict"
  | "rate_limited"
  | "too_large"
  | "read_only"
  | "unprocessable"
  | "upstream";

const statusByKind: Record<ErrorKind, number> = {
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  invalid: 400,
  conflict: 409,
  rate_limited: 429,
  // Over a quota of bytes (a migration key's), not a malformed request.
  too_large: 413,
  read_only: 403,
  // Understood but refused: e.g. a dump the store cannot restore.
  unprocessable: 422,
  // A service behind us (object storage) failed.
  upstream: 502,
};

export class AppError extends Error {
  readonly code: `${ErrorKind}:${string}`;
  constructor(kind: ErrorKind, subject: string, publicMessage: string) {
    super(publicMessage);
    this.name = "AppError";
    this.code = `${kind}:${subject}`;
  }

  get kind(): ErrorKind {
    return this.code.split(":")[0] as ErrorKind;
  }

  get status(): number {
    return statusByKind[this.kind];
  }
}

/** A refusal that ends: "try again in this many seconds" (sent as Retry-After). */
export class RateLimitedError extends AppError {
  constructor(
    subject: string,
    publicMessage: string,
    readonly retryAfterSeconds: number,
  ) {
    super("rate_limited", subject, publicMessage);
    this.name = "RateLimitedError";
  }
}

export function notFound(subject: string): AppError {
  return new AppError("not_found", subject, `That ${subject.replace(/_/g, " ")} does not exist.`);
}

/** Postgres unique_violation, so a use case can turn it into a clear conflict. */
export function isUniqueViolation(error: unknown): boolean {
  return pgErrorCode(error) === "23505";
}

export function isForeignKeyViolation(error: unknown): boolean {
  return pgErrorCode(error) === "23503";
}

/** postgres.js and PGlite both put the SQLSTATE on `code`, Drizzle wraps it in `cause`. */
export function pgErrorCode(error: unknown): string | undefined {
  for (let e: unknown = error; e && typeof e === "object"; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

export { databaseErrorFacts, systemErrorCode, type DatabaseErrorFacts } from "./database";
export { publicFailureMessage } from "./public-message";
