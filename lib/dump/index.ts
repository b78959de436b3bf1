import "server-only";

export { writeDumpArchive, dumpArchiveStream } from "./write";
export type { DumpProgress, DumpResult, WriteDumpOptions } from "./write";
export { loadDumpArchive } from "./load";
export type { LoadOptions, LoadProgress, LoadReport } from "./load";
export { verifyDumpArchive } from "./verify";
export type { VerifiedArchive } from "./verify";
export type { ArchiveSource } from "./read-archive";
export { ArchiveRefusal, type RefusalCode } from "./errors";
export type { DumpManifest } from "./manifest";
export { DUMP_FORMAT_VERSION } from "./manifest";
export { keyFingerprint, type SecretMode, type SecretOptions } from "./secrets";
export { secretOptionsFor } from "./secret-choice";
