/** Why an upload ended without the archive reaching the store; the message is for admins. */
export class UploadError extends Error {
  readonly cancelled: boolean;
  constructor(message: string, options: { cause?: unknown; cancelled?: boolean } = {}) {
    super(message, { cause: options.cause });
    this.name = "UploadError";
    this.cancelled = options.cancelled ?? false;
  }
}
