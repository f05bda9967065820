import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { InpcaInputError } from "../../src/core/index.js";
import { inpca } from "../../src/geometry/inpca.js";
import { hdf5Ready, loadDistanceMatrixH5, loadHdf5, openHdf5 } from "../../src/io/formats/hdf5/index.js";
import { fromFloat16Bits, toFloat16Bits } from "../../src/io/formats/npy.js";
import { h5pyMissing, h5pyPython, runPython } from "../helpers/python.js";
import { skipWhen } from "../helpers/skip.js";

const dir = join(__dirname, "..", "fixtures", "hdf5");
const f = (name: string) => join(dir, name);
// scripts/fixtures.py: x = arange(24).reshape(2, 3, 4) / 7; big = (arange(400).reshape(50, 8) / 7) as float32
const x = Array.from({ length: 24 }, (_, i) => i / 7);
const big = (r: number, c: number) => Math.fround((r * 8 + c) / 7);
const half = (v: number) => fromFloat16Bits(toFloat16Bits(v));

beforeAll(async () => {
  expect(await hdf5Ready()).toBe(true); // h5wasm loaded and the plugins folder installed
});

describe("HDF5 files written by h5py", () => {
  it("reads plain datasets: float32, float64, big-endian, integers, nested groups", async () => {
    const h = await openHdf5(f("plain.h5"));
    try {
      expect(h.datasets()).toEqual(["be", "f64", "grp/inner", "labels", "names", "probs"]);
      const probs = h.read("probs");
      expect(probs.shape).toEqual([2, 3, 4]);
      expect(probs.dtype).toBe("<f4");
      expect(Array.from(probs.data)).toEqual(x.map(Math.fround));
      expect(Array.from(h.read("f64").data)).toEqual(x);
      const be = h.read("/be");
      expect(be.dtype).toBe(">f8");
      expect(Array.from(be.data)).toEqual(x);
      const labels = h.read("labels");
      expect(labels.data).toBeInstanceOf(Int32Array);
      expect(Array.from(labels.data)).toEqual([0, 1, 2, 0, 1]);
      expect(Array.from(h.read("grp/inner").data)).toEqual(x.slice(12).map(Math.fround));
    } finally {
      h.close();
    }
    expect(String(h)).toMatch(/closed/);
    expect(() => h.read("probs")).toThrow(/plain\.h5: the HDF5 file is closed/);
  });

  it("reads gzip + shuffle, float16 (both byte orders) and chunked float16", async () => {
    const g = await loadHdf5(f("gzip.h5"), "probs");
    expect(Array.from(g.data)).toEqual(x.map(Math.fround));
    const h = await openHdf5(f("float16.h5"));
    try {
      expect(h.info("probs")).toMatchObject({ shape: [2, 3, 4], dtype: "<f2", chunks: null });
      for (const name of ["probs", "probs_be"]) {
        const a = h.read(name);
        expect(a.data).toBeInstanceOf(Float32Array);
        expect(Array.from(a.data)).toEqual(x.map(half));
      }
      expect(h.read("probs_be").dtype).toBe(">f2");
      const c = h.read("chunked", { rows: [49, 3, 4, 5] });
      expect(c.shape).toEqual([4, 8]);
      [49, 3, 4, 5].forEach((r, k) => {
        for (let j = 0; j < 8; j++) expect(c.data[k * 8 + j]).toBe(half(big(r, j)));
      });
    } finally {
      h.close();
    }
    const info = (await openHdf5(f("gzip.h5")));
    expect(info.info("probs")).toMatchObject({ chunks: [1, 3, 4], filters: [{ id: 2, name: "shuffle" }, { id: 1, name: "gzip (deflate)" }] });
    info.close();
  });

  it("reads LZ4, Blosc (lz4 and zstd codecs) and zstd datasets through h5wasm-plugins", async () => {
    const h = await openHdf5(f("filters.h5"));
    try {
      const ids: Record<string, number> = { lz4: 32004, blosc_lz4: 32001, blosc_zstd: 32001, zstd: 32015 };
      for (const [name, id] of Object.entries(ids)) {
        expect(h.info(name).filters.map((q) => q.id)).toContain(id);
        const a = h.read(name);
        expect(a.shape).toEqual([50, 8]);
        for (let i = 0; i < 400; i++) expect(a.data[i]).toBe(big(Math.floor(i / 8), i % 8));
      }
    } finally {
      h.close();
    }
  });

  it("reads rows and columns by range or index list without reading the rest (small batches cross chunks)", async () => {
    const h = await openHdf5(f("chunked.h5"));
    try {
      for (const name of ["big", "big_gzip"]) {
        // range with a step, read 2 rows per call so batches straddle the 7-row chunks
        const r = h.read(name, { rows: { start: 5, stop: 47, step: 3 }, batchBytes: 2 * 8 * 4 });
        const rows = Array.from({ length: 14 }, (_, k) => 5 + 3 * k);
        expect(r.shape).toEqual([14, 8]);
        rows.forEach((row, k) => {
          for (let j = 0; j < 8; j++) expect(r.data[k * 8 + j]).toBe(big(row, j));
        });
        // unsorted indices with duplicates, columns as an arbitrary list and as an arithmetic one
        const pick = [49, 3, 4, 5, 0, 0, 20];
        for (const cols of [[7, 0, 3, 3], [1, 3, 5]]) {
          const a = h.read(name, { rows: pick, cols, batchBytes: 40 });
          expect(a.shape).toEqual([pick.length, cols.length]);
          pick.forEach((row, k) => cols.forEach((col, j) => expect(a.data[k * cols.length + j]).toBe(big(row, col))));
        }
        expect(h.read(name, { rows: [] }).shape).toEqual([0, 8]);
        expect(h.read(name, { rows: { start: 48 } }).shape).toEqual([2, 8]);
      }
      expect(() => h.read("big", { rows: [0, 50] })).toThrow(/chunked\.h5: dataset "big": rows: indices\[1\] is 50; expected an integer in \[0, 49\]/);
      expect(() => h.read("big", { rows: { step: 0 } })).toThrow(/rows: step is 0; expected an integer ≥ 1/);
    } finally {
      h.close();
    }
    const labels = await loadHdf5(f("plain.h5"), "labels", { rows: [4, 0] });
    expect(Array.from(labels.data)).toEqual([1, 0]);
    await expect(loadHdf5(f("plain.h5"), "labels", { cols: [0] })).rejects.toThrow(/dataset "labels" has 1 dimension; it has no columns to select/);
  });

  it("names the file and the problem for malformed files and datasets", async () => {
    const cases: [Promise<unknown>, RegExp][] = [
      [openHdf5(f("truncated.h5")), /truncated\.h5: truncated HDF5 file \(\d+ of \d+ bytes present\)/],
      [openHdf5(f("not-hdf5.h5")), /not-hdf5\.h5: not an HDF5 file \(no HDF5 signature found\)/],
      [openHdf5(f("missing.h5")), /missing\.h5: cannot read: ENOENT/],
      [loadHdf5(f("unknown-filter.h5"), "probs"), /unknown-filter\.h5: dataset "probs": compressed with filter 32099, which no installed HDF5 plugin provides/],
      [loadHdf5(f("plain.h5"), "names"), /plain\.h5: dataset "names": unsupported type string \(numbers only/],
      [loadHdf5(f("plain.h5"), "grp"), /plain\.h5: "grp" is a group, not a dataset \(datasets: be, f64, grp\/inner, labels, names, probs\)/],
      [loadHdf5(f("plain.h5"), "weights"), /plain\.h5: no dataset "weights" \(datasets: be, f64/],
    ];
    for (const [p, message] of cases) {
      await expect(p).rejects.toThrow(message);
      await expect(p).rejects.toBeInstanceOf(InpcaInputError);
    }
  });
});

describe("loadDistanceMatrixH5 (a precomputed `w` as the authors release it)", () => {
  it("loads the whole matrix and selected points, matching NumPy's own selection", async () => {
    const D = await loadDistanceMatrixH5(f("w.h5"));
    expect([D.rows, D.cols, D.symmetric]).toEqual([12, 12, true]);
    const ref = await openHdf5(f("w.h5"));
    const expRows = ref.read("expected_rows_2_5_7_11");
    const expRange = ref.read("expected_rows_1_to_9_step_2");
    ref.close();
    const sel = await loadDistanceMatrixH5(f("w.h5"), { rows: [2, 5, 7, 11], kind: "bhattacharyya", batchBytes: 8 * 12 });
    expect(sel.kind).toBe("bhattacharyya");
    expect(Array.from(sel.data)).toEqual(Array.from(expRows.data));
    expect(sel.rowMeta.map((m) => m.step)).toEqual([2, 5, 7, 11]);
    const rng = await loadDistanceMatrixH5(f("w.h5"), { rows: { start: 1, stop: 9, step: 2 } });
    expect(Array.from(rng.data)).toEqual(Array.from(expRange.data));
    // float32 storage, and metadata for the whole matrix selected along with the rows
    const meta = Array.from({ length: 12 }, (_, i) => ({ run: `r${i % 3}`, step: 10 * i }));
    const s32 = await loadDistanceMatrixH5(f("w.h5"), { dataset: "w32", rows: [2, 5, 7, 11], meta });
    s32.data.forEach((v, i) => expect(v).toBe(Math.fround(expRows.data[i]!)));
    expect(s32.rowMeta.map((m) => m.run)).toEqual(["r2", "r2", "r1", "r2"]);
  });

  it("goes straight into inpca, with the selected points' metadata", async () => {
    const D = await loadDistanceMatrixH5(f("w.h5"), { rows: [0, 2, 4, 6, 8, 10, 11] });
    const emb = inpca(D, { dims: 3 });
    expect(emb.points).toBe(7);
    expect(emb.meta.map((m) => m.step)).toEqual([0, 2, 4, 6, 8, 10, 11]);
    expect(Array.from(emb.coords).every(Number.isFinite)).toBe(true);
  });

  // independent: h5py (the HDF5 C library) reads the selection; any Python error fails the test
  it("cross-checks values against h5py directly", skipWhen(h5pyMissing()), async () => {
    const out = runPython(h5pyPython(), ["-c", `
import h5py, json, sys, numpy as np
with h5py.File(sys.argv[1], "r") as f:
    w = f["w"][...]
    print(json.dumps(w[np.ix_([9, 1, 4], [9, 1, 4])].ravel().tolist()))`, f("w.h5")]);
    const ref = JSON.parse(out) as number[];
    expect(ref).toHaveLength(9);
    const D = await loadDistanceMatrixH5(f("w.h5"), { rows: [9, 1, 4] });
    expect(Array.from(D.data)).toEqual(ref);
  });

  it("rejects a matrix that is not square, symmetric, zero on the diagonal and finite", async () => {
    const bad = f("w-bad.h5");
    await expect(loadDistanceMatrixH5(bad)).rejects.toThrow(/w-bad\.h5: dataset "w": not symmetric: \(4, 3\) = [\d.]+ but \(3, 4\) = [\d.]+/);
    await expect(loadDistanceMatrixH5(bad, { dataset: "w_rect" })).rejects.toThrow(/w-bad\.h5: dataset "w_rect" has shape \[5, 12\], not a square distance matrix/);
    await expect(loadDistanceMatrixH5(bad, { dataset: "w_diag" })).rejects.toThrow(/w-bad\.h5: dataset "w_diag": diagonal entry \(2, 2\) is 0\.25, not 0/);
    await expect(loadDistanceMatrixH5(bad, { dataset: "w_nan" })).rejects.toThrow(/w-bad\.h5: dataset "w_nan": entry \(6, 1\) is NaN/);
    // a selection that avoids the bad entries is fine: only the selected rows and columns are checked
    expect((await loadDistanceMatrixH5(bad, { dataset: "w_nan", rows: [0, 2, 3] })).rows).toBe(3);
    await expect(loadDistanceMatrixH5(f("w.h5"), { meta: [{ run: "a", step: 0 }] })).rejects.toThrow(/w\.h5: 1 metadata rows for a 12×12 matrix/);
  });
});
