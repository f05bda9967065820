/**
 * src/linalg/ against independent computations (docs/mutation.md: these checks kill the mutants that the geometry
 * tests let through): naive loops for the products and the centring, closed-form spectra for the eigen-solvers,
 * the sample moments of the generators. No expected value here comes from the code under test.
 */
import { describe, expect, it } from "vitest";
import { denseEigen, doubleCenter, frobenius2, matVec, normaliseSigns } from "../../src/linalg/dense.js";
import { lanczos, type SymmetricOperator } from "../../src/linalg/lanczos.js";
import { normal, uniform } from "../../src/linalg/random.js";

/** A reproducible n×n symmetric matrix with entries in [-1, 1) from Math.sin (independent of src/linalg/random). */
function symmetric(n: number, seed: number): Float64Array {
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) {
    const v = Math.sin(seed * 12.9898 + i * 78.233 + j * 37.719) * 0.999;
    A[i * n + j] = v;
    A[j * n + i] = v;
  }
  return A;
}

/** Q diag(λ) Qᵀ with Q an orthonormal matrix made by Gram–Schmidt on sin-valued columns: a known spectrum. */
function withSpectrum(lambda: number[]): { A: Float64Array; Q: Float64Array } {
  const n = lambda.length;
  const Q = new Float64Array(n * n); // columns are eigenvectors: Q[i*n + c]
  for (let c = 0; c < n; c++) {
    const v = Float64Array.from({ length: n }, (_, i) => Math.sin(1.3 + 2.1 * c + 0.7 * i * (c + 1)) + (i === c ? 2 : 0));
    for (let pass = 0; pass < 2; pass++) for (let d = 0; d < c; d++) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += v[i]! * Q[i * n + d]!;
      for (let i = 0; i < n; i++) v[i]! -= dot * Q[i * n + d]!;
    }
    const len = Math.hypot(...v);
    for (let i = 0; i < n; i++) Q[i * n + c] = v[i]! / len;
  }
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let c = 0; c < n; c++) s += Q[i * n + c]! * lambda[c]! * Q[j * n + c]!;
    A[i * n + j] = s;
  }
  return { A, Q };
}

/** The values of `lambda` ordered as the solvers promise: |λ| descending, the positive one first on a tie. */
function byMagnitude(lambda: number[]): number[] {
  return [...lambda].sort((a, b) => Math.abs(b) - Math.abs(a) || b - a);
}

/** max_i |(A v)_i - λ v_i| for column j of an n×k row-major vectors array, and the column's length. */
function residual(A: Float64Array, n: number, vectors: Float64Array, k: number, j: number, lambda: number): { res: number; len: number } {
  let res = 0, len = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let c = 0; c < n; c++) s += A[i * n + c]! * vectors[c * k + j]!;
    res = Math.max(res, Math.abs(s - lambda * vectors[i * k + j]!));
    len += vectors[i * k + j]! ** 2;
  }
  return { res, len: Math.sqrt(len) };
}

/** Each column's entry of largest magnitude is positive (the sign convention of the solvers). */
function expectSignConvention(vectors: Float64Array, n: number, k: number): void {
  for (let j = 0; j < k; j++) {
    let best = 0;
    for (let i = 1; i < n; i++) if (Math.abs(vectors[i * k + j]!) > Math.abs(vectors[best * k + j]!)) best = i;
    expect(vectors[best * k + j]!).toBeGreaterThan(0);
  }
}

describe("matVec", () => {
  it("equals the naive row-by-column sum for every n from 1 to 11 (the unrolled body and the tail)", () => {
    for (let n = 1; n <= 11; n++) {
      const A = symmetric(n, n);
      const x = Float64Array.from({ length: n }, (_, i) => Math.cos(i + 0.5 * n));
      const y = new Float64Array(n);
      matVec(A, n, x, y);
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let j = 0; j < n; j++) s += A[i * n + j]! * x[j]!;
        expect(y[i]).toBeCloseTo(s, 13);
      }
    }
  });

  it("writes only rows [rowStart, rowEnd) and reads the whole row of each", () => {
    const n = 9;
    const A = symmetric(n, 3);
    const x = Float64Array.from({ length: n }, (_, i) => 1 + i);
    const y = new Float64Array(n).fill(-7);
    matVec(A, n, x, y, 2, 6);
    for (let i = 0; i < n; i++) {
      if (i < 2 || i >= 6) { expect(y[i]).toBe(-7); continue; }
      let s = 0;
      for (let j = 0; j < n; j++) s += A[i * n + j]! * x[j]!;
      expect(y[i]).toBeCloseTo(s, 12);
    }
  });
});

