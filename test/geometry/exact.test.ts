import { mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { InpcaInputError } from "../../src/core/errors.js";
import { sourceOf } from "../../src/core/source.js";
import { bhattacharyya, inpca } from "../../src/geometry/index.js";
import type { Embedding } from "../../src/core/embedding.js";
import { blockGrid, blockMoments, blockRange, blockTasks, computeBlocks, exactInpcaOfBlocks, exactInpcaOfSource as exactInpcaWithReport, memoryBlockStore } from "../../src/geometry/exact/blocks.js";
import { blockStore } from "../../src/io/stores/block-store.js";
import { doubleCenter, frobenius2 } from "../../src/linalg/dense.js";
import { naiveCentredFrobenius2, trajectorySet } from "../helpers/data.js";

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const scratch = () => {
  const d = mkdtempSync(join(tmpdir(), "inpca-exact-"));
  dirs.push(d);
  return d;
};

/** Largest gap between a's and b's first k axes, each axis's sign aligned, over b's largest |coordinate|. */
function coordGap(a: Embedding, b: Embedding, k: number): number {
  let gap = 0, scale = 0;
  for (let ax = 0; ax < k; ax++) {
    let dot = 0;
    for (let i = 0; i < b.points; i++) dot += a.coord(i, ax) * b.coord(i, ax);
    const s = dot < 0 ? -1 : 1;
    for (let i = 0; i < b.points; i++) {
      gap = Math.max(gap, Math.abs(a.coord(i, ax) - s * b.coord(i, ax)));
      scale = Math.max(scale, Math.abs(b.coord(i, ax)));
    }
  }
  return gap / scale;
}

function relGap(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let g = 0;
  for (let i = 0; i < b.length; i++) g = Math.max(g, Math.abs(a[i]! - b[i]!) / Math.max(Math.abs(b[i]!), 1e-300));
  return g;
}

describe("the block grid of exact InPCA", () => {
  it("covers the upper triangle once, in row-major order; tasks are contiguous, cover every block once, about equal in cost", () => {
    const grid = blockGrid(1000, 96);
    expect(grid.count).toBe(11);
    expect(grid.blocks).toHaveLength((11 * 12) / 2);
    const seen = new Set(grid.blocks.map(([I, J]) => `${I},${J}`));
    for (let I = 0; I < 11; I++) for (let J = 0; J < 11; J++) expect(seen.has(`${I},${J}`)).toBe(I <= J);
    expect(blockRange(grid, 10)).toEqual([960, 1000]);
    for (const n of [1, 3, 7, 66]) {
      const tasks = blockTasks(grid, n);
      expect(tasks).toHaveLength(n);
      expect(tasks.flat()).toEqual(grid.blocks.map((_, k) => k));
      tasks.forEach((t) => expect(t.length).toBeGreaterThan(0));
      if (n <= 7) {
        const cost = tasks.map((t) => t.reduce((s, k) => {
          const [I, J] = grid.blocks[k]!;
          const [a0, a1] = blockRange(grid, I), [b0, b1] = blockRange(grid, J);
          return s + (I === J ? ((a1 - a0) * (a1 - a0 - 1)) / 2 : (a1 - a0) * (b1 - b0));
        }, 0));
        // contiguous runs can be off by at most one block's cost (96 × 96) from an equal share
        const share = cost.reduce((a, b) => a + b, 0) / n;
        cost.forEach((c) => expect(Math.abs(c - share)).toBeLessThanOrEqual(96 * 96));
      }
    }
    expect(() => blockTasks(grid, 67)).toThrow(/67 tasks for 66 blocks/);
    expect(() => blockGrid(1000, 0)).toThrow(InpcaInputError);
  });
});

describe("exact InPCA out of core", () => {
  const set = trajectorySet(12, 25, 40, 6, 5); // 300 model-points
  let dense: Embedding;
  let D: Float64Array;

  it("one pass over the blocks gives the row means, the grand mean and ‖W‖²_F of the dense double-centring", async () => {
    const Dm = await bhattacharyya(set);
    D = Dm.data;
    const grid = blockGrid(set.models, 64);
    const store = memoryBlockStore();
    await computeBlocks(sourceOf(set), grid, store, grid.blocks.map((_, k) => k), { showProgress: false });
    const m = blockMoments(grid, store, { showProgress: false });
    // the dense path on the same float32-rounded matrix
    const D32 = Float64Array.from(Float32Array.from(D));
    const { W, columnMeans, grandMean } = doubleCenter(D32, set.models);
    expect(relGap(m.rowMeans, columnMeans)).toBeLessThan(1e-12);
    expect(Math.abs(m.grandMean - grandMean) / grandMean).toBeLessThan(1e-12);
    expect(Math.abs(m.frobenius2 - frobenius2(W)) / frobenius2(W)).toBeLessThan(1e-9);
    // independent of doubleCenter and frobenius2: −½ J D J from J's definition by explicit loops
    const naive = naiveCentredFrobenius2(D32, set.models);
    expect(Math.abs(m.frobenius2 - naive) / naive).toBeLessThan(1e-9);
  });

  it("equals inpca(bhattacharyya(set)) to 1e-6 (coordinates after signs, eigenvalues, ES), streaming every block or keeping all", async () => {
    dense = inpca(await bhattacharyya(set), { dims: 4, spectrum: 20 });
    for (const memory of [0, 2 ** 30]) {
      const { embedding: e, report } = await exactInpcaWithReport(set, { dims: 4, block: 64, memory: memory || 1, store: memoryBlockStore(), showProgress: false });
      expect(coordGap(e, dense, 4)).toBeLessThan(1e-6);
      expect(relGap(e.eigenvalues, dense.eigenvalues)).toBeLessThan(1e-6);
      expect(relGap(e.explainedStress, dense.explainedStress)).toBeLessThan(1e-6);
      expect(Math.abs(e.frobenius2 - dense.frobenius2) / dense.frobenius2).toBeLessThan(1e-6);
      expect(Array.from(e.timelike)).toEqual(Array.from(dense.timelike));
      expect(report.residual).toBeLessThan(1e-9);
      if (memory === 0) expect(report.streamedBytes).toBeGreaterThan(0);
      else expect(report.streamedBytes).toBe(0);
    }
  });

  it("without a store it keeps the blocks in memory when they fit, and otherwise asks for a folder", async () => {
    const e = (await exactInpcaWithReport(set, { dims: 3, block: 100, showProgress: false })).embedding;
    expect(coordGap(e, dense, 3)).toBeLessThan(1e-6);
    await expect(exactInpcaWithReport(set, { dims: 3, block: 100, memory: 100_000, showProgress: false })).rejects.toThrow(/give a folder for the blocks/);
  });

  it("a folder of blocks: resumes where it stopped, names a missing or damaged block (and returns nothing), and a re-run mends it", async () => {
    const dir = scratch();
    const grid = blockGrid(set.models, 64);
    const store = blockStore(dir, (I, J) => [blockRange(grid, I)[1] - blockRange(grid, I)[0], blockRange(grid, J)[1] - blockRange(grid, J)[0]]);
    const src = sourceOf(set);
    // a first run stopped after 4 blocks
    expect(await computeBlocks(src, grid, store, [0, 1, 2, 3], { showProgress: false })).toEqual({ computed: 4, skipped: 0 });
    expect(() => exactInpcaOfBlocks(grid, store, set.meta, { showProgress: false })).toThrow(/11 of 15 blocks .* not usable[\s\S]*blocks\/b-00001-00001\.f32: missing/);
    const all = grid.blocks.map((_, k) => k);
    expect(await computeBlocks(src, grid, store, all, { showProgress: false })).toEqual({ computed: 11, skipped: 4 });
    const good = exactInpcaOfBlocks(grid, store, set.meta, { dims: 4, spectrum: 20, showProgress: false }).embedding;
    expect(coordGap(good, dense, 4)).toBeLessThan(1e-6);
    // damage: one flipped byte in a block, one record removed (a task killed between its data and its record)
    const f = join(dir, "blocks", "b-00000-00002.f32");
    const bytes = readFileSync(f);
    bytes[1000] ^= 0xff;
    writeFileSync(f, bytes);
    rmSync(join(dir, "blocks", "b-00003-00004.json"));
    let message = "";
    try {
      exactInpcaOfBlocks(grid, store, set.meta, { showProgress: false });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/2 of 15 blocks/);
    expect(message).toMatch(/b-00000-00002\.f32: corrupt: the data does not match its SHA-256/);
    expect(message).toMatch(/b-00003-00004\.f32: missing \(its data has no record/);
    // a truncated file is named by its size
    writeFileSync(join(dir, "blocks", "b-00001-00002.f32"), bytes.subarray(0, 100));
    expect(() => exactInpcaOfBlocks(grid, store, set.meta, { showProgress: false })).toThrow(/b-00001-00002\.f32: corrupt: 100 bytes, expected 64 × 64 × 4/);
    // re-running mends exactly the three
    expect(await computeBlocks(src, grid, store, all, { showProgress: false })).toEqual({ computed: 3, skipped: 12 });
    const mended = exactInpcaOfBlocks(grid, store, set.meta, { dims: 4, spectrum: 20, showProgress: false }).embedding;
    expect(Array.from(mended.coords)).toEqual(Array.from(good.coords));
    expect(readdirSync(join(dir, "blocks")).filter((n) => n.includes(".tmp-"))).toEqual([]);
  });
});

describe("exact InPCA at 8,000 model-points", () => {
  it("equals the in-memory path to 1e-6: coordinates after signs, eigenvalues, ES", async () => {
    const big = trajectorySet(100, 80, 60, 10, 8); // 8,000 × 60 × 10
    const dense = inpca(await bhattacharyya(big, { showProgress: false }), { dims: 5, spectrum: 20 });
    const { embedding: e, report } = await exactInpcaWithReport(big, { dims: 5, block: 1000, memory: 64 * 2 ** 20, store: memoryBlockStore(), showProgress: false });
    expect(report.streamedBytes).toBeGreaterThan(0); // 64 MiB holds a part of the 128 MB of blocks
    expect(coordGap(e, dense, 5)).toBeLessThan(1e-6);
    expect(relGap(e.eigenvalues, dense.eigenvalues)).toBeLessThan(1e-6);
    expect(relGap(e.explainedStress.subarray(0, 5), dense.explainedStress.subarray(0, 5))).toBeLessThan(1e-6);
  }, 600_000);
});
