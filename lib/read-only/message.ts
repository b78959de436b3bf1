/**
 * The one wording of a read-only refusal, wherever it is answered: the proxy,
 * server actions, route handlers, the database guard (so psql users read it
 * too) and the banner. Imported by the browser bundle and the proxy, so this
 * module stays a constant with no imports. No single quote: it is inlined in
 * the guard's SQL.
 */
export const READ_ONLY_MESSAGE =
  "Liftoff is in read-only mode, so changes cannot be saved right now. Try again when it ends.";

export const READ_ONLY_CODE = "read_only:instance";