describe("doubleCenter", () => {
  it("equals -½ L D L with L = I - 11ᵀ/M as explicit matrices, with the column means and grand mean of D", () => {
    for (const M of [1, 2, 5, 8]) {
      // a non-symmetric D so that row and column means differ
      const D = Float64Array.from({ length: M * M }, (_, q) => (q % M === Math.floor(q / M) ? 0 : 1 + Math.sin(q * 1.7) + 0.1 * (q % M)));
      const L = Float64Array.from({ length: M * M }, (_, q) => (q % M === Math.floor(q / M) ? 1 : 0) - 1 / M);
      const mul = (X: Float64Array, Y: Float64Array) => {
        const Z = new Float64Array(M * M);
        for (let i = 0; i < M; i++) for (let j = 0; j < M; j++) for (let c = 0; c < M; c++) Z[i * M + j]! += X[i * M + c]! * Y[c * M + j]!;
        return Z;
      };
      const ref = mul(mul(L, D), L);
      const { W, columnMeans, grandMean } = doubleCenter(D, M);
      for (let q = 0; q < M * M; q++) expect(W[q]).toBeCloseTo(-0.5 * ref[q]!, 12);
      let grand = 0;
      for (let j = 0; j < M; j++) {
        let s = 0;
        for (let i = 0; i < M; i++) s += D[i * M + j]!;
        expect(columnMeans[j]).toBeCloseTo(s / M, 13);
        grand += s;
      }
      expect(grandMean).toBeCloseTo(grand / (M * M), 13);
    }
  });
});

describe("frobenius2", () => {
  it("is the sum of squares, and Σ λ² of a symmetric matrix of known spectrum", () => {
    expect(frobenius2(Float64Array.from([3, -4, 12]))).toBe(169);
    expect(frobenius2(new Float64Array(0))).toBe(0);
    const lambda = [3, -2, 0.5, 1];
    expect(frobenius2(withSpectrum(lambda).A)).toBeCloseTo(lambda.reduce((s, l) => s + l * l, 0), 12);
  });
});

describe("denseEigen", () => {
  it("returns a known mixed-sign spectrum ordered by |λ| (positive first on a tie), unit eigenvectors, signs fixed", () => {
    const lambda = [0.5, -4, 2, 4, -1, 3];
    const { A } = withSpectrum(lambda);
    const n = lambda.length;
    const want = byMagnitude(lambda); // 4, -4, 3, 2, -1, 0.5
    for (const k of [n, 3, 1, 10]) {
      const e = denseEigen(A, n, k);
      const kk = Math.min(k, n);
      expect(e.size).toBe(n);
      expect(e.count).toBe(kk);
      expect(e.values.length).toBe(kk);
      expect(e.vectors.length).toBe(n * kk);
      for (let j = 0; j < kk; j++) {
        expect(e.values[j]).toBeCloseTo(want[j]!, 11);
        const { res, len } = residual(A, n, e.vectors, kk, j, want[j]!);
        expect(res).toBeLessThan(1e-10);
        expect(len).toBeCloseTo(1, 12);
      }
      expectSignConvention(e.vectors, n, kk);
    }
  });

  it("defaults k to n", () => {
    const { A } = withSpectrum([1, 2, 3]);
    expect(denseEigen(A, 3).count).toBe(3);
  });
});

describe("normaliseSigns", () => {
  it("flips a column whose largest |entry| is negative, leaves the others, and keeps the first of near-equal entries", () => {
    // columns (n = 3, k = 3): [1, -3, 2] flips; [-1, 3, 2] stays; [-2, 2, 0] (a tie: the first, -2, decides) flips
    const v = Float64Array.from([1, -1, -2, -3, 3, 2, 2, 2, 0]);
    normaliseSigns(v, 3, 3);
    expect(Array.from(v)).toEqual([-1, -1, 2, 3, 3, -2, -2, 2, -0]);
    // within 1e-12 counts as a tie, beyond it does not
    const w = Float64Array.from([-1, 1 + 5e-13]);
    normaliseSigns(w, 2, 1);
    expect(w[0]).toBe(1);
    const z = Float64Array.from([-1, 1 + 1e-9]);
    normaliseSigns(z, 2, 1);
    expect(z[1]).toBe(1 + 1e-9);
  });
});

