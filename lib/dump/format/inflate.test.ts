import crypto from "node:crypto";
import zlib from "node:zlib";
import { describe, expect, it } from "vitest";
import { gunzipInto, PiecePool } from "./inflate";

const PIECE = 4096;
const textOf = (bytes: number) => crypto.randomBytes(bytes / 2).toString("hex");

describe("gunzipInto", () => {
  it("gives back the text exactly, also when it ends on a piece boundary", () => {
    for (const bytes of [0, 10, PIECE - 2, PIECE, 2 * PIECE, 5 * PIECE + 6]) {
      const text = Buffer.from(textOf(bytes));
      const pool = new PiecePool(PIECE);
      const pieces: Buffer[] = [];
      for (const piece of gunzipInto(zlib.gzipSync(text), pool)) {
        pieces.push(Buffer.from(piece));
        pool.giveBack(piece);
      }
      expect(Buffer.concat(pieces).equals(text), `${bytes} bytes`).toBe(true);
      expect(pieces.every((p) => p.length > 0 && p.length <= PIECE)).toBe(true);
    }
  });

  it("never writes into a piece that was not given back, and reuses one that was", () => {
    const text = Buffer.from(textOf(6 * PIECE));
    const pool = new PiecePool(PIECE);
    const held: Buffer[] = [];
    const copies: Buffer[] = [];
    const buffers = new Set<ArrayBufferLike>();
    let n = 0;
    for (const piece of gunzipInto(zlib.gzipSync(text), pool)) {
      buffers.add(piece.buffer);
      copies.push(Buffer.from(piece));
      // Every other piece is kept to the end, the rest given back at once.
      if (n++ % 2 === 0) held.push(piece);
      else pool.giveBack(piece);
    }
    expect(held.every((piece, i) => piece.equals(copies[2 * i]!))).toBe(true);
    expect(Buffer.concat(copies).equals(text)).toBe(true);
    // The three held plus one shared by the three given back.
    expect(buffers.size).toBe(4);
  });

  it("fails on a truncated or damaged member, and the pool stays usable", () => {
    const gz = zlib.gzipSync(Buffer.from(textOf(3 * PIECE)));
    const pool = new PiecePool(PIECE);
    const drain = (data: Buffer) => {
      for (const piece of gunzipInto(data, pool)) pool.giveBack(piece);
    };
    expect(() => drain(gz.subarray(0, gz.length - 20))).toThrow(/unexpected end of file/);
    const flipped = Buffer.from(gz);
    flipped[gz.length - 6]! ^= 0xff; // in the trailer's CRC-32
    expect(() => drain(flipped)).toThrow(/incorrect data check/);
    expect(() => drain(Buffer.from("not gzip at all"))).toThrow(/incorrect header check/);
    expect(() => drain(gz)).not.toThrow();
  });
});
