import { afterAll, describe, expect, it } from "vitest";
import { InpcaAbortError, InpcaInputError, PredictionSet } from "../../src/core/index.js";
import { bhattacharyya, bhattacharyyaSync, hellinger, ignorance, reindex, symmetricKL, truth, tubeWidth, KL_FLOOR } from "../../src/geometry/index.js";
import { shutdownPool } from "../../src/geometry/pairwise/pool.js";
import { kernelModule } from "../../src/geometry/pairwise/runtime.js";
import { BlockEngine, finishMatrix, rowPairs } from "../../src/geometry/pairwise/engine.js";
import { naiveBhattacharyya, randomSet } from "../helpers/data.js";
import { bhattacharyyaResident, bhattacharyyaTo, bhattacharyyaToOffThread } from "../../src/geometry/distances.js";

afterAll(() => shutdownPool());

describe("bhattacharyya", () => {
  it("d_B(ignorance, truth) = ½ ln C for several C", () => {
    for (const C of [2, 3, 10, 100]) {
      const labels = Array.from({ length: 37 }, (_, n) => (n * 7) % C);
      const D = bhattacharyyaSync(ignorance(labels, C).concat(truth(labels, C)));
      expect(D.get(0, 1)).toBeCloseTo(0.5 * Math.log(C), 6); // float32 storage of 1/C limits this to ~1e-7
      expect(D.get(1, 0)).toBe(D.get(0, 1));
    }
  });

  it("matches a naive per-sample-log computation, is symmetric, zero on the diagonal, non-negative", () => {
    const set = randomSet(45, 83, 10, 2, { zeros: 0.05 });
    const D = bhattacharyyaSync(set);
    expect(D.symmetric).toBe(true);
    let maxRel = 0;
    for (let i = 0; i < set.models; i++) {
      expect(D.get(i, i)).toBe(0);
      for (let j = 0; j < set.models; j++) {
        expect(D.get(i, j)).toBe(D.get(j, i));
        expect(D.get(i, j)).toBeGreaterThanOrEqual(0);
        if (i !== j) {
          const ref = naiveBhattacharyya(set, i, set, j);
          maxRel = Math.max(maxRel, Math.abs(D.get(i, j) - ref) / ref);
        }
      }
    }
    expect(maxRel).toBeLessThan(1e-12);
  });

  it("caps each per-sample term at 100 (disjoint supports) and normalises rows", () => {
    // sample 0: disjoint supports (BC = 0 → 100); sample 1: identical (BC = 1 → 0); sample 2: BC = 0.5
    const a = PredictionSet.fromProbabilities([1, 0, 0, 0.5, 0.5, 0, 0.25, 0.75, 0], [1, 3, 3]);
    const p = [0, 1, 0, 0.5, 0.5, 0, 1, 0, 0];
    const b = PredictionSet.fromProbabilities(p, [1, 3, 3]);
    const bc2 = Math.sqrt(0.25);
    expect(bhattacharyyaSync(a, b).get(0, 0)).toBeCloseTo((100 + 0 - Math.log(bc2)) / 3, 12);
    // BC slightly above 1 from rounding (rows summing to 1 + 1e-4, within the tolerance) gives 0, not a negative value
    // rows are divided by their sums first: a model stored with rows summing to 1.0001 (within the tolerance)
    // is at distance ~0 from the same model stored exactly, never negative
    const up = PredictionSet.fromProbabilities([0.5001, 0.5, 0.25, 0.7501, 0.5001 / 1.0001, 0.5 / 1.0001, 0.25 / 1.0001, 0.7501 / 1.0001], [2, 2, 2]);
    const d = bhattacharyyaSync(up).get(0, 1);
    expect(d).toBeGreaterThanOrEqual(0);
    expect(d).toBeLessThan(1e-14);
  });

  it("the cross matrix equals the corresponding block of the full matrix, bit for bit", async () => {
    const set = randomSet(61, 50, 7, 3);
    const full = bhattacharyyaSync(set);
    const rows = [3, 10, 11, 40, 59];
    const cols = [0, 1, 2, 5, 8, 13, 21, 34, 55, 60];
    const cross = await bhattacharyya(set.select(rows), set.select(cols), { threads: 2 });
    expect(cross.rows).toBe(5);
    expect(cross.cols).toBe(10);
    for (let a = 0; a < rows.length; a++) for (let b = 0; b < cols.length; b++) {
      if (rows[a] !== cols[b]) expect(cross.get(a, b)).toBe(full.get(rows[a]!, cols[b]!));
    }
    expect(cross.rowMeta[0]).toBe(set.meta[3]);
    expect(cross.colMeta[1]).toBe(set.meta[1]);
  });

  it("worker threads give the same matrix as the calling thread, bit for bit, for 1, 2 and 3 threads", async () => {
    const set = randomSet(203, 301, 10, 4);
    const one = bhattacharyyaSync(set, { block: 64 });
    for (const threads of [1, 2, 3]) {
      const par = await bhattacharyya(set, { threads, block: 64 });
      let same = 0;
      for (let q = 0; q < one.data.length; q++) if (one.data[q] === par.data[q]) same++;
      expect(same).toBe(one.data.length);
    }
    // the block size only changes rounding
    const other = bhattacharyyaSync(set, { block: 7 });
    for (let q = 0; q < one.data.length; q += 97) expect(other.data[q]).toBeCloseTo(one.data[q]!, 13);
  });

  describe('precision "f32"', () => {
    /** The f32 path emulated in plain JS: float32 square roots, float32 sums over classes in class order, then float64. */
    function emulatedF32(a: PredictionSet, i: number, b: PredictionSet, j: number): number {
      const { samples: S, classes: C } = a;
      const sq = (set: PredictionSet, m: number, n: number) => {
        const o = (m * S + n) * C;
        let sum = 0;
        for (let c = 0; c < C; c++) sum += set.probs[o + c]!;
        return Array.from({ length: C }, (_, c) => Math.fround(Math.sqrt(set.probs[o + c]! * (1 / sum))));
      };
      let total = 0;
      for (let n = 0; n < S; n++) {
        const u = sq(a, i, n), v = sq(b, j, n);
        let bc = 0;
        for (let c = 0; c < C; c++) bc = Math.fround(bc + Math.fround(u[c]! * v[c]!));
        total -= Math.log(Math.max(Math.min(bc, 1), Math.exp(-100)));
      }
      return total / S;
    }

    it("equals the float32 arithmetic emulated in JS, and stays within (C + 3)·2⁻²⁴ of the float64 path", async () => {
      for (const [M, S, C] of [[45, 83, 10], [13, 40, 3], [9, 31, 17]] as const) {
        const set = randomSet(M, S, C, 11, { zeros: 0.05 });
        const d32 = await bhattacharyya(set, { precision: "f32", threads: 2 });
        const d64 = bhattacharyyaSync(set);
        // the worst case of C float32 products summed, each factor rounded once (a bound, not a fit)
        const bound = (C + 3) * 2 ** -24;
        let maxRel = 0, maxGap = 0;
        for (let i = 0; i < M; i++) for (let j = 0; j < M; j++) {
          if (i === j) { expect(d32.get(i, j)).toBe(0); continue; }
          const ref = emulatedF32(set, i, set, j);
          maxRel = Math.max(maxRel, Math.abs(d32.get(i, j) - ref) / ref);
          maxGap = Math.max(maxGap, Math.abs(d32.get(i, j) - d64.get(i, j)));
        }
        expect(maxRel, `M=${M} S=${S} C=${C}`).toBeLessThan(1e-12);
        expect(maxGap, `M=${M} S=${S} C=${C}`).toBeLessThan(bound);
        expect(maxGap).toBeGreaterThan(0); // it is float32: if equal, the f64 kernel ran
      }
    });

    it("on the calling thread's engine, with a block of 16 and an odd tile count, it equals the emulation too", () => {
      const set = randomSet(29, 57, 10, 21, { zeros: 0.05 });
      const { models: M, samples: S, classes: C } = set;
      const job = { rows: set.probs, cols: null, rowCount: M, colCount: M, samples: S, classes: C, block: 16, precision: "f32" as const, sums: new Float64Array(M * M) };
      new BlockEngine(kernelModule(), job).run(Array.from({ length: rowPairs(M) }, (_, k) => k));
      finishMatrix(job.sums, M, M, S, true);
      const unfused = (i: number, j: number) => {
        let total = 0;
        for (let n = 0; n < S; n++) {
          const sq = (m: number) => {
            const o = (m * S + n) * C;
            let sum = 0;
            for (let c = 0; c < C; c++) sum += set.probs[o + c]!;
            return Array.from({ length: C }, (_, c) => Math.fround(Math.sqrt(set.probs[o + c]! * (1 / sum))));
          };
          const u = sq(i), v = sq(j);
          let bc = 0;
          for (let c = 0; c < C; c++) bc = Math.fround(bc + Math.fround(u[c]! * v[c]!));
          total -= Math.log(Math.max(Math.min(bc, 1), Math.exp(-100)));
        }
        return total / S;
      };
      let maxRel = 0;
      for (let i = 0; i < M; i++) for (let j = i + 1; j < M; j++) maxRel = Math.max(maxRel, Math.abs(job.sums[i * M + j]! - unfused(i, j)) / unfused(i, j));
      expect(maxRel).toBeLessThan(1e-12);
    });

    it("is bit-identical across 0–3 threads and between the cross matrix and the full matrix; caps terms at 100", async () => {
      const set = randomSet(203, 301, 10, 4);
      const one = bhattacharyyaSync(set, { block: 64, precision: "f32" });
      for (const threads of [1, 2, 3]) {
        const par = await bhattacharyya(set, { threads, block: 64, precision: "f32" });
        let same = 0;
        for (let q = 0; q < one.data.length; q++) if (one.data[q] === par.data[q]) same++;
        expect(same).toBe(one.data.length);
      }
      const rows = [3, 10, 11, 40, 59, 202];
      const cols = [0, 1, 2, 5, 8, 13, 21, 34, 55, 60, 61, 62, 200];
      const cross = await bhattacharyya(set.select(rows), set.select(cols), { threads: 2, block: 64, precision: "f32" });
      for (let a = 0; a < rows.length; a++) for (let b = 0; b < cols.length; b++) {
        if (rows[a] !== cols[b]) expect(cross.get(a, b)).toBe(one.get(rows[a]!, cols[b]!));
      }
      // sample 0 disjoint (capped at 100), sample 1 identical one-hot rows (BC exactly 1 in float32 too)
      const a = PredictionSet.fromProbabilities([1, 0, 0, 0, 0, 1], [1, 2, 3]);
      const b = PredictionSet.fromProbabilities([0, 1, 0, 0, 0, 1], [1, 2, 3]);
      expect(bhattacharyyaSync(a, b, { precision: "f32" }).get(0, 0)).toBe(50);
      expect(() => bhattacharyyaSync(a, b, { precision: "f16" as "f32" })).toThrow(/bhattacharyya: precision is "f16"; expected one of "f64", "f32"/);
    });
  });

  it("stays finite with zero probabilities and identical models", () => {
    const set = randomSet(10, 20, 5, 5, { zeros: 0.6 });
    const twice = set.concat(set);
    const D = bhattacharyyaSync(twice);
    for (const v of D.data) expect(Number.isFinite(v)).toBe(true);
    for (let i = 0; i < 10; i++) expect(D.get(i, i + 10)).toBeLessThan(1e-6);
  });

  it("rejects sets on different samples and stops on an aborted signal", async () => {
    const a = randomSet(3, 10, 4, 6);
    const b = randomSet(3, 11, 4, 6);
    expect(() => bhattacharyyaSync(a, b)).toThrow(/not on the same samples: 10 samples vs 11/);
    const c = randomSet(3, 10, 4, 7); // other labels
    await expect(bhattacharyya(a, c)).rejects.toThrow(InpcaInputError);
    const big = randomSet(300, 400, 10, 8);
    const controller = new AbortController();
    controller.abort();
    await expect(bhattacharyya(big, { signal: controller.signal, threads: 2 })).rejects.toThrow(InpcaAbortError);
    expect(() => bhattacharyyaSync(big, { signal: controller.signal })).toThrow(InpcaAbortError);
    // interrupted while the workers run: it stops before the end, and the pool still works afterwards. The abort
    // fires from the first progress report that shows work done (a count, not a clock), and the last report, sent
    // when it stops, must show work left undone (3000² / 2 pairs × 400 samples: no machine finishes it between two
    // reports)
    const later = new AbortController();
    const work = randomSet(3000, 400, 10, 8);
    const reports: [number, number][] = [];
    const onProgress = (done: number, total: number) => {
      reports.push([done, total]);
      if (done > 0) later.abort();
    };
    await expect(bhattacharyya(work, { signal: later.signal, threads: 2, showProgress: false, onProgress })).rejects.toThrow(InpcaAbortError);
    expect(later.signal.aborted).toBe(true);
    const [last, total] = reports.at(-1)!;
    expect(last).toBeGreaterThan(0);
    expect(last).toBeLessThan(total);
    const small = randomSet(200, 300, 10, 9);
    expect((await bhattacharyya(small, { threads: 2 })).data).toEqual(bhattacharyyaSync(small).data);
  });

  it("reports progress through onProgress", async () => {
    const set = randomSet(150, 400, 10, 9);
    const seen: number[] = [];
    await bhattacharyya(set, { threads: 2, block: 50, onProgress: (done, total) => seen.push(done / total) });
    expect(seen.at(-1)).toBe(1);
  });

  it("refuses the option names of earlier versions (progress, progressOptions) with the new ones, where they would be ignored", async () => {
    const set = randomSet(150, 400, 10, 9);
    await expect(bhattacharyya(set, { threads: 2, progress: false } as never)).rejects.toThrow(/`progress` was renamed: `showProgress`.*`geodesicProgress`/);
    expect(() => reindex(set.trajectories()[0]!, { progress: { method: "angle" } } as never)).toThrow(/reindex: the option `progress` was renamed/);
    expect(() => tubeWidth(set, { progressOptions: {} } as never)).toThrow(/tubeWidth: the option `progressOptions` was renamed/);
    const D = await bhattacharyya(set, { threads: 2, showProgress: false });
    expect(D.rows).toBe(150);
  });
});

