import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { InpcaInputError } from "../../src/core/index.js";
import { fromFloat16Bits, loadNpy, readNpy, toFloat16Bits, writeNpy } from "../../src/io/formats/npy.js";
import { numpyMissing, python, runPython } from "../helpers/python.js";
import { skipWhen } from "../helpers/skip.js";

const dir = join(__dirname, "..", "fixtures", "npy");
const expected = Array.from({ length: 24 }, (_, i) => i / 7);

describe("readNpy on files written by NumPy (scripts/fixtures.py)", () => {
  it("float64, float32, big-endian float32, Fortran order and format 2.0", () => {
    for (const [file, digits] of [["f8.npy", 15], ["f4.npy", 6], ["f4-big-endian.npy", 6], ["f8-fortran.npy", 15], ["v2.npy", 6]] as const) {
      const a = loadNpy(join(dir, file));
      expect(a.shape).toEqual([2, 3, 4]);
      a.data.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, digits));
    }
    expect(loadNpy(join(dir, "f8.npy")).data).toBeInstanceOf(Float64Array);
    expect(loadNpy(join(dir, "f4-big-endian.npy")).dtype).toBe(">f4");
  });

  it("float16 decodes to the nearest half-precision value", () => {
    const a = loadNpy(join(dir, "f2.npy"));
    expect(a.data).toBeInstanceOf(Float32Array);
    a.data.forEach((v, i) => {
      expect(Math.abs(v - expected[i]!)).toBeLessThanOrEqual(2 ** -11 * Math.max(expected[i]!, 2 ** -14));
      expect(fromFloat16Bits(toFloat16Bits(v))).toBe(v); // round trip of representable values
    });
  });

  it("integers, booleans and 0-d arrays", () => {
    expect(Array.from(loadNpy(join(dir, "i8.npy")).data)).toEqual(Array.from({ length: 24 }, (_, i) => i - 5));
    expect(Array.from(loadNpy(join(dir, "u1.npy")).data)).toEqual(Array.from({ length: 24 }, (_, i) => i));
    expect(Array.from(loadNpy(join(dir, "bool.npy")).data)).toEqual([1, 0, 1, 0, 1, 0]);
    const s = loadNpy(join(dir, "scalar.npy"));
    expect(s.shape).toEqual([]);
    expect(Array.from(s.data)).toEqual([2.5]);
  });

  it("reads an array at an odd byte offset inside a larger buffer", () => {
    const file = readFileSync(join(dir, "f4.npy"));
    const big = new Uint8Array(file.length + 3);
    big.set(file, 3);
    const a = readNpy(big.subarray(3), "inside.bin");
    a.data.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 6));
  });

  it("names the file and the problem for malformed input", () => {
    expect(() => loadNpy(join(dir, "truncated.npy"))).toThrow(/truncated\.npy: truncated data: shape \(2, 3, 4\) of <f4 needs 96 bytes, the file has 91/);
    expect(() => loadNpy(join(dir, "object.npy"))).toThrow(/object\.npy: unsupported dtype '\|O'/);
    expect(() => readNpy(new TextEncoder().encode("PK\x03\x04 not npy"), "x.npy")).toThrow(/x\.npy: not a NumPy \.npy file \(wrong magic bytes\)/);
    expect(() => loadNpy(join(dir, "missing.npy"))).toThrow(InpcaInputError);
  });
});

