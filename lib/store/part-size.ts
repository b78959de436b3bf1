import { AppError } from "@/lib/errors";
import { maxObjectSize, maxPartSize, maxParts } from "@/lib/store-contract";

const MiB = 1024 * 1024;
/** S3's limits: parts of 5 MiB (but the last) to 5 GiB (the contract's bound), at most 10,000 of them. */
export const minPartSize = 5 * MiB;
/** Small enough that a retried part costs little, large enough to keep requests few. */
export const defaultPartSize = 16 * MiB;

export function choosePartSize(
  size: number,
  requested?: number,
): { partSize: number; partCount: number } {
  if (size > maxObjectSize) {
    throw new AppError(
      "unprocessable",
      "size",
      "The archive is larger than 5 TiB, the storage's limit.",
    );
  }
  let partSize = Math.max(requested ?? defaultPartSize, minPartSize, Math.ceil(size / maxParts));
  partSize = Math.ceil(partSize / MiB) * MiB; // whole MiB: readable in logs
  partSize = Math.min(partSize, maxPartSize);
  return { partSize, partCount: Math.max(1, Math.ceil(size / partSize)) };
}