describe("bhattacharyyaTo: distances to a fixed basis, its roots computed once", () => {
  it("equals the naive formula and the kernel on sets with zeros, identical and disjoint models", () => {
    const basis = randomSet(37, 23, 5, 11, { zeros: 0.3 });
    const a = randomSet(4, 23, 5, 12, { zeros: 0.3 });
    // a row of `a` that is a basis model exactly, and one disjoint from it at every sample (the capped term)
    const probs = Float32Array.from(a.probs);
    probs.set(basis.probs.subarray(0, 23 * 5), 0);
    for (let n = 0; n < 23; n++) for (let c = 0; c < 5; c++) probs[23 * 5 + n * 5 + c] = basis.probs[n * 5 + c]! > 0 ? 0 : 1;
    for (let n = 0; n < 23; n++) {
      let s = 0;
      for (let c = 0; c < 5; c++) s += probs[23 * 5 + n * 5 + c]!;
      if (s === 0) probs[23 * 5 + n * 5] = 1; // a basis row with no zero: leave one class
      else for (let c = 0; c < 5; c++) probs[23 * 5 + n * 5 + c]! /= s;
    }
    const set = new PredictionSet({ probs, models: 4, samples: 23, classes: 5, labels: basis.labels, meta: a.meta });
    const D = bhattacharyyaTo(basis)(set);
    const K = bhattacharyyaSync(set, basis);
    expect([D.rows, D.cols]).toEqual([4, 37]);
    for (let i = 0; i < 4; i++) for (let j = 0; j < 37; j++) {
      expect(Math.abs(D.get(i, j) - naiveBhattacharyya(set, i, basis, j))).toBeLessThan(1e-12);
      expect(Math.abs(D.get(i, j) - K.get(i, j))).toBeLessThan(1e-12);
      expect(Number.isFinite(D.get(i, j))).toBe(true);
    }
    expect(D.get(0, 0)).toBeLessThan(1e-12); // a model and itself
    // float32 coefficients: exactly the f32 kernel's numbers, within 1e-6 of the exact ones
    const D32 = bhattacharyyaTo(basis, { precision: "f32" })(set);
    const K32 = bhattacharyyaSync(set, basis, { precision: "f32" });
    for (let i = 0; i < 4; i++) for (let j = 0; j < 37; j++) {
      expect(D32.get(i, j)).toBe(K32.get(i, j));
      expect(Math.abs(D32.get(i, j) - D.get(i, j))).toBeLessThan(1e-6 * Math.max(1, D.get(i, j)));
    }
  });

  it("refuses a set on other samples, naming both", () => {
    expect(() => bhattacharyyaTo(randomSet(3, 10, 4, 1))(randomSet(1, 9, 4, 2))).toThrow(InpcaInputError);
  });
});

