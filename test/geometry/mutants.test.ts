/**
 * InPCA and its Embedding on small configurations whose answer is known in closed form (docs/mutation.md: these
 * checks kill mutants of src/geometry/inpca.ts and embedding.ts that the other fast tests let through, and run in
 * a second so that `npm run mutate` can run them for every mutant). The expected values come from the configuration
 * itself: the centred Gram matrix's eigenvalues (2×2, closed form), the distances it was built from, and sums of
 * squares by naive loops — never from the code under test.
 */
import { describe, expect, it } from "vitest";
import { DistanceMatrix, InpcaAbortError, InpcaInputError } from "../../src/core/index.js";
import { explainedStress, geodesicBetween, ignorance, inpca, lambdaGrid, truth } from "../../src/geometry/index.js";
import { Embedding } from "../../src/core/embedding.js";
import { coordinatesOf } from "../../src/geometry/inpca.js";

/** M points of a 2-D configuration with axis scales 3 and 1, from Math.sin (no seeded generator of the library). */
function config(M: number, shift = 0): Float64Array {
  return Float64Array.from({ length: M * 2 }, (_, q) => (q % 2 === 0 ? 3 : 1) * Math.sin(1.7 * q + 0.3 + shift));
}

/** D_ij = s_0 (x_i0 - x_j0)² + s_1 (x_i1 - x_j1)² between rows of X (A×2) and rows of Y (B×2). */
function dist(X: Float64Array, Y: Float64Array, signature: [number, number]): Float64Array {
  const A = X.length / 2, B = Y.length / 2;
  const D = new Float64Array(A * B);
  for (let i = 0; i < A; i++) for (let j = 0; j < B; j++) {
    D[i * B + j] = signature[0] * (X[i * 2]! - Y[j * 2]!) ** 2 + signature[1] * (X[i * 2 + 1]! - Y[j * 2 + 1]!) ** 2;
  }
  return D;
}

/** Eigenvalues of the centred Gram matrix of X with the signature, in closed form (2×2), by |λ| descending. */
function gramEigenvalues(X: Float64Array, signature: [number, number]): number[] {
  const M = X.length / 2;
  const mean = [0, 1].map((a) => Array.from({ length: M }, (_, i) => X[i * 2 + a]!).reduce((s, v) => s + v) / M);
  let g00 = 0, g01 = 0, g11 = 0;
  for (let i = 0; i < M; i++) {
    const a = X[i * 2]! - mean[0]!, b = X[i * 2 + 1]! - mean[1]!;
    g00 += a * a; g01 += a * b; g11 += b * b;
  }
  // eigenvalues of S^½ G S^½ with S = diag(signature) are those of G S (similar matrices)
  const m00 = g00 * signature[0], m01 = g01 * signature[1], m10 = g01 * signature[0], m11 = g11 * signature[1];
  const tr = m00 + m11, det = m00 * m11 - m01 * m10;
  const disc = Math.sqrt(tr * tr / 4 - det);
  return [tr / 2 + disc, tr / 2 - disc].sort((x, y) => Math.abs(y) - Math.abs(x));
}

/** ‖W‖² of W = -½ L D L, by explicit loops over the naive double centring. */
function centredFrobenius2(D: Float64Array, M: number): number {
  const row = new Float64Array(M), col = new Float64Array(M);
  let all = 0;
  for (let i = 0; i < M; i++) for (let j = 0; j < M; j++) { row[i]! += D[i * M + j]! / M; col[j]! += D[i * M + j]! / M; all += D[i * M + j]! / (M * M); }
  let s = 0;
  for (let i = 0; i < M; i++) for (let j = 0; j < M; j++) s += (-0.5 * (D[i * M + j]! - row[i]! - col[j]! + all)) ** 2;
  return s;
}

const square = (data: Float64Array, M: number) => new DistanceMatrix({ data, rows: M, cols: M, symmetric: true });

