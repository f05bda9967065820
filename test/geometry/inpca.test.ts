import { describe, expect, it } from "vitest";
import { DistanceMatrix, InpcaInputError } from "../../src/core/index.js";
import { bhattacharyyaSync, explainedStress, inpca } from "../../src/geometry/index.js";
import { denseEigen, doubleCenter, frobenius2, matVec } from "../../src/linalg/dense.js";
import { lanczos } from "../../src/linalg/lanczos.js";
import { normal } from "../../src/linalg/random.js";
import { naiveCentredFrobenius2, randomSet } from "../helpers/data.js";

/** D_ij = Σ_k s_k (x_ik - x_jk)² for a configuration X (M×K) and signature s (±1 per axis). */
function configDistances(X: Float64Array, M: number, K: number, signature: number[]): DistanceMatrix {
  const D = new Float64Array(M * M);
  for (let i = 0; i < M; i++) for (let j = 0; j < M; j++) {
    let s = 0;
    for (let k = 0; k < K; k++) s += signature[k]! * (X[i * K + k]! - X[j * K + k]!) ** 2;
    D[i * M + j] = s;
  }
  return new DistanceMatrix({ data: D, rows: M, cols: M, symmetric: true });
}

function randomConfig(M: number, scales: number[], seed: number): Float64Array {
  const g = normal(seed);
  const K = scales.length;
  return Float64Array.from({ length: M * K }, (_, q) => scales[q % K]! * g());
}