describe("bhattacharyyaToOffThread: the same distances, computed on a worker thread", () => {
  it("answers every row, in order, bit-identical to the calling thread's kernel; a basis that is a view of a larger set works", async () => {
    const big = randomSet(60, 23, 5, 21, { zeros: 0.3 });
    const basis = big.select(Array.from({ length: 37 }, (_, i) => 5 + i)); // may share the larger buffer
    const r = randomSet(6, 23, 5, 22, { zeros: 0.3 });
    const a = new PredictionSet({ probs: r.probs, models: 6, samples: 23, classes: 5, labels: basis.labels, meta: r.meta });
    const here = bhattacharyyaSync(a, basis);
    const worker = bhattacharyyaToOffThread(basis);
    try {
      await worker.ready;
      const S = 23 * 5;
      // all six sent before any answer is read: the answers must come back matched to their rows
      const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => worker.distances(a.probs.slice(i * S, (i + 1) * S))));
      answers.forEach((d, i) => {
        expect(d).toHaveLength(37);
        for (let j = 0; j < 37; j++) expect(d[j]).toBe(here.get(i, j));
      });
      // and the naive formula, independently
      for (let j = 0; j < 37; j++) expect(Math.abs(answers[2]![j]! - naiveBhattacharyya(a, 2, basis, j))).toBeLessThan(1e-12);
      expect(() => worker.distances(new Float32Array(7))).toThrow(/7 probabilities; the basis's samples need 23 samples × 5 classes = 115/);
    } finally {
      await worker.close();
    }
    await expect(worker.distances(new Float32Array(115))).rejects.toThrow(/closed/);
  });
});

