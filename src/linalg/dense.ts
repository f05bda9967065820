/**
 * Small dense helpers over flat row-major Float64Arrays: symmetric matrix–vector products, double centering,
 * Frobenius norms, and the dense symmetric eigen-decomposition (ml-matrix) for small problems.
 */
import { EigenvalueDecomposition, Matrix } from "ml-matrix";

/** y = A x for a symmetric n×n row-major A (only the values are read; symmetry is not checked). */
export function matVec(A: Float64Array, n: number, x: Float64Array, y: Float64Array, rowStart = 0, rowEnd = n): void {
  for (let i = rowStart; i < rowEnd; i++) {
    const o = i * n;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    let j = 0;
    for (; j + 3 < n; j += 4) {
      s0 += A[o + j]! * x[j]!;
      s1 += A[o + j + 1]! * x[j + 1]!;
      s2 += A[o + j + 2]! * x[j + 2]!;
      s3 += A[o + j + 3]! * x[j + 3]!;
    }
    for (; j < n; j++) s0 += A[o + j]! * x[j]!;
    y[i] = s0 + s1 + (s2 + s3);
  }
}

/**
 * Double centering (docs/methods.md §3): W = -½ L D L with L = I - 11ᵀ/M, for a square M×M matrix D (row-major).
 * Also returns the column means of D and their mean (needed to place new points, docs/methods.md §5).
 */
export function doubleCenter(D: Float64Array, M: number): {
  /** W = −½ L D L, M×M row-major. */
  W: Float64Array;
  /** Column means of D (length M). */
  columnMeans: Float64Array;
  /** Their mean. */
  grandMean: number;
} {
  const colMean = new Float64Array(M);
  const rowMean = new Float64Array(M);
  for (let i = 0; i < M; i++) {
    const o = i * M;
    let r = 0;
    for (let j = 0; j < M; j++) {
      const v = D[o + j]!;
      r += v;
      colMean[j]! += v;
    }
    rowMean[i] = r / M;
  }
  let grand = 0;
  for (let j = 0; j < M; j++) {
    colMean[j]! /= M;
    grand += colMean[j]!;
  }
  grand /= M;
  const W = new Float64Array(M * M);
  for (let i = 0; i < M; i++) {
    const o = i * M;
    const ri = rowMean[i]!;
    for (let j = 0; j < M; j++) W[o + j] = -0.5 * (D[o + j]! - ri - colMean[j]! + grand);
  }
  return { W, columnMeans: colMean, grandMean: grand };
}

/** Σ_ij A_ij²: the squared Frobenius norm of a flat matrix (= Σ λ² for a symmetric one). */
export function frobenius2(A: Float64Array): number {
  let s = 0;
  for (let k = 0; k < A.length; k++) s += A[k]! * A[k]!;
  return s;
}

/** Eigenpairs ordered by |λ| descending: values (signed) and vectors as columns of an n×k row-major array. */
export interface EigenPairs {
  /** Matrix size n. */
  size: number;
  /** Number of pairs k. */
  count: number;
  /** k signed eigenvalues, |λ_1| ≥ |λ_2| ≥ ... */
  values: Float64Array;
  /** n×k row-major: component i of eigenvector j at i·k + j; unit length, sign fixed so the largest |component| is positive. */
  vectors: Float64Array;
}

/**
 * All eigenpairs of a small symmetric n×n matrix (ml-matrix, Householder + QL), the `k` of largest |λ| first.
 * O(n³): meant for n up to a few hundred.
 */
export function denseEigen(A: Float64Array, n: number, k = n): EigenPairs {
  const rows: number[][] = [];
  for (let i = 0; i < n; i++) rows.push(Array.from(A.subarray(i * n, (i + 1) * n)));
  const evd = new EigenvalueDecomposition(new Matrix(rows), { assumeSymmetric: true });
  const vals = evd.realEigenvalues;
  const vecs = evd.eigenvectorMatrix;
  const order = vals.map((_, i) => i).sort((a, b) => Math.abs(vals[b]!) - Math.abs(vals[a]!) || vals[b]! - vals[a]!);
  const kk = Math.min(k, n);
  const values = new Float64Array(kk);
  const vectors = new Float64Array(n * kk);
  for (let j = 0; j < kk; j++) {
    const c = order[j]!;
    values[j] = vals[c]!;
    for (let i = 0; i < n; i++) vectors[i * kk + j] = vecs.get(i, c);
  }
  normaliseSigns(vectors, n, kk);
  return { size: n, count: kk, values, vectors };
}

/** Fixes each column's sign so that its entry of largest magnitude is positive (deterministic output). */
export function normaliseSigns(vectors: Float64Array, n: number, k: number): void {
  for (let j = 0; j < k; j++) {
    let best = 0;
    for (let i = 1; i < n; i++) if (Math.abs(vectors[i * k + j]!) > Math.abs(vectors[best * k + j]!) + 1e-12) best = i;
    if (vectors[best * k + j]! < 0) for (let i = 0; i < n; i++) vectors[i * k + j] = -vectors[i * k + j]!;
  }
}
