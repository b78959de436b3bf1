export type RefusalCode =
  | "truncated"
  | "malformed"
  | "unsafe_path"
  | "format_version"
  | "damaged"
  | "count_mismatch"
  /** Over one of the limits in limits.ts, whatever the manifest claims. */
  | "too_large"
  | "newer_schema"
  | "unknown_schema"
  | "schema_mismatch"
  | "target_not_empty"
  | "passphrase_required"
  | "wrong_passphrase"
  | "sealing_key_required"
  | "wrong_sealing_key"
  /** A delta was expected (see delta/apply.ts). */
  | "not_a_delta"
  /** A final delta left the copy unlike the source's digests: nothing applied. */
  | "digest_mismatch";

/**
 * Why an archive was not loaded. Every refusal happens before the target is
 * written to, or inside the load transaction, which then rolls back.
 */
export class ArchiveRefusal extends Error {
  constructor(
    readonly code: RefusalCode,
    message: string,
  ) {
    super(message);
    this.name = "ArchiveRefusal";
  }
}
