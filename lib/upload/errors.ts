import { systemErrorCode } from "@/lib/errors";
import { StoreRequestError } from "./store-client";

/** Why an upload ended without the archive reaching the store; the message is for admins. */
export class UploadError extends Error {
  readonly cancelled: boolean;
  constructor(message: string, options: { cause?: unknown; cancelled?: boolean } = {}) {
    super(message, { cause: options.cause });
    this.name = "UploadError";
    this.cancelled = options.cancelled ?? false;
  }
}

/**
 * What an admin may read about why an upload stopped: our own upload
 * messages, the store's refusal in its words, "could not be reached" with
 * the system's code; never a raw library message (an internal address, an
 * S3 body). The rest goes to the log.
 */
export function publicUploadCause(error: unknown): string {
  if (error instanceof UploadError) return error.message;
  if (error instanceof StoreRequestError) {
    return `the cloud store refused it (HTTP ${error.status}): ${error.reason}`;
  }
  const code = systemErrorCode(error);
  if (code || (error instanceof TypeError && error.message === "fetch failed")) {
    return `the cloud store could not be reached${code ? ` (${code})` : ""}`;
  }
  return "an unexpected error (details are in the server log)";
}
