import "server-only";

export { writeDumpArchive, dumpArchiveStream } from "./write/write";
export type { DumpProgress, DumpResult, WriteDumpOptions } from "./write/write";
export { loadDumpArchive } from "./load/load";
export type { LoadOptions, LoadProgress, LoadReport } from "./load/load";
export { verifyDumpArchive } from "./verify/verify";
export type { VerifiedArchive } from "./verify/verify";
export type { ArchiveSource } from "./format/read-archive";
export { ArchiveRefusal, type RefusalCode } from "./format/errors";
export type { DumpManifest } from "./format/manifest";
export { DUMP_FORMAT_VERSION } from "./format/manifest";
export { keyFingerprint, type SecretMode, type SecretOptions } from "./secrets";
export { secretOptionsFor } from "./write/secret-choice";