describe("bhattacharyyaResident: a pool packed once, split over worker threads", () => {
  it("gives bhattacharyya(a, basis) (rows × basis) for ordinary and shared probabilities, over 1 to 3 threads", async () => {
    const basis = randomSet(41, 23, 5, 31, { zeros: 0.3 });
    const r = randomSet(5, 23, 5, 32, { zeros: 0.3 });
    const a = new PredictionSet({ probs: r.probs, models: 5, samples: 23, classes: 5, labels: basis.labels, meta: r.meta });
    const exact = bhattacharyyaSync(a, basis);
    const shared = new Float32Array(new SharedArrayBuffer(basis.probs.byteLength));
    shared.set(basis.probs);
    const sharedBasis = new PredictionSet({ probs: shared, models: 41, samples: 23, classes: 5, labels: basis.labels, meta: basis.meta });
    for (const [set, threads] of [[basis, 1], [basis, 3], [sharedBasis, 2]] as const) {
      const resident = bhattacharyyaResident(set, { threads });
      try {
        const d = await resident.distances(a);
        expect(d).toHaveLength(5 * 41);
        for (let i = 0; i < 5; i++) for (let j = 0; j < 41; j++) {
          expect(Math.abs(d[i * 41 + j]! - exact.get(i, j))).toBeLessThan(1e-12 * Math.max(1, exact.get(i, j)));
        }
        // independently of the kernel
        expect(Math.abs(d[3 * 41 + 40]! - naiveBhattacharyya(a, 3, basis, 40))).toBeLessThan(1e-12);
        // a second call on the same packed pool: the same numbers
        expect(Array.from(await resident.distances(a.select([2])))).toEqual(Array.from(d.subarray(2 * 41, 3 * 41)));
      } finally {
        await resident.close();
      }
    }
    const resident = bhattacharyyaResident(basis, { threads: 2 });
    try {
      await expect(resident.distances(randomSet(1, 22, 5, 3))).rejects.toThrow(/same samples|samples/);
    } finally {
      await resident.close();
    }
  });
});