describe("uniform and normal", () => {
  it("uniform is mulberry32 (its published definition, here in 32-bit BigInt arithmetic) for several seeds", () => {
    const M32 = (1n << 32n) - 1n;
    const mul = (a: bigint, b: bigint) => (a * b) & M32;
    for (const seed of [0, 1, 7, 123456789, 4294967295]) {
      let s = BigInt(seed >>> 0);
      const u = uniform(seed);
      for (let i = 0; i < 50; i++) {
        s = (s + 0x6d2b79f5n) & M32;
        let t = s;
        t = mul(t ^ (t >> 15n), t | 1n);
        t = t ^ ((t + mul(t ^ (t >> 7n), t | 61n)) & M32);
        const want = Number((t ^ (t >> 14n)) & M32) / 4294967296;
        expect(u()).toBe(want);
      }
    }
  });

  it("uniform: in [0, 1), mean ½ and variance 1/12 over 20,000 draws, the default seed is 1, seeds differ", () => {
    const u = uniform(7);
    let s = 0, s2 = 0, lo = 1, hi = 0;
    const N = 20_000;
    for (let i = 0; i < N; i++) {
      const x = u();
      s += x; s2 += x * x; lo = Math.min(lo, x); hi = Math.max(hi, x);
    }
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThan(1);
    expect(hi).toBeGreaterThan(0.999);
    expect(lo).toBeLessThan(0.001);
    expect(Math.abs(s / N - 0.5)).toBeLessThan(0.01);
    expect(Math.abs(s2 / N - (s / N) ** 2 - 1 / 12)).toBeLessThan(0.003);
    const a = uniform(), b = uniform(1), c = uniform(2);
    const xa = [a(), a(), a()], xb = [b(), b(), b()], xc = [c(), c(), c()];
    expect(xa).toEqual(xb);
    expect(xa).not.toEqual(xc);
    // successive draws are not correlated (lag-1 autocorrelation of a good generator is ~0)
    const v = uniform(3);
    let prev = v(), cov = 0;
    for (let i = 0; i < N; i++) { const x = v(); cov += (x - 0.5) * (prev - 0.5); prev = x; }
    expect(Math.abs(cov / N) / (1 / 12)).toBeLessThan(0.03);
  });

  it("normal: mean 0, variance 1, P(|x| < 1) ≈ 0.6827 and no skew over 40,000 draws; the default seed is 1", () => {
    const g = normal(11);
    const N = 40_000;
    let s = 0, s2 = 0, s3 = 0, inside = 0, finite = 0;
    for (let i = 0; i < N; i++) {
      const x = g();
      if (Number.isFinite(x)) finite++;
      s += x; s2 += x * x; s3 += x ** 3;
      if (Math.abs(x) < 1) inside++;
    }
    expect(finite).toBe(N);
    expect(Math.abs(s / N)).toBeLessThan(0.02);
    expect(Math.abs(s2 / N - 1)).toBeLessThan(0.03);
    expect(Math.abs(s3 / N)).toBeLessThan(0.06);
    expect(Math.abs(inside / N - 0.6827)).toBeLessThan(0.01);
    const a = normal(), b = normal(1);
    expect([a(), a()]).toEqual([b(), b()]);
  });
});

/** An operator that counts its applications. */
function counted(A: Float64Array, n: number): SymmetricOperator & { calls: number } {
  const op = {
    size: n,
    calls: 0,
    apply(x: Float64Array, y: Float64Array) {
      op.calls++;
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let j = 0; j < n; j++) s += A[i * n + j]! * x[j]!;
        y[i] = s;
      }
    },
  };
  return op;
}

