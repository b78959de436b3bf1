import zlib from "node:zlib";

/**
 * Output buffers for pieces of text, each reused once the piece in it has
 * been given back: whoever takes the pieces says when it is done with one,
 * so a buffer is never written while its piece is still on its way. A piece
 * never given back just costs a new buffer.
 */
export class PiecePool {
  private readonly free: Buffer[] = [];
  private readonly lent = new Map<ArrayBufferLike, Buffer>();

  /**
   * Pieces of 1 MB by default: few enough that a piece costs little (each
   * is a message to the server), small enough that a file of any size
   * streams in bounded memory.
   */
  constructor(readonly bytes = 1 << 20) {}

  take(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafe(this.bytes);
  }

  /** `buffer` now holds a piece (a view of it), given back with `giveBack`. */
  lend(buffer: Buffer): void {
    this.lent.set(buffer.buffer, buffer);
  }

  /** The consumer is done with `piece`: its buffer may hold the next. */
  giveBack(piece: Buffer): void {
    const buffer = this.lent.get(piece.buffer);
    if (!buffer) return;
    this.lent.delete(piece.buffer);
    this.free.push(buffer);
  }

  /** A buffer taken and not lent (nothing was written into it). */
  putBack(buffer: Buffer): void {
    this.free.push(buffer);
  }
}

/**
 * The part of zlib's native handle that Node's own zlib.gunzipSync drives
 * (lib/zlib.js, processChunkSync): the only way to inflate into a buffer the
 * caller owns. Node's public API allocates every output chunk afresh, which
 * for a load is hundreds of megabytes of short-lived buffers: about a fifth
 * of the loading process's CPU went to collecting them.
 */
interface ZlibHandle {
  writeSync(
    flush: number,
    input: Buffer,
    inputOffset: number,
    inputLength: number,
    output: Buffer,
    outputOffset: number,
    outputLength: number,
  ): void;
  onerror: (message: string, errno: number) => void;
}

interface ZlibEngine {
  _handle?: ZlibHandle;
  /** [output bytes left, input bytes left] after each write. */
  _writeState?: Uint32Array;
  close(): void;
}

/**
 * Inflates one whole gzip member, on this thread, into buffers of `pool`:
 * each piece yielded stays intact until it is given back to the pool. A
 * damaged or truncated member throws zlib's message. Whoever takes the
 * pieces bounds how many it accepts (a small file may inflate to a lot).
 */
export function* gunzipInto(compressed: Buffer, pool: PiecePool): Generator<Buffer> {
  const engine = zlib.createGunzip() as unknown as ZlibEngine;
  const handle = engine._handle;
  const state = engine._writeState;
  if (!handle || typeof handle.writeSync !== "function" || !(state instanceof Uint32Array)) {
    throw new Error("This Node.js version's zlib cannot inflate into a given buffer.");
  }
  let failure: Error | null = null;
  handle.onerror = (message) => {
    failure = new Error(message);
  };
  let output: Buffer | null = null;
  try {
    let inputOffset = 0;
    let inputLeft = compressed.length;
    for (;;) {
      output ??= pool.take();
      // Z_FINISH: all the input is here, so input that ends before the
      // member does is an error ("unexpected end of file"), not a pause.
      handle.writeSync(
        zlib.constants.Z_FINISH,
        compressed,
        inputOffset,
        inputLeft,
        output,
        0,
        output.length,
      );
      if (failure) throw failure;
      const [outputLeft, inputAfter] = state as unknown as [number, number];
      inputOffset += inputLeft - inputAfter;
      inputLeft = inputAfter;
      const written = output.length - outputLeft;
      // Room left in the output: zlib stopped because the member ended.
      const ended = outputLeft > 0;
      // A call that writes nothing (the end of a member that filled the
      // buffer before) keeps the buffer for the next.
      if (written > 0) {
        pool.lend(output);
        const piece = output.subarray(0, written);
        output = null;
        yield piece;
      }
      if (ended) return;
    }
  } finally {
    if (output) pool.putBack(output);
    engine.close();
  }
}