describe("inpca on configurations of known spectrum", () => {
  for (const solver of ["dense", "lanczos", "auto"] as const) {
    it(`${solver}: eigenvalues, time-like flags, |coordinates|² = |λ|, distances and explained stress (Euclidean and Minkowski)`, () => {
      for (const signature of [[1, 1], [1, -1]] as [number, number][]) {
        const M = 24;
        const X = config(M);
        const D = dist(X, X, signature);
        const emb = inpca(square(D, M), { dims: 2, solver, spectrum: 5 });
        const want = gramEigenvalues(X, signature);
        expect(emb.points).toBe(M);
        expect(emb.dims).toBe(2);
        for (let k = 0; k < 2; k++) expect(emb.eigenvalues[k]).toBeCloseTo(want[k]!, 9);
        expect(emb.timelike).toEqual(want.map((l) => l < 0));
        // unit eigenvectors scaled by √|λ|: the squares of an axis add up to |λ|
        for (let k = 0; k < 2; k++) {
          let s = 0;
          for (let i = 0; i < M; i++) s += emb.coord(i, k) ** 2;
          expect(s).toBeCloseTo(Math.abs(want[k]!), 9);
          expect(Array.from(emb.axis(k))).toEqual(Array.from({ length: M }, (_, i) => emb.coord(i, k)));
        }
        const back = emb.signedDistances();
        for (let q = 0; q < M * M; q++) expect(back.data[q]).toBeCloseTo(D[q]!, 9);
        // one axis: the distances of that axis alone (with its sign)
        const one = emb.signedDistances(1);
        const axis0 = emb.axis(0);
        for (let i = 0; i < M; i++) for (let j = 0; j < M; j++) {
          expect(one.data[i * M + j]).toBeCloseTo(Math.sign(want[0]!) * (axis0[i]! - axis0[j]!) ** 2, 9);
        }
        // spectrum: K = max(dims, spectrum) values, the rest zero (rank 2); explained stress 1 - √(1 - Σλ²/‖W‖²)
        const f2 = centredFrobenius2(D, M);
        expect(emb.frobenius2).toBeCloseTo(f2, 8);
        expect(emb.spectrum.length).toBe(5);
        expect(emb.explainedStress.length).toBe(5);
        expect(emb.explainedStress[0]).toBeCloseTo(1 - Math.sqrt(1 - want[0]! ** 2 / f2), 9);
        expect(emb.explainedStress[1]).toBeCloseTo(1, 9);
        for (let k = 2; k < 5; k++) expect(Math.abs(emb.spectrum[k]!)).toBeLessThan(1e-8);
        expect(emb.meta.map((m) => m.step)).toEqual(Array.from({ length: M }, (_, i) => i));
        expect(emb.basis.size).toBe(M);
      }
    });
  }

  it("addPoints places new points of the same configuration at their true distances (exact in the full rank)", () => {
    for (const signature of [[1, 1], [1, -1]] as [number, number][]) {
      const M = 20, N = 5;
      const X = config(M), Y = config(N, 100);
      const emb = inpca(square(dist(X, X, signature), M), { dims: 2 });
      const cross = new DistanceMatrix({ data: dist(Y, X, signature), rows: N, cols: M });
      const meta = Array.from({ length: N }, (_, i) => ({ run: "new", step: i }));
      const all = emb.addPoints(cross, meta);
      expect(all.points).toBe(M + N);
      expect(all.meta.slice(M)).toEqual(meta);
      for (let q = 0; q < M * 2; q++) expect(all.coords[q]).toBe(emb.coords[q]);
      // every distance, old-new and new-new, is the configuration's
      const XY = new Float64Array([...X, ...Y]);
      const want = dist(XY, XY, signature);
      const got = all.signedDistances();
      for (let q = 0; q < (M + N) ** 2; q++) expect(got.data[q]).toBeCloseTo(want[q]!, 8);
      // without metadata, the cross matrix's row metadata is used
      expect(emb.addPoints(cross).meta.length).toBe(M + N);
      expect(() => emb.addPoints(new DistanceMatrix({ data: new Float64Array(N * 3), rows: N, cols: 3 }))).toThrow(InpcaInputError);
      expect(() => emb.addPoints(cross, meta.slice(1))).toThrow(InpcaInputError);
    }
  });

  it("addPoints with an explicit projection and offset (the landmark basis) is w·P - offset", () => {
    const M = 6;
    const X = config(M);
    const emb = inpca(square(dist(X, X, [1, 1]), M), { dims: 2 });
    const P = Float64Array.from({ length: M * 2 }, (_, q) => 0.1 * (q + 1));
    const off = Float64Array.from([0.5, -0.25]);
    const withP = Object.assign(Object.create(Object.getPrototypeOf(emb)), emb, { basis: { ...emb.basis, projection: P, offset: off } });
    const d = Float64Array.from({ length: M }, (_, j) => 1 + 0.3 * j);
    const out = withP.addPoints(new DistanceMatrix({ data: d, rows: 1, cols: M }));
    const mean = d.reduce((s, v) => s + v) / M;
    for (let k = 0; k < 2; k++) {
      let s = 0;
      for (let j = 0; j < M; j++) s += -0.5 * (d[j]! - mean - emb.basis.columnMeans[j]! + emb.basis.grandMean) * P[j * 2 + k]!;
      expect(out.coords[M * 2 + k]).toBeCloseTo(s - off[k]!, 12);
    }
    const noOff = Object.assign(Object.create(Object.getPrototypeOf(emb)), emb, { basis: { ...emb.basis, projection: P } });
    const out2 = noOff.addPoints(new DistanceMatrix({ data: d, rows: 1, cols: M }));
    expect(out2.coords[M * 2]! - out.coords[M * 2]!).toBeCloseTo(off[0]!, 12);
  });

  it("a zero eigenvalue places new points at 0 on its axis; dims and spectrum are clamped to M", () => {
    // three collinear points: rank 1, the second eigenvalue is 0
    const X = Float64Array.from([0, 0, 1, 0, 3, 0]);
    const emb = inpca(square(dist(X, X, [1, 1]), 3), { dims: 5, solver: "dense" });
    expect(emb.dims).toBe(3);
    expect(emb.spectrum.length).toBe(3);
    const mean = (0 + 1 + 3) / 3;
    const want = [0, 1, 3].reduce((s, x) => s + (x - mean) ** 2, 0);
    expect(emb.eigenvalues[0]).toBeCloseTo(want, 12);
    // an exactly zero second axis
    const flat = Object.assign(Object.create(Object.getPrototypeOf(emb)), emb, { eigenvalues: Float64Array.from([emb.eigenvalues[0]!, 0, 0]), basis: { ...emb.basis, eigenvalues: undefined } });
    const placed = flat.addPoints(new DistanceMatrix({ data: dist(Float64Array.from([2, 0]), X, [1, 1]), rows: 1, cols: 3 }));
    expect(placed.coords[3 * 3 + 1]).toBe(0);
    expect(placed.coords[3 * 3 + 2]).toBe(0);
    expect(Math.abs(placed.coords[3 * 3]! - placed.coords[0]!)).toBeCloseTo(2, 9);
  });

  it("refuses fewer than 2 points, non-integer or zero dims; an aborted signal stops the Lanczos solver", () => {
    expect(() => inpca(square(new Float64Array(1), 1))).toThrow(InpcaInputError);
    const M = 12;
    const X = config(M);
    const D = square(dist(X, X, [1, 1]), M);
    expect(() => inpca(D, { dims: 0 })).toThrow(InpcaInputError);
    expect(() => inpca(D, { dims: 1.5 })).toThrow(InpcaInputError);
    const ctl = new AbortController();
    ctl.abort();
    expect(() => inpca(D, { solver: "lanczos", signal: ctl.signal })).toThrow(InpcaAbortError);
    expect(inpca(D, { solver: "lanczos", signal: new AbortController().signal }).dims).toBe(3);
    expect(inpca(D).dims).toBe(3); // default dims 3
    expect(inpca(D).spectrum.length).toBe(M); // default spectrum 50, clamped to M
  });
});

