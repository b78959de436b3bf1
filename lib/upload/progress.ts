export interface UploadProgress {
  bytesAcknowledged: number;
  totalBytes: number;
  partsDone: number;
  partsTotal: number;
  /** Over this run only: bytes resumed from an earlier run do not inflate it. */
  bytesPerSecond: number;
  etaSeconds: number | null;
}

/**
 * Counts only bytes the storage acknowledged, so the figure never moves
 * backwards when a part is retried.
 */
export class ProgressTracker {
  private acknowledged = 0;
  private thisRun = 0;
  private parts = 0;
  private readonly startedAt = performance.now();

  constructor(
    private readonly totalBytes: number,
    private readonly partsTotal: number,
    private readonly onProgress?: (progress: UploadProgress) => void,
  ) {}

  resumed(bytes: number, parts: number): void {
    this.acknowledged += bytes;
    this.parts += parts;
  }

  acknowledge(bytes: number): void {
    this.acknowledged += bytes;
    this.thisRun += bytes;
    this.parts += 1;
    this.onProgress?.(this.snapshot());
  }

  snapshot(): UploadProgress {
    const seconds = (performance.now() - this.startedAt) / 1000;
    const bytesPerSecond = seconds > 0 ? this.thisRun / seconds : 0;
    const remaining = this.totalBytes - this.acknowledged;
    return {
      bytesAcknowledged: this.acknowledged,
      totalBytes: this.totalBytes,
      partsDone: this.parts,
      partsTotal: this.partsTotal,
      bytesPerSecond,
      etaSeconds: bytesPerSecond > 0 ? remaining / bytesPerSecond : null,
    };
  }
}
