import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { InpcaInputError } from "../../src/core/index.js";
import { fromFloat16Bits, loadNpy, toFloat16Bits } from "../../src/io/formats/npy.js";
import { numpyMissing, python, runPython } from "../helpers/python.js";
import { skipWhen } from "../helpers/skip.js";
import {
  fromBfloat16Bits, loadSafetensors, loadSafetensorsHeader, loadSafetensorsTensor, readSafetensors, toBfloat16Bits, writeSafetensors,
} from "../../src/io/formats/safetensors.js";

const dir = join(__dirname, "..", "fixtures", "safetensors");
const f = (name: string) => join(dir, name);
const expected = Array.from({ length: 24 }, (_, i) => i / 7);

describe("safetensors files written by hand with NumPy (scripts/fixtures.py)", () => {
  it("reads F32, F64, F16, BF16, integer and bool tensors and the __metadata__ map", () => {
    const { tensors, metadata } = loadSafetensors(f("basic.safetensors"));
    expect(metadata).toEqual({ format: "np", step: "500" });
    expect(Object.keys(tensors).sort()).toEqual(["bf16", "bool", "empty", "f16", "f32", "f64", "i32", "i64", "u8"]);
    expect(tensors.f64!.data).toBeInstanceOf(Float64Array);
    expect(Array.from(tensors.f64!.data)).toEqual(expected);
    expect(tensors.f32!.shape).toEqual([2, 3, 4]);
    expect(tensors.f32!.dtype).toBe("F32");
    expect(Array.from(tensors.f32!.data)).toEqual(Array.from(Float32Array.from(expected)));
    tensors.f16!.data.forEach((v, i) => expect(v).toBe(fromFloat16Bits(toFloat16Bits(expected[i]!))));
    // BF16: compare with the float32 values NumPy computed from the same bits
    const bf = loadNpy(f("bf16-expected.npy"));
    expect(tensors.bf16!.data).toBeInstanceOf(Float32Array);
    expect(Array.from(tensors.bf16!.data)).toEqual(Array.from(bf.data));
    expect(Array.from(tensors.i32!.data)).toEqual([0, 1, 2, 0, 1]);
    expect(Array.from(tensors.i64!.data)).toEqual([-5, 0, 7, 2 ** 31 - 1]);
    expect(Array.from(tensors.u8!.data)).toEqual([0, 1, 255]);
    expect(tensors.bool!.data).toBeInstanceOf(Uint8Array);
    expect(Array.from(tensors.bool!.data)).toEqual([1, 0, 1, 1]);
    expect(tensors.empty!.shape).toEqual([0, 4]);
    expect(tensors.empty!.data.length).toBe(0);
  });

  it("reads one tensor by name and the header alone without loading the rest", () => {
    const t = loadSafetensorsTensor(f("basic.safetensors"), "f64");
    expect(Array.from(t.data)).toEqual(expected);
    const h = loadSafetensorsHeader(f("basic.safetensors"));
    expect(h.tensors.f32).toEqual({ dtype: "F32", shape: [2, 3, 4], dataOffsets: expect.any(Array) });
    expect(h.dataStart % 8).toBe(0);
    expect(() => loadSafetensorsTensor(f("basic.safetensors"), "weights")).toThrow(/basic\.safetensors: no tensor "weights" \(tensors: .*f32/);
    expect(loadSafetensors(f("no-metadata.safetensors")).metadata).toEqual({});
  });

  it("names the file and the problem for every malformed file", () => {
    const cases: [string, RegExp][] = [
      ["truncated.safetensors", /truncated\.safetensors: tensor "\w+": data_offsets \[\d+, \d+\] run past the end of the data \(\d+ bytes; truncated file\?\)/],
      ["short.safetensors", /short\.safetensors: not a safetensors file: 5 bytes, shorter than the 8-byte header length/],
      ["huge-header-length.safetensors", /huge-header-length\.safetensors: .*header length 1099511627776 bytes is over the 100 MB limit/],
      ["header-past-end.safetensors", /header-past-end\.safetensors: truncated or not a safetensors file: header length \d+ bytes, but only \d+ bytes follow/],
      ["npy-renamed.safetensors", /npy-renamed\.safetensors: not a safetensors file/],
      ["not-json.safetensors", /not-json\.safetensors: header is not valid JSON/],
      ["overlap.safetensors", /overlap\.safetensors: tensor "b": data_offsets \[8, 24\] overlap the previous tensor, which ends at 16/],
      ["gap.safetensors", /gap\.safetensors: tensor "b": data_offsets \[20, 32\] leave a gap of 4 bytes after offset 16/],
      ["offsets-past-end.safetensors", /offsets-past-end\.safetensors: tensor "b": data_offsets \[16, 4096\] run past the end of the data \(32 bytes/],
      ["size-mismatch.safetensors", /size-mismatch\.safetensors: tensor "b": shape \[5\] of F32 needs 20 bytes, data_offsets give 16/],
      ["unknown-dtype.safetensors", /unknown-dtype\.safetensors: tensor "b": unknown dtype "Q4"/],
      ["bad-metadata.safetensors", /bad-metadata\.safetensors: "__metadata__" entry "epoch" is 3, not a string/],
      ["f8.safetensors", /f8\.safetensors: tensor "q": unsupported dtype F8_E4M3/],
      ["missing.safetensors", /missing\.safetensors: cannot read/],
    ];
    for (const [name, message] of cases) {
      expect(() => loadSafetensors(f(name)), name).toThrow(message);
      expect(() => loadSafetensors(f(name)), name).toThrow(InpcaInputError);
    }
    // the lazy reader validates the same way
    expect(() => loadSafetensorsTensor(f("offsets-past-end.safetensors"), "a")).toThrow(/run past the end/);
    expect(() => loadSafetensorsTensor(f("huge-header-length.safetensors"), "a")).toThrow(/over the 100 MB limit/);
  });
});

describe("writeSafetensors", () => {
  it("lays out a file byte for byte as the reference writer (fixtures.py mirrors it)", () => {
    const bytes = writeSafetensors({
      f32: { data: Float32Array.from(expected), shape: [2, 3, 4] },
      f64: { data: Float64Array.from(expected), shape: [2, 3, 4] },
      f16: { data: Float64Array.from(expected), shape: [2, 3, 4], dtype: "F16" },
      bf16: { data: Float32Array.from(expected), shape: [2, 3, 4], dtype: "BF16" },
      i32: { data: Int32Array.from([0, 1, 2, 0, 1]), shape: [5] },
      i64: { data: Int32Array.from([-5, 0, 7, 2 ** 31 - 1]), shape: [4], dtype: "I64" },
      u8: { data: Uint8Array.from([0, 1, 255]), shape: [3] },
      bool: { data: Uint8Array.from([1, 0, 1, 1]), shape: [4], dtype: "BOOL" },
      empty: { data: new Float32Array(0), shape: [0, 4] },
    }, { metadata: { format: "np", step: "500" } });
    expect(Buffer.from(bytes).equals(readFileSync(f("basic.safetensors")))).toBe(true);
  });

  const v = Float32Array.from({ length: 10 }, (_, i) => Math.sin(i) * 3);
  const written = () => writeSafetensors({ v: { data: v, shape: [2, 5] }, h: { data: v, shape: [10], dtype: "BF16" } }, { metadata: { a: "b" } });

  it("writes files that our reader decodes to the same values", () => {
    expect(Array.from(readSafetensors(written()).tensors.v!.data)).toEqual(Array.from(v));
  });

  // independent: the header parsed by Python's json and the data by np.frombuffer; any Python error fails the test
  it("writes files that a NumPy reader decodes to the same values", skipWhen(numpyMissing), () => {
    const tmp = mkdtempSync(join(tmpdir(), "inpca-st-"));
    try {
      const path = join(tmp, "w.safetensors");
      writeFileSync(path, written());
      const r = JSON.parse(runPython(python, ["-c", `
import json, struct, sys, numpy as np
raw = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
h = json.loads(raw[8:8 + n])
buf = raw[8 + n:]
b, e = h["v"]["data_offsets"]
v = np.frombuffer(buf[b:e], "<f4").reshape(h["v"]["shape"])
b, e = h["h"]["data_offsets"]
bits = np.frombuffer(buf[b:e], "<u2").astype("<u4") << 16
print(json.dumps({"meta": h["__metadata__"], "shape": list(v.shape), "v": v.astype(float).ravel().tolist(),
                  "h": bits.view("<f4").astype(float).tolist(), "pad": n % 8}))`, path]));
      expect(r.meta).toEqual({ a: "b" });
      expect(r.shape).toEqual([2, 5]);
      expect(r.v).toEqual(Array.from(v));
      expect(r.pad).toBe(0);
      expect(r.h).toHaveLength(10);
      r.h.forEach((x: number, i: number) => expect(x).toBe(fromBfloat16Bits(toBfloat16Bits(v[i]!))));
      r.h.forEach((x: number, i: number) => expect(Math.abs(x - v[i]!)).toBeLessThanOrEqual(Math.abs(v[i]!) * 2 ** -8));
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it("bfloat16 rounds to nearest even and keeps infinities and NaN", () => {
    expect(toBfloat16Bits(1)).toBe(0x3f80);
    expect(toBfloat16Bits(1 + 2 ** -8)).toBe(0x3f80); // tie → even
    expect(toBfloat16Bits(1 + 3 * 2 ** -8)).toBe(0x3f82); // tie → even (up)
    expect(toBfloat16Bits(-Infinity)).toBe(0xff80);
    expect(Number.isNaN(fromBfloat16Bits(toBfloat16Bits(NaN)))).toBe(true);
    expect(() => writeSafetensors({ a: { data: new Float32Array(3), shape: [2, 2] } })).toThrow(/tensor "a" has 3 values, shape \[2, 2\] needs 4/);
  });
});