describe("explainedStress and coordinatesOf", () => {
  it("explainedStress is 1 - √(1 - Σ_{j≤k} λ_j² / ‖W‖²), clamped at 1 - 0 when Σλ² exceeds ‖W‖², and 1 when ‖W‖ = 0", () => {
    const lambda = [3, -2, 1];
    const f2 = 20;
    const got = explainedStress(lambda, f2);
    let cum = 0;
    lambda.forEach((l, k) => {
      cum += l * l;
      expect(got[k]).toBeCloseTo(1 - Math.sqrt(1 - cum / f2), 14);
    });
    expect(Array.from(explainedStress([5], 20))).toEqual([1]);
    expect(Array.from(explainedStress([1, 2], 0))).toEqual([1, 1]);
  });

  it("coordinatesOf scales each eigenvector by √|λ| and keeps the first dims of each row", () => {
    const pairs = { size: 2, count: 3, values: Float64Array.from([4, -9, 1]), vectors: Float64Array.from([0.6, 0.8, 0.1, -0.8, 0.6, 0.2]) };
    const { eigenvalues, eigenvectors, coords } = coordinatesOf(pairs, 2, 2);
    expect(Array.from(eigenvalues)).toEqual([4, -9]);
    expect(Array.from(eigenvectors)).toEqual([0.6, 0.8, -0.8, 0.6]);
    expect(Array.from(coords).map((v) => +v.toFixed(12))).toEqual([1.2, 2.4, -1.6, 1.8]);
  });
});

