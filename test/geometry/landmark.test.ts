/**
 * Landmark InPCA (docs/methods.md §13) against exact InPCA where the exact one fits, its streaming sources (a zoo on disk
 * read by row ranges), resuming from cached chunks, sample subsampling with standard errors, and bad input.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { InpcaAbortError, InpcaInputError, PredictionSet } from "../../src/core/index.js";
import { streamChunks } from "../../src/core/chunks.js";
import { sourceOf } from "../../src/core/source.js";
import { bhattacharyya, inpca } from "../../src/geometry/index.js";
import type { Embedding } from "../../src/core/embedding.js";
import { distanceStandardError, landmarkInpca, spreadPick } from "../../src/geometry/landmark/index.js";
import { shutdownPool } from "../../src/geometry/pairwise/pool.js";
import { sampleSubset } from "../../src/geometry/subsample.js";
import { chunkCache } from "../../src/io/stores/chunk-cache.js";
import { loadZoo, saveZoo } from "../../src/io/stores/zoo/index.js";
import { zooSource } from "../../src/io/stores/zoo/source.js";
import { hdf5Source } from "../../src/io/formats/hdf5/source.js";
import { checkpointSource } from "../../src/io/checkpoints/source.js";
import { loadCheckpoints } from "../../src/io/checkpoints/load.js";
import { loadNpy } from "../../src/io/formats/npy.js";
import { axisErrors, trajectorySet } from "../helpers/data.js";

const tmp = mkdtempSync(join(tmpdir(), "inpca-landmark-"));
afterAll(async () => {
  rmSync(tmp, { recursive: true, force: true });
  await shutdownPool();
});

describe("landmarkInpca", () => {
  it("12,000 model-points, 1,500 landmarks: top-3 axes within 3 % of exact InPCA, same eigenvalue signs, ES(3) within 0.01", async () => {
    const set = trajectorySet(400, 30, 40, 10, 3);
    expect(set.models).toBe(12000);
    const exact = inpca(await bhattacharyya(set), { dims: 3 });
    const lm = await landmarkInpca(set, { landmarks: 1500, dims: 3 });
    const err = axisErrors(lm, exact, 3);
    for (const e of err) expect(e).toBeLessThan(0.03);
    expect(Array.from(lm.eigenvalues, Math.sign)).toEqual(Array.from(exact.eigenvalues, Math.sign));
    for (let k = 0; k < 3; k++) expect(Math.abs(lm.eigenvalues[k]! - exact.eigenvalues[k]!) / Math.abs(exact.eigenvalues[k]!)).toBeLessThan(0.01);
    expect(Math.abs(lm.explainedStress[2]! - exact.explainedStress[2]!)).toBeLessThan(0.01);
    // the 95 % interval of the estimate covers the exact value
    expect(lm.landmark!.stress.low).toBeLessThanOrEqual(exact.explainedStress[2]!);
    expect(lm.landmark!.stress.high).toBeGreaterThanOrEqual(exact.explainedStress[2]!);
    expect(lm.landmark!.landmarks.length).toBe(1500);
    expect(String(lm)).toMatch(/landmark InPCA \(1500 landmarks, pivoted, f32\)/);
  }, 300_000);

  it("with every model-point a landmark (f64) it is exact InPCA; addPoints places a point from its landmark distances", async () => {
    const set = trajectorySet(12, 10, 30, 5, 7);
    const exact = inpca(await bhattacharyya(set), { dims: 3 });
    const lm = await landmarkInpca(set, { landmarks: set.models, precision: "f64", dims: 3, stressPoints: set.models });
    for (let i = 0; i < set.models; i++) for (let k = 0; k < 3; k++) expect(lm.coord(i, k)).toBeCloseTo(exact.coord(i, k), 8);
    for (let k = 0; k < 3; k++) expect(lm.eigenvalues[k]).toBeCloseTo(exact.eigenvalues[k]!, 8);
    expect(lm.explainedStress[2]).toBeCloseTo(exact.explainedStress[2]!, 8);
    // independent of the placement formula: addPoints of model-points by their distances to all (= the landmarks)
    // lands on the coordinates of the dense eigendecomposition (inpca), up to the axes' signs already matched above
    const probe = [3, 64, 118];
    const back = lm.addPoints(await bhattacharyya(set.select(probe), set.select(lm.landmark!.landmarks), { precision: "f64" }));
    probe.forEach((r, a) => {
      for (let k = 0; k < 3; k++) expect(back.coord(set.models + a, k)).toBeCloseTo(exact.coord(r, k), 8);
    });
    // a landmark embedding with fewer landmarks (a consistency check: its coordinates come from the same placement): a model-point's own distances to the landmarks give its coordinates
    const part = await landmarkInpca(set, { landmarks: 40, dims: 3, precision: "f64" });
    const marks = set.select(part.landmark!.landmarks);
    const rows = [0, 17, 55, 119];
    const placed = part.addPoints(await bhattacharyya(set.select(rows), marks, { precision: "f64" }));
    rows.forEach((r, a) => {
      for (let k = 0; k < 3; k++) expect(placed.coord(set.models + a, k)).toBeCloseTo(part.coord(r, k), 9);
    });
  });

  it("resumes from cached chunks after an interruption, with the same result; stops on the signal", async () => {
    const set = trajectorySet(40, 25, 30, 10, 9);
    const options = { landmarks: 100, memory: 100 * 30 * 10 * 4 + 3 * 100 * 100 * 8 + 2 * 150 * (30 * 10 * 4 + 1600), showProgress: false as const };
    const whole = await landmarkInpca(set, options);
    expect(whole.landmark!.chunkRows).toBe(150);
    const cache = chunkCache(join(tmp, "cache"));
    const controller = new AbortController();
    await expect(landmarkInpca(set, {
      ...options, cache, signal: controller.signal,
      onProgress: (done, total, label) => { if (label === "landmark inpca" && done >= total * 0.6) controller.abort(); },
    })).rejects.toThrow(InpcaAbortError);
    const resumed = await landmarkInpca(set, { ...options, cache });
    expect(resumed.landmark!.resumedRows).toBeGreaterThanOrEqual(600);
    expect(resumed.landmark!.resumedRows).toBeLessThan(set.models);
    expect(Array.from(resumed.coords)).toEqual(Array.from(whole.coords));
  });

  it("reads a zoo on disk by row ranges: the same rows and the same embedding as the zoo loaded whole", async () => {
    const a = trajectorySet(6, 12, 25, 4, 11);
    const sets = { train: a, test: trajectorySet(6, 12, 25, 4, 12).withMeta(a.meta) };
    const dir = join(tmp, "zoo");
    saveZoo(dir, sets, { dataset: "toy" });
    const zoo = loadZoo(dir);
    const whole = zoo.predictions("train");
    const src = zooSource(zoo, "train");
    expect([src.models, src.samples, src.classes]).toEqual([whole.models, whole.samples, whole.classes]);
    const rows = [0, 1, 2, 11, 12, 13, 40, 71];
    const part = await src.read(rows, Int32Array.from([1, 4, 9]));
    for (const [q, r] of rows.entries()) for (const [n, s] of [1, 4, 9].entries()) for (let c = 0; c < 4; c++) {
      expect(part.probs[(q * 3 + n) * 4 + c]).toBe(whole.probs[(r * whole.samples + s) * 4 + c]);
    }
    expect(part.meta.map((m) => m.step)).toEqual(rows.map((r) => whole.meta[r]!.step));
    // a budget of 10 rows a chunk, too small for the pivoted selection's pool: spread on both sides
    const fromDisk = await landmarkInpca(src, { landmarks: 30, select: "spread", memory: 30 * 25 * 16 + 3 * 30 * 30 * 8 + 2 * 10 * (25 * 16 + 480) });
    const fromMemory = await landmarkInpca(whole, { landmarks: 30, select: "spread" });
    expect(fromDisk.landmark!.chunkRows).toBe(10);
    expect(Array.from(fromDisk.coords)).toEqual(Array.from(fromMemory.coords));
    await expect(src.read([5, 3])).rejects.toThrow(/ascending order \(5 then 3\)/);
  });

  it("reads an HDF5 dataset [checkpoints, samples, classes] by rows (the authors' float16 LZ4 per-seed files)", async () => {
    const file = join(__dirname, "..", "fixtures", "checkpoints", "per-seed-h5", "seed_0.h5");
    const expected = loadNpy(join(__dirname, "..", "fixtures", "checkpoints", "expected", "per-seed-h5-0.npy"));
    const labels = loadNpy(join(__dirname, "..", "fixtures", "checkpoints", "per-seed-h5", "labels", "train.npy")).data as ArrayLike<number>;
    const src = await hdf5Source(file, "yh", { labels, epochs: "epochs" });
    try {
      const [K, S, C] = expected.shape as [number, number, number];
      expect([src.models, src.samples, src.classes]).toEqual([K, S, C]);
      expect(src.meta.map((m) => m.epoch)).toEqual([0, 1, 5, 20]);
      const part = await src.read([1, 3], Int32Array.from([0, 2]));
      for (const [q, r] of [1, 3].entries()) for (const [n, s] of [0, 2].entries()) for (let c = 0; c < C; c++) {
        expect(part.probs[(q * 2 + n) * C + c]).toBe(expected.data[(r * S + s) * C + c]);
      }
      expect(Array.from(part.labels!)).toEqual([labels[0], labels[2]]);
      const emb = await landmarkInpca(src, { landmarks: 3, dims: 2, stressPoints: 4 });
      expect(emb.points).toBe(K);
      await expect(hdf5Source(file, "epochs")).rejects.toThrow(/dataset "epochs" has shape \(4\); expected \[model-points, samples, classes\]/);
    } finally {
      src.close();
    }
  });

  it("reads a folder of checkpoints lazily, row by row, equal to loadCheckpoints", async () => {
    const dir = join(__dirname, "..", "fixtures", "checkpoints", "parent-of-runs");
    const whole = await loadCheckpoints(dir, { log: false });
    const src = await checkpointSource(dir, { log: false });
    expect([src.models, src.samples, src.classes]).toEqual([whole.models, whole.samples, whole.classes]);
    expect(Array.from(src.labels!)).toEqual(Array.from(whole.labels!));
    expect(src.meta.map((m) => [m.run, m.step])).toEqual(whole.meta.map((m) => [m.run, m.step]));
    const part = await src.read([1, 4], Int32Array.from([0, 3]));
    for (const [q, r] of [1, 4].entries()) for (const [n, s] of [0, 3].entries()) for (let c = 0; c < src.classes; c++) {
      expect(part.probs[(q * 2 + n) * src.classes + c]).toBe(whole.probs[(r * whole.samples + s) * whole.classes + c]);
    }
  });

  it("samples: n uses a class-stratified subset and reports the standard error (with the finite-population factor), which matches the spread over subsets", async () => {
    const set = trajectorySet(10, 12, 400, 10, 13);
    const sub = sampleSubset(400, 100, set.labels, 1);
    expect(sub.length).toBe(100);
    const count = (ix: ArrayLike<number>) => Array.from({ length: 10 }, (_, c) => Array.from(ix).filter((n) => set.labels![n] === c).length);
    count(sub).forEach((k, c) => expect(Math.abs(k - count(Array.from({ length: 400 }, (_, n) => n))[c]! / 4)).toBeLessThanOrEqual(1));
    const lm = await landmarkInpca(set, { landmarks: 60, samples: 100 });
    const se = lm.landmark!.distanceError!;
    expect(lm.landmark!.samples).toBe(100);
    expect(String(lm)).toMatch(/100 of 400 samples: d_B standard error/);
    // the standard error the library reports is checked against the spread of the distance over 400 seeded subsets:
    // measured 1.00–1.04 of the reported value on these pairs (without the finite-population factor it would be
    // 0.87–0.90, outside the bounds); the bounds are 2–3× the spread's own sampling error (~3.5 % at 400 subsets)
    const ratios: number[] = [];
    for (const [a, b] of [[5, 100], [30, 119], [7, 8]] as const) {
      const pair = set.select([a, b]);
      const full = (await bhattacharyya(pair, { precision: "f64" })).get(0, 1);
      const estimates: number[] = [];
      for (let seed = 1; seed <= 400; seed++) estimates.push((await bhattacharyya(pair.selectSamples(sampleSubset(400, 100, set.labels, seed)), { precision: "f64" })).get(0, 1));
      const spread = Math.sqrt(estimates.reduce((s, e) => s + (e - full) ** 2, 0) / estimates.length);
      const reported = distanceStandardError(pair.selectSamples(sub), 0, 1, 400).se;
      // its value against a naive loop: sd of the subset's per-sample terms / √100, times √(300/399)
      const terms = Array.from(sub, (n) => bhattacharyyaTerm(pair, n));
      const mean = terms.reduce((x, y) => x + y, 0) / 100;
      const naive = (Math.sqrt(terms.reduce((x, t) => x + (t - mean) ** 2, 0) / 99) / 10) * Math.sqrt(300 / 399);
      expect(Math.abs(reported - naive) / naive).toBeLessThan(1e-9);
      ratios.push(spread / reported);
    }
    for (const r of ratios) {
      expect(r).toBeGreaterThan(0.93);
      expect(r).toBeLessThan(1.1);
    }
    // landmarkInpca reports the median of that value over landmark pairs, and its ratio to the distance
    const marks = set.select(Array.from(lm.landmark!.landmarks)).selectSamples(sub);
    const all: number[] = [];
    for (let i = 0; i < marks.models; i++) for (let j = i + 1; j < marks.models; j++) all.push(distanceStandardError(marks, i, j, 400).se);
    all.sort((x, y) => x - y);
    expect(se.median).toBeGreaterThanOrEqual(all[Math.floor(all.length * 0.25)]!);
    expect(se.median).toBeLessThanOrEqual(all[Math.floor(all.length * 0.75)]!);
    expect(se.relative).toBeGreaterThan(0);
  });

  it("refuses landmarks > model-points, too few landmarks, and a memory budget that cannot hold the landmarks or a chunk", async () => {
    const set = trajectorySet(3, 10, 20, 4, 1);
    await expect(landmarkInpca(set, { landmarks: 31 })).rejects.toThrow(/31 landmarks but the source has only 30 model-points; lower `landmarks`/);
    await expect(landmarkInpca(set, { landmarks: 3, dims: 3 })).rejects.toThrow(/at least dims \+ 1 = 4 landmarks/);
    await expect(landmarkInpca(set, { landmarks: 20, memory: 1000 })).rejects.toThrow(/need 0 MiB resident, more than the memory budget of 0 MiB; raise `memory`/);
    await expect(landmarkInpca(set, { landmarks: 20, memory: 20 * 20 * 16 + 3 * 20 * 20 * 8 + 100 })).rejects.toThrow(/cannot hold one model-point .* raise `memory` or lower `samples`/);
    await expect(landmarkInpca(set, { landmarks: [0, 1, 2, 2, 5] })).rejects.toThrow(/landmark 2 is listed twice/);
    await expect(landmarkInpca(set, { select: "best" as "random" })).rejects.toThrow(InpcaInputError);
    // identical model-points stay finite: every coordinate 0, nothing explained is missing
    const same = PredictionSet.fromProbabilities(new Float32Array(6 * 21 * 4).fill(0.25), [6, 21, 4]);
    const flat = await landmarkInpca(sourceOf(same), { landmarks: 3, dims: 2 });
    expect(Array.from(flat.coords)).toEqual(new Array(12).fill(0));
    expect(Number.isFinite(flat.explainedStress[0]!)).toBe(true);
  });

  it("spread: an equal share per run, from each run's least to greatest progress", () => {
    const meta = Array.from({ length: 30 }, (_, i) => ({ run: `r${Math.floor(i / 10)}`, step: i % 10 }));
    const progress = Float64Array.from({ length: 30 }, (_, i) => ((i % 10) / 9) ** 2);
    const pick = spreadPick(meta, 9, progress);
    expect(pick.length).toBe(9);
    for (let r = 0; r < 3; r++) {
      const mine = pick.filter((i) => Math.floor(i / 10) === r).map((i) => i % 10).sort((a, b) => a - b);
      expect(mine).toEqual([0, 6, 9]); // progress targets 0, 0.5, 1 → steps 0, 6 (0.444), 9
    }
    // more runs than landmarks: runs 0 and 2 (stride round(3/φ) = 2), one checkpoint each at the golden-ratio
    // levels 0.5 and 0.118 of the run (steps 4.5 → 4, the first of the tie, and 1.06 → 1)
    expect(spreadPick(meta, 2, null).sort((a, b) => a - b)).toEqual([4, 21]);
  });

  it("spread with one landmark per run covers ignorance to truth together (not every run's middle)", () => {
    // 400 runs × 30 checkpoints, 100 landmarks: one per run in every fourth run
    const meta = Array.from({ length: 12000 }, (_, i) => ({ run: `r${Math.floor(i / 30)}`, step: i % 30 }));
    const progress = Float64Array.from(meta, (m) => m.step / 29);
    const levels = spreadPick(meta, 100, progress).map((i) => progress[i]!).sort((a, b) => a - b);
    expect(levels.length).toBe(100);
    expect(levels[0]).toBeLessThan(0.05);
    expect(levels.at(-1)).toBeGreaterThan(0.95);
    // close to uniform: every tenth of [0, 1] holds 10 ± 3 landmarks
    for (let b = 0; b < 10; b++) expect(Math.abs(levels.filter((v) => v >= b / 10 && v < (b + 1) / 10 + (b === 9 ? 1e-9 : 0)).length - 10)).toBeLessThanOrEqual(3);
    // and the runs chosen do not alias with a periodic run order: runs cycling through 6 groups get 16–17 each
    const groups = new Array<number>(6).fill(0);
    for (const i of spreadPick(meta, 100, progress)) groups[Math.floor(i / 30) % 6]!++;
    for (const g of groups) expect(Math.abs(g - 100 / 6)).toBeLessThanOrEqual(1);
  });
});

/** -log BC of model-points 0 and 1 of `pair` on sample n (rows normalised). */
function bhattacharyyaTerm(pair: PredictionSet, n: number): number {
  const C = pair.classes;
  let s0 = 0, s1 = 0, bc = 0;
  for (let c = 0; c < C; c++) {
    s0 += pair.probs[n * C + c]!;
    s1 += pair.probs[(pair.samples + n) * C + c]!;
  }
  for (let c = 0; c < C; c++) bc += Math.sqrt((pair.probs[n * C + c]! / s0) * (pair.probs[(pair.samples + n) * C + c]! / s1));
  return -Math.log(Math.min(1, Math.max(bc, Math.exp(-100))));
}