describe("writeNpy", () => {
  const f32 = Float32Array.from(expected);
  const cases = () => [
    ["a.npy", writeNpy(f32, [2, 3, 4])],
    ["b.npy", writeNpy(Float64Array.from(expected), [4, 6])],
    ["c.npy", writeNpy(f32, [24], { float16: true })],
    ["d.npy", writeNpy(Int32Array.from({ length: 5 }, (_, i) => i - 2), [5])],
  ] as const;

  it("writes files our reader reads back (float32, float64)", () => {
    const [a, b] = cases();
    expect(Array.from(readNpy(a[1]).data)).toEqual(Array.from(f32));
    expect(readNpy(b[1]).shape).toEqual([4, 6]);
  });

  // independent: NumPy's own np.load parses the files; a Python error (NumPy refusing a file) fails the test
  it("writes files NumPy reads back with the same values (float32, float64, float16, int32)", skipWhen(numpyMissing), () => {
    const tmp = mkdtempSync(join(tmpdir(), "inpca-npy-"));
    try {
      for (const [name, bytes] of cases()) writeFileSync(join(tmp, name), bytes);
      const r = JSON.parse(runPython(python, ["-c", `
import numpy as np, json, sys
d = sys.argv[1]
out = {}
for n in "abcd":
    a = np.load(f"{d}/{n}.npy")
    out[n] = {"dtype": a.dtype.str, "shape": list(a.shape), "values": a.astype(float).ravel().tolist()}
print(json.dumps(out))`, tmp]));
      expect(r.a.dtype).toBe("<f4");
      expect(r.a.shape).toEqual([2, 3, 4]);
      expect(r.a.values).toEqual(Array.from(f32));
      expect(r.b.dtype).toBe("<f8");
      expect(r.b.values).toEqual(expected);
      expect(r.c.dtype).toBe("<f2");
      expect(r.c.values).toHaveLength(24);
      r.c.values.forEach((v: number, i: number) => expect(v).toBe(fromFloat16Bits(toFloat16Bits(f32[i]!))));
      expect(r.d.dtype).toBe("<i4");
      expect(r.d.values).toEqual([-2, -1, 0, 1, 2]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it("float16 conversion rounds to nearest even and handles the edges", () => {
    expect(toFloat16Bits(1)).toBe(0x3c00);
    expect(toFloat16Bits(-2)).toBe(0xc000);
    expect(toFloat16Bits(65504)).toBe(0x7bff);
    expect(toFloat16Bits(1e6)).toBe(0x7c00);
    expect(toFloat16Bits(2 ** -24)).toBe(0x0001);
    expect(toFloat16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie → even
    expect(toFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie → even (up)
    expect(fromFloat16Bits(0x7c00)).toBe(Infinity);
    expect(Number.isNaN(fromFloat16Bits(0x7e00))).toBe(true);
  });

  it("float16 conversion equals NumPy's float64 → float16 on 200,000 values (ties, subnormals, overflow edge)", skipWhen(numpyMissing), () => {
    let state = 12345;
    const rand = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const values: number[] = [0, -0, 1, 2 ** -14, 2 ** -14 * (1 - 2 ** -12), 2 ** -24, 2 ** -25, 3 * 2 ** -25, 2 ** -26, 65504, 65519.99, 65520, 1e300, -1e300, 5e-324, Infinity, -Infinity];
    for (let i = 0; i < 200_000; i++) {
      const kind = i % 4;
      if (kind === 0) values.push(10 ** (-12 * rand())); // probabilities over twelve decades
      else if (kind === 1) {
        // exact ties between two half values (normal and subnormal), both parities, and the doubles next to them
        const e = Math.floor(rand() * 40) - 25;
        const m = Math.floor(rand() * 2048);
        const t = (2 * m + 1) * 2 ** (e - 11);
        values.push([t, t * (1 + 2 ** -52), t * (1 - 2 ** -53)][i % 3]!);
      } else if (kind === 2) values.push((rand() - 0.5) * 2 ** (Math.floor(rand() * 50) - 30));
      else values.push(rand());
    }
    const tmp = mkdtempSync(join(tmpdir(), "inpca-f16-"));
    try {
      writeFileSync(join(tmp, "x.f64"), new Uint8Array(Float64Array.from(values).buffer));
      runPython(python, ["-c", `import numpy as np, sys
x = np.fromfile(sys.argv[1], dtype="<f8")
x.astype("<f2").view("<u2").tofile(sys.argv[2])`, join(tmp, "x.f64"), join(tmp, "h.u16")]);
      const bytes = readFileSync(join(tmp, "h.u16"));
      const numpy = new Uint16Array(bytes.buffer, bytes.byteOffset, values.length);
      const wrong = values.map((v, i) => [v, toFloat16Bits(v), numpy[i]!] as const).filter(([, a, b]) => a !== b);
      expect(wrong.slice(0, 5)).toEqual([]);
      expect(numpy.length).toBe(values.length);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
