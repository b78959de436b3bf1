export {
  uploadArchive,
  defaultMultipartThreshold,
  type UploadOptions,
  type UploadOutcome,
} from "./upload";
export { publicUploadCause, UploadError } from "./errors";
export { isStateConflict, StoreClient, StoreRequestError, type StoreStatus } from "./store-client";
export type { UploadProgress } from "./progress";
export { defaultRetryPolicy, type RetryPolicy } from "./retry";
export { sha256OfFile } from "./hash-file";
export { uploadDelta } from "./delta";