describe("refusals that keep wrong numbers out (survivors of the first mutation run)", () => {
  it("geodesic: λ outside [0, 1] or NaN, endpoints on other samples or classes, bad classes or labels are refused", () => {
    for (const bad of [-0.1, 1.1, NaN]) expect(() => lambdaGrid({ lambdas: [0, bad] })).toThrow(InpcaInputError);
    expect(Array.from(lambdaGrid({ lambdas: [0, 1] }))).toEqual([0, 1]);
    const a = ignorance([0, 1, 2], { classes: 3 });
    expect(() => geodesicBetween(a, ignorance([0, 1, 2, 0], { classes: 3 }))).toThrow(InpcaInputError);
    expect(() => geodesicBetween(a, ignorance([0, 1, 2], { classes: 4 }))).toThrow(InpcaInputError);
    for (const classes of [1, 2.5]) expect(() => ignorance([0, 0], { classes })).toThrow(InpcaInputError);
    expect(ignorance([0, 1], { classes: 2 }).classes).toBe(2);
    for (const labels of [[0, 2], [-1, 0]]) expect(() => truth(labels, { classes: 2 })).toThrow(InpcaInputError);
    expect(() => truth(truth([0, 1], { classes: 2 }), { classes: 3 })).toThrow(InpcaInputError);
    expect(truth(truth([0, 1], { classes: 2 }), { classes: 2 }).classes).toBe(2);
    // the run name: "geodesic" unless given
    expect(geodesicBetween(a, truth([0, 1, 2], { classes: 3 }), { points: 2 }).meta[0]!.run).toBe("geodesic");
    expect(geodesicBetween(a, truth([0, 1, 2], { classes: 3 }), { points: 2, run: "corner" }).meta[1]!.run).toBe("corner");
  });

  it("inpca: two points and one axis are allowed (λ = d/2, coordinates ±√d/2); explained stress is 1 for a zero W", () => {
    const d = 0.36;
    const emb = inpca(square(Float64Array.from([0, d, d, 0]), 2), { dims: 1 });
    expect(emb.dims).toBe(1);
    expect(emb.eigenvalues[0]).toBeCloseTo(d / 2, 14);
    expect(Math.abs(emb.coord(0, 0))).toBeCloseTo(Math.sqrt(d) / 2, 14);
    expect(emb.coord(0, 0) + emb.coord(1, 0)).toBeCloseTo(0, 14);
    expect(Array.from(explainedStress([0, 0], 0))).toEqual([1, 1]);
  });

  it("Embedding refuses inconsistent sizes; axis and signedDistances refuse an axis out of range", () => {
    const X = config(6);
    const emb = inpca(square(dist(X, X, [1, 1]), 6), { dims: 2 });
    expect(() => new Embedding({ ...emb, coords: new Float64Array(5) })).toThrow(InpcaInputError);
    expect(() => new Embedding({ ...emb, meta: emb.meta.slice(1) })).toThrow(InpcaInputError);
    for (const k of [-1, 2, 0.5]) expect(() => emb.axis(k)).toThrow(RangeError);
    for (const k of [0, 3, 1.5]) expect(() => emb.signedDistances(k)).toThrow(InpcaInputError);
    expect(emb.signedDistances(2).rows).toBe(6);
  });

  it("addPoints with a projection places each of several new points in its own row", () => {
    const M = 6;
    const X = config(M);
    const emb = inpca(square(dist(X, X, [1, 1]), M), { dims: 2 });
    const P = Float64Array.from({ length: M * 2 }, (_, q) => 0.1 * (q + 1));
    const withP = Object.assign(Object.create(Object.getPrototypeOf(emb)), emb, { basis: { ...emb.basis, projection: P } });
    const rows = [Float64Array.from({ length: M }, (_, j) => 1 + 0.3 * j), Float64Array.from({ length: M }, (_, j) => 2 - 0.1 * j * j)];
    const out = withP.addPoints(new DistanceMatrix({ data: Float64Array.from([...rows[0]!, ...rows[1]!]), rows: 2, cols: M }));
    rows.forEach((d, a) => {
      const mean = d.reduce((s, v) => s + v) / M;
      for (let k = 0; k < 2; k++) {
        let s = 0;
        for (let j = 0; j < M; j++) s += -0.5 * (d[j]! - mean - emb.basis.columnMeans[j]! + emb.basis.grandMean) * P[j * 2 + k]!;
        expect(out.coords[(M + a) * 2 + k]).toBeCloseTo(s, 12);
      }
    });
  });
});