describe("streamChunks", () => {
  it("reads chunk k+1 while chunk k computes, skips cached chunks, and reports a failed read after the chunk before it", async () => {
    const set = trajectorySet(5, 10, 8, 3, 2);
    const src = sourceOf(set);
    const log: string[] = [];
    const traced = (fail: number | null) => ({
      ...src,
      read: async (rows: ArrayLike<number>, samples?: Int32Array) => {
        log.push(`read ${rows[0]}`);
        if (rows[0] === fail) throw new InpcaInputError(`bad row ${fail}`);
        return src.read(rows, samples);
      },
    });
    const compute = async (rows: PredictionSet, start: number, end: number) => {
      log.push(`start ${start}`);
      expect(rows.models).toBe(end - start);
      await new Promise((r) => setTimeout(r, 5));
      log.push(`done ${start}`);
    };
    await streamChunks(traced(null), 0, 50, 20, undefined, (start) => (start === 20 ? true : null), compute);
    expect(log).toEqual(["read 0", "start 0", "read 40", "done 0", "start 40", "done 40"]);
    log.length = 0;
    await expect(streamChunks(traced(20), 0, 50, 10, undefined, () => null, compute)).rejects.toThrow("bad row 20");
    expect(log).toEqual(["read 0", "start 0", "read 10", "done 0", "start 10", "read 20", "done 10"]);
  });
});