describe("inpca", () => {
  it("recovers a Euclidean configuration exactly: eigenvalues of the centred Gram matrix, distances reproduced", () => {
    const M = 60;
    const X = randomConfig(M, [3, 2, 1], 1);
    const D = configDistances(X, M, 3, [1, 1, 1]);
    for (const solver of ["dense", "lanczos"] as const) {
      const emb = inpca(D, { dims: 3, solver });
      // eigenvalues of W = centred X Xᵀ = eigenvalues of Xcᵀ Xc (3×3)
      const mean = [0, 1, 2].map((k) => Array.from({ length: M }, (_, i) => X[i * 3 + k]!).reduce((a, b) => a + b) / M);
      const G = new Float64Array(9);
      for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) for (let i = 0; i < M; i++) G[a * 3 + b]! += (X[i * 3 + a]! - mean[a]!) * (X[i * 3 + b]! - mean[b]!);
      const ref = denseEigen(G, 3).values;
      for (let k = 0; k < 3; k++) expect(emb.eigenvalues[k]).toBeCloseTo(ref[k]!, 9);
      expect(emb.timelike).toEqual([false, false, false]);
      const back = emb.signedDistances(3);
      for (let q = 0; q < M * M; q++) expect(back.data[q]).toBeCloseTo(D.data[q]!, 9);
      expect(emb.explainedStress[2]).toBeCloseTo(1, 12);
      expect(emb.explainedStress.length).toBe(50);
    }
  });

  it("flags a negative eigenvalue as time-like and its signed distances reproduce D", () => {
    const M = 40;
    const X = randomConfig(M, [3, 1.5], 2);
    const D = configDistances(X, M, 2, [1, -1]); // Minkowski: one space-like, one time-like axis
    const emb = inpca(D, { dims: 2, solver: "lanczos" });
    expect(emb.eigenvalues[0]).toBeGreaterThan(0);
    expect(emb.eigenvalues[1]).toBeLessThan(0);
    expect(emb.timelike).toEqual([false, true]);
    const back = emb.signedDistances(2);
    for (let q = 0; q < M * M; q++) expect(back.data[q]).toBeCloseTo(D.data[q]!, 9);
    // keeping only the positive axis does not reproduce D
    const one = emb.signedDistances(1);
    let off = 0;
    for (let q = 0; q < M * M; q++) off = Math.max(off, Math.abs(one.data[q]! - D.data[q]!));
    expect(off).toBeGreaterThan(0.1);
  });

  it("explained stress is 1 at the rank of W and follows the formula on random data", () => {
    const set = randomSet(70, 40, 6, 3);
    const D = bhattacharyyaSync(set);
    const emb = inpca(D, { dims: 5, spectrum: 70 });
    const { W } = doubleCenter(D.data, 70);
    const all = denseEigen(W, 70).values;
    let total = 0;
    for (const l of all) total += l * l;
    expect(emb.frobenius2).toBeCloseTo(total, 10);
    expect(emb.frobenius2).toBeCloseTo(frobenius2(W), 12);
    // independent of doubleCenter and frobenius2: −½ J D J formed from J's definition by explicit loops
    expect(Math.abs(emb.frobenius2 - naiveCentredFrobenius2(D.data, 70)) / emb.frobenius2).toBeLessThan(1e-12);
    let cum = 0;
    for (let k = 0; k < 70; k++) {
      cum += all[k]! ** 2;
      // compare (1 - ES)² = 1 - Σλ²/‖W‖²: well conditioned even where ES is close to 1
      expect((1 - emb.explainedStress[k]!) ** 2).toBeCloseTo(Math.max(0, 1 - cum / total), 12);
    }
    expect(emb.explainedStress[69]).toBeCloseTo(1, 6); // all eigenvalues: everything explained
    expect(explainedStress([3, 4], 25)[1]).toBe(1);
    expect(explainedStress([3], 25)[0]).toBeCloseTo(1 - Math.sqrt(1 - 9 / 25), 15);
  });

  it("‖W‖²_F in closed form on a planted configuration: W = Xc S Xcᵀ, so ‖W‖²_F = ‖(Xcᵀ Xc) S‖²_F (a K×K sum)", () => {
    // independent of the library's double centring: for D_ij = Σ_k s_k (x_ik − x_jk)², −½ J D J = Xc S Xcᵀ with Xc
    // the centred configuration, and ‖Xc S Xcᵀ‖²_F = tr(S G S G) = Σ_ab s_a s_b G_ab² with G = Xcᵀ Xc (K×K)
    for (const signature of [[1, 1, 1], [1, -1, 1]]) {
      const M = 45, K = 3;
      const X = randomConfig(M, [3, 2, 1], 8);
      const mean = [0, 1, 2].map((k) => Array.from({ length: M }, (_, i) => X[i * K + k]!).reduce((a, b) => a + b) / M);
      let closed = 0;
      for (let a = 0; a < K; a++) for (let b = 0; b < K; b++) {
        let g = 0;
        for (let i = 0; i < M; i++) g += (X[i * K + a]! - mean[a]!) * (X[i * K + b]! - mean[b]!);
        closed += signature[a]! * signature[b]! * g * g;
      }
      const emb = inpca(configDistances(X, M, K, signature), { dims: 3 });
      expect(Math.abs(emb.frobenius2 - closed) / closed, signature.join(",")).toBeLessThan(1e-12);
    }
  });

  it("addPoints in closed form: a planted configuration with orthogonal centred axes places new points at their coordinates", () => {
    // X's columns are centred and orthogonal (harmonics over a full period) with distinct norms, so the principal
    // axes are X's own axes: InPCA's coordinates are X up to one sign per axis, and any point y of the same
    // (signed) geometry must be placed at y itself. Independent of the placement formula and of any eigensolver.
    const M = 40, K = 3;
    const scales = [3, 2, 1];
    const X = new Float64Array(M * K);
    for (let i = 0; i < M; i++) {
      const t = (2 * Math.PI * i) / M;
      X[i * K] = scales[0]! * Math.cos(t);
      X[i * K + 1] = scales[1]! * Math.sin(t);
      X[i * K + 2] = scales[2]! * Math.cos(2 * t);
    }
    const Y = [[0.5, -1.2, 0.3], [2, 2, -1], [-4, 0.1, 0.7]];
    for (const signature of [[1, 1, 1], [1, -1, 1]]) {
      const emb = inpca(configDistances(X, M, K, signature), { dims: 3 });
      // |λ_k| = scale_k² M / 2, sign = signature: the axes come out in X's order
      emb.eigenvalues.slice(0, 3).forEach((l, k) => expect(l).toBeCloseTo((signature[k]! * scales[k]! ** 2 * M) / 2, 9));
      const sign = [0, 1, 2].map((k) => Math.sign(emb.coord(1, k) * X[1 * K + k]! + emb.coord(2, k) * X[2 * K + k]!));
      for (let i = 0; i < M; i++) for (let k = 0; k < K; k++) expect(emb.coord(i, k)).toBeCloseTo(sign[k]! * X[i * K + k]!, 9);
      const cross = new Float64Array(Y.length * M);
      Y.forEach((y, a) => {
        for (let j = 0; j < M; j++) {
          let d = 0;
          for (let k = 0; k < K; k++) d += signature[k]! * (y[k]! - X[j * K + k]!) ** 2;
          cross[a * M + j] = d;
        }
      });
      const placed = emb.addPoints(new DistanceMatrix({ data: cross, rows: Y.length, cols: M }));
      Y.forEach((y, a) => {
        for (let k = 0; k < K; k++) expect(placed.coord(M + a, k), `signature ${signature}, point ${a}, axis ${k}`).toBeCloseTo(sign[k]! * y[k]!, 9);
      });
    }
  });

  it("identical models: all coordinates 0, explained stress 1, no NaN", () => {
    const set = randomSet(1, 10, 3, 4);
    const same = set.concat(set, set, set);
    const D = bhattacharyyaSync(same);
    for (const v of D.data) expect(v).toBeLessThan(1e-15); // rows are normalised, so only float64 rounding is left
    const emb = inpca(D, { dims: 2 });
    for (const v of emb.coords) expect(Math.abs(v)).toBeLessThan(1e-7);
    for (const v of emb.explainedStress) expect(Number.isFinite(v)).toBe(true);
    const exact = inpca(DistanceMatrix.fromSquare(new Float64Array(16), 4), { dims: 2 });
    for (const v of exact.coords) expect(v).toBe(0);
    for (const v of exact.explainedStress) expect(v).toBe(1);
  });

  it("out-of-sample placement reproduces in-sample coordinates (time-like axes included)", () => {
    const M = 50;
    const X = randomConfig(M, [3, 2, 1], 5);
    const D = configDistances(X, M, 3, [1, -1, 1]);
    const emb = inpca(D, { dims: 3 });
    expect(emb.timelike.filter(Boolean).length).toBe(1);
    const idx = [0, 7, 49];
    const placed = emb.addPoints(D.submatrix(idx, Array.from({ length: M }, (_, j) => j)));
    expect(placed.points).toBe(M + 3);
    expect(placed.basis.size).toBe(M);
    idx.forEach((i, a) => {
      for (let k = 0; k < 3; k++) expect(placed.coord(M + a, k)).toBeCloseTo(emb.coord(i, k), 10);
    });
    expect(placed.meta[M]).toBe(D.rowMeta[0]);
    // a genuinely new point of the same configuration lands where its distances put it
    const Y = randomConfig(M + 1, [3, 2, 1], 5);
    const Dall = configDistances(Y, M + 1, 3, [1, -1, 1]);
    const emb2 = inpca(Dall.submatrix(Array.from({ length: M }, (_, j) => j)), { dims: 3 });
    const newPoint = emb2.addPoints(Dall.submatrix([M], Array.from({ length: M }, (_, j) => j)));
    const full = newPoint.signedDistances(3);
    for (let j = 0; j < M; j++) expect(full.get(M, j)).toBeCloseTo(Dall.get(M, j), 8);
  });

  it("rejects bad input with clear messages", () => {
    const D = new DistanceMatrix({ data: new Float64Array(6), rows: 2, cols: 3 });
    expect(() => inpca(D)).toThrow(/must be square, got 2×3/);
    const nan = DistanceMatrix.fromSquare([0, 1, 1, 0], 2);
    nan.data[1] = NaN;
    expect(() => inpca(nan)).toThrow(/distance \(0, 1\) is NaN/);
    const emb = inpca(DistanceMatrix.fromSquare([0, 1, 2, 1, 0, 1, 2, 1, 0], 3), { dims: 2 });
    expect(() => emb.addPoints(new DistanceMatrix({ data: new Float64Array(2), rows: 1, cols: 2 }))).toThrow(InpcaInputError);
    expect(() => emb.addPoints(new DistanceMatrix({ data: new Float64Array(2), rows: 1, cols: 2 }))).toThrow(/2 columns but the embedding was fitted on 3 points/);
  });
});

