import { pgErrorCode } from "./index";

/**
 * What may be told about a failed query: the SQLSTATE and the names of the
 * objects involved. Never the message, detail, query or parameters: Postgres
 * puts values in them ("Key (email)=(…) already exists", "invalid input
 * syntax for type integer: …"), and Drizzle's error carries the query's
 * parameters, which can be a password hash or a data-source password.
 */
export interface DatabaseErrorFacts {
  sqlstate: string | null;
  constraint?: string;
  table?: string;
  schema?: string;
  column?: string;
}

function chain(error: unknown): object[] {
  const links: object[] = [];
  for (let e: unknown = error; e && typeof e === "object" && links.length < 10;) {
    links.push(e);
    e = (e as { cause?: unknown }).cause;
  }
  return links;
}

function text(link: object, ...names: string[]): string | undefined {
  for (const name of names) {
    const value = (link as Record<string, unknown>)[name];
    if (typeof value === "string" && value) return value;
  }
  return undefined;
}

/** A query's error somewhere in the chain: Drizzle's wrapper, or a driver error that carries its query. */
function carriesQuery(link: object): boolean {
  return (
    (link as { name?: unknown }).name === "DrizzleQueryError" ||
    "query" in link ||
    "params" in link ||
    "parameters" in link
  );
}

/** The facts of a database error anywhere in `error`'s cause chain; null when there is none. */
export function databaseErrorFacts(error: unknown): DatabaseErrorFacts | null {
  const links = chain(error);
  const sqlstate = pgErrorCode(error) ?? null;
  if (sqlstate === null && !links.some(carriesQuery)) return null;
  const facts: DatabaseErrorFacts = { sqlstate };
  // postgres.js names them constraint_name…, PGlite (pg-protocol) constraint….
  for (const link of links) {
    facts.constraint ??= text(link, "constraint_name", "constraint");
    facts.table ??= text(link, "table_name", "table");
    facts.schema ??= text(link, "schema_name", "schema");
    facts.column ??= text(link, "column_name", "column");
  }
  for (const key of ["constraint", "table", "schema", "column"] as const) {
    if (facts[key] === undefined) delete facts[key];
  }
  return facts;
}

/** Node's system error code (ENOSPC, ECONNREFUSED…): safe to show, and what an admin acts on. */
export function systemErrorCode(error: unknown): string | undefined {
  for (const link of chain(error)) {
    const code = (link as { code?: unknown }).code;
    if (typeof code === "string" && /^E[A-Z]{2,}$/.test(code)) return code;
  }
  return undefined;
}
