/** IDX files (Fashion-MNIST's format): parsing, gzip, and malformed input named. */
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { readIdx } from "../../src/io/formats/idx.js";

function idx(type: number, shape: number[], body: number[]): Uint8Array {
  const head = [0, 0, type, shape.length];
  const dims = shape.flatMap((d) => [(d >>> 24) & 255, (d >>> 16) & 255, (d >>> 8) & 255, d & 255]);
  return Uint8Array.from([...head, ...dims, ...body]);
}

describe("readIdx", () => {
  it("reads unsigned bytes and big-endian int32, raw and gzip-compressed", () => {
    const a = readIdx(idx(0x08, [2, 3], [1, 2, 3, 4, 5, 255]));
    expect(a.shape).toEqual([2, 3]);
    expect(Array.from(a.data)).toEqual([1, 2, 3, 4, 5, 255]);
    const b = readIdx(gzipSync(idx(0x0c, [2], [0, 0, 1, 0, 255, 255, 255, 254])));
    expect(Array.from(b.data)).toEqual([256, -2]);
  });
  it("names the problem: magic, type, truncation, corrupt gzip", () => {
    expect(() => readIdx(Uint8Array.from([1, 2, 3, 4]), "x.idx")).toThrow(/x\.idx: not an IDX file \(wrong magic bytes\)/);
    expect(() => readIdx(idx(0x07, [1], [0]), "t.idx")).toThrow(/t\.idx: unsupported IDX data type 0x7/);
    expect(() => readIdx(idx(0x08, [2, 3], [1, 2, 3]), "s.idx")).toThrow(/s\.idx: truncated data: shape \(2, 3\) needs 6 bytes, the file has 3/);
    expect(() => readIdx(Uint8Array.from([0x1f, 0x8b, 1, 2, 3]), "g.gz")).toThrow(/g\.gz: corrupt gzip stream/);
  });
});