describe("lanczos", () => {
  it("matches a dense solver on M = 800 within 1e-8 relative, both ends of the spectrum", () => {
    const M = 800;
    const set = randomSet(M, 30, 10, 6);
    const { W } = doubleCenter(bhattacharyyaSync(set).data, M);
    const dense = denseEigen(W, M, 20);
    const res = lanczos({ size: M, apply: (x, y) => matVec(W, M, x, y) }, 20);
    expect(res.values.some((l) => l < 0)).toBe(true); // Bhattacharyya InPCA has time-like axes
    for (let k = 0; k < 20; k++) {
      expect(Math.abs(res.values[k]! - dense.values[k]!) / Math.abs(dense.values[k]!)).toBeLessThan(1e-8);
      // eigenvectors agree up to sign: |⟨u, v⟩| = 1
      let d = 0;
      for (let i = 0; i < M; i++) d += res.vectors[i * 20 + k]! * dense.vectors[i * 20 + k]!;
      expect(Math.abs(d)).toBeGreaterThan(1 - 1e-6);
    }
  }, 120_000);

  it("is deterministic and handles a zero operator", () => {
    const M = 300;
    const set = randomSet(M, 20, 5, 7);
    const { W } = doubleCenter(bhattacharyyaSync(set).data, M);
    const op = { size: M, apply: (x: Float64Array, y: Float64Array) => matVec(W, M, x, y) };
    expect(Array.from(lanczos(op, 5).vectors)).toEqual(Array.from(lanczos(op, 5).vectors));
    const zero = lanczos({ size: 50, apply: (_x, y) => y.fill(0) }, 3);
    expect(Array.from(zero.values)).toEqual([0, 0, 0]);
  });
});