describe("alternative divergences", () => {
  it("hellinger = (1/S) Σ_n Σ_c (√p − √q)², which is 2 − 2·mean BC for normalised rows", () => {
    const set = randomSet(6, 30, 4, 10);
    const H = hellinger(set);
    const B = bhattacharyyaSync(set);
    const { samples: S, classes: C } = set;
    for (let i = 0; i < 6; i++) for (let j = 0; j < 6; j++) {
      let direct = 0;
      let bcMean = 0;
      for (let n = 0; n < S; n++) {
        let bc = 0;
        for (let c = 0; c < C; c++) {
          const x = Math.sqrt(set.probs[(i * S + n) * C + c]!);
          const y = Math.sqrt(set.probs[(j * S + n) * C + c]!);
          direct += (x - y) ** 2;
          bc += x * y;
        }
        bcMean += bc / S;
      }
      expect(H.get(i, j)).toBeCloseTo(direct / S, 12);
      expect(H.get(i, j)).toBeCloseTo(2 - 2 * bcMean, 6);
      // Bhattacharyya ≥ Hellinger/2 since -log x ≥ 1 - x
      expect(B.get(i, j) + 1e-12).toBeGreaterThanOrEqual(H.get(i, j) / 2 - 1e-6);
    }
  });

  it("symmetric KL matches ½(KL(p‖q) + KL(q‖p)) and stays finite with zeros", () => {
    const a = PredictionSet.fromProbabilities([0.2, 0.8, 0.5, 0.5], [1, 2, 2]);
    const b = PredictionSet.fromProbabilities([0.6, 0.4, 1, 0], [1, 2, 2]);
    const kl = (p: number[], q: number[]) => p.reduce((s, x, c) => s + x * Math.log(x / q[c]!), 0);
    const s0 = 0.5 * (kl([0.2, 0.8], [0.6, 0.4]) + kl([0.6, 0.4], [0.2, 0.8]));
    const f = KL_FLOOR;
    const s1 = 0.5 * ((0.5 - 1) * (Math.log(0.5) - 0) + (0.5 - f) * (Math.log(0.5) - Math.log(f)));
    const D = symmetricKL(a, b);
    expect(D.get(0, 0)).toBeCloseTo((s0 + s1) / 2, 6);
    expect(Number.isFinite(D.get(0, 0))).toBe(true);
  });
});