describe("lanczos", () => {
  // 60 eigenvalues: a known mixed-sign head (the wanted ones) above a bulk in (-1, 1)
  const head = [9, -8.5, 7, -6, 5.5];
  const bulk = Array.from({ length: 55 }, (_, i) => 0.9 * Math.sin(i * 2.3));
  const lambda = [...head, ...bulk];
  const n = lambda.length;
  const { A } = withSpectrum(lambda);
  const want = byMagnitude(lambda);

  it("finds the k of largest |λ| of a known spectrum with restarts (small basis): values, residuals, counts", () => {
    for (const k of [1, 3, 5]) {
      const op = counted(A, n);
      const restarts: Array<[number, number]> = [];
      const r = lanczos(op, k, { basis: k + 6, tol: 1e-11, onRestart: (i, c) => restarts.push([i, c]) });
      expect(r.size).toBe(n);
      expect(r.count).toBe(k);
      expect(r.values.length).toBe(k);
      for (let j = 0; j < k; j++) {
        expect(r.values[j]).toBeCloseTo(want[j]!, 9);
        const { res, len } = residual(A, n, r.vectors, k, j, want[j]!);
        expect(res).toBeLessThan(1e-8);
        expect(len).toBeCloseTo(1, 10);
      }
      expectSignConvention(r.vectors, n, k);
      expect(r.matvecs).toBe(op.calls);
      expect(r.restarts).toBeGreaterThan(0);
      expect(restarts.length).toBe(r.restarts + 1);
      expect(restarts.map(([i]) => i)).toEqual(restarts.map((_, i) => i));
      expect(restarts.at(-1)![1]).toBe(k); // the last restart reports every wanted pair converged
      expect(r.residual).toBeLessThanOrEqual(1e-11);
      expect(r.residual).toBeGreaterThan(0);
    }
  });

  it("with the default basis, agrees with the dense solver on a matrix without a gap", () => {
    const m = 70;
    const B = symmetric(m, 5);
    const ref = denseEigen(B, m, 6);
    const r = lanczos(counted(B, m), 6);
    for (let j = 0; j < 6; j++) {
      expect(r.values[j]).toBeCloseTo(ref.values[j]!, 9);
      let dot = 0;
      for (let i = 0; i < m; i++) dot += r.vectors[i * 6 + j]! * ref.vectors[i * 6 + j]!;
      expect(Math.abs(dot)).toBeCloseTo(1, 8);
    }
    expect(r.residual).toBeLessThanOrEqual(1e-10);
  });

  it("stops early when converged: fewer applications than a full basis, and zero restarts", () => {
    const op = counted(A, n);
    const r = lanczos(op, 2, { basis: 50, tol: 1e-6 });
    expect(r.restarts).toBe(0);
    expect(op.calls).toBeLessThan(50);
    expect(r.values[0]).toBeCloseTo(9, 6);
    expect(r.values[1]).toBeCloseTo(-8.5, 6);
  });

  it("the tolerance is relative to the largest |θ|: eigenvalues of order 1e-3 with a small gap still converge to it", () => {
    // a small gap between the wanted values and the bulk, so that convergence takes many steps
    const lam = [1, -0.97, ...Array.from({ length: 58 }, (_, i) => 0.93 * Math.sin(i * 2.3))];
    const { A: B } = withSpectrum(lam.map((v) => v * 1e-3));
    const op = counted(B, n);
    const r = lanczos(op, 2, { basis: 58, tol: 1e-10 });
    expect(r.residual).toBeLessThanOrEqual(1e-10);
    for (let j = 0; j < 2; j++) {
      expect(r.values[j]! / 1e-3).toBeCloseTo(lam[j]!, 8);
      expect(residual(B, n, r.vectors, 2, j, r.values[j]!).res).toBeLessThan(1e-12);
    }
  });

  it("on a rank-3 matrix finds the invariant subspace: the 3 values exactly, zeros after them, one pass", () => {
    const lam = [0, 0, 4, 0, -3, 0, 0, 2, 0, 0, 0, 0];
    const { A: R } = withSpectrum(lam);
    const op = counted(R, lam.length);
    const r = lanczos(op, 5, { basis: 8 });
    expect(Array.from(r.values.slice(0, 3)).map((v) => +v.toFixed(9))).toEqual([4, -3, 2]);
    expect(Math.abs(r.values[3]!)).toBeLessThan(1e-9);
    expect(Math.abs(r.values[4]!)).toBeLessThan(1e-9);
    for (let j = 0; j < 3; j++) expect(residual(R, lam.length, r.vectors, 5, j, r.values[j]!).res).toBeLessThan(1e-9);
    for (let j = 0; j < 5; j++) expect(residual(R, lam.length, r.vectors, 5, j, r.values[j]!).len).toBeCloseTo(1, 9);
  });

  it("with k ≥ n (and n ≤ basis) returns the whole spectrum; the zero matrix gives zeros and residual 0", () => {
    const lam = [1, -2, 3];
    const { A: S } = withSpectrum(lam);
    const r = lanczos(counted(S, 3), 7);
    expect(r.count).toBe(3);
    expect(Array.from(r.values).map((v) => +v.toFixed(10))).toEqual(byMagnitude(lam));
    const z = lanczos(counted(new Float64Array(16), 4), 2);
    expect(Array.from(z.values)).toEqual([0, 0]);
    expect(z.residual).toBe(0);
  });

  it("the seed picks the start vector (same seed, same numbers; default seed 1); shouldStop stops it", () => {
    const a = lanczos(counted(A, n), 2, { basis: 8, seed: 1 });
    const b = lanczos(counted(A, n), 2, { basis: 8 });
    const c = lanczos(counted(A, n), 2, { basis: 8, seed: 9 });
    expect(Array.from(a.vectors)).toEqual(Array.from(b.vectors));
    expect(a.matvecs).toBe(b.matvecs);
    expect(c.values[0]).toBeCloseTo(9, 8);
    let calls = 0;
    expect(() => lanczos(counted(A, n), 2, { shouldStop: () => ++calls > 3 })).toThrow("stopped");
    expect(calls).toBe(4);
  });

  it("maxRestarts bounds the work: with 0 it returns after one basis, unconverged, and says so in residual", () => {
    const op = counted(A, n);
    const r = lanczos(op, 5, { basis: 7, maxRestarts: 0, tol: 1e-14 });
    expect(r.restarts).toBe(0);
    expect(op.calls).toBe(7);
    expect(r.residual).toBeGreaterThan(1e-14);
  });
});
