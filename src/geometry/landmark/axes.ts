/**
 * The whole set's axes of a landmark embedding (docs/methods.md §13): the placed coordinates centred on all M
 * points and rotated so that W ≈ X J Xᵀ is diagonal, their signs fixed as `inpca` fixes them, and the same map
 * folded into one projection for new points.
 */
import { denseEigen } from "../../linalg/dense.js";

/** The placed coordinates on the whole set's axes, and the map that put them there. */
export interface WholeSetAxes {
  /** Coordinates of the M points on the Kp whole-set axes (M×Kp, centred, axes sorted by |λ|, signs fixed). */
  coords: Float64Array;
  /** T (Kp×Kp): whole-set coordinates = (X − offset)·T·diag(flip). */
  transform: Float64Array;
  /** The whole set's signed eigenvalues, sorted by |λ| (length Kp). */
  values: Float64Array;
  /** Mean of the placed coordinates over the M points (length Kp). */
  offset: Float64Array;
  /** ±1 per axis (length Kp). */
  flip: Float64Array;
}

/**
 * The whole set's axes from the placed coordinates `raw` (M×Kp) of landmark axes of signature `signs` (±1, length
 * Kp): centre on all M points, diagonalise W ≈ X J Xᵀ in the placed subspace, make each axis's coordinate of largest
 * magnitude positive.
 */
export function wholeSetAxes(raw: Float64Array, M: number, Kp: number, signs: Float64Array): WholeSetAxes {
  const { transform, values, offset } = diagonalise(raw, M, Kp, signs);
  const coords = applyAxes(raw, M, Kp, transform, offset, Kp);
  const flip = axisSigns(coords, M, Kp);
  for (let i = 0; i < M; i++) for (let k = 0; k < Kp; k++) coords[i * Kp + k]! *= flip[k]!;
  return { coords, transform, values, offset, flip };
}

/**
 * The placement of a new point on the first K whole-set axes, folded from landmark space: its coordinates are
 * x = (w·V·diag(scale) − offset)·T·diag(flip) = w·projection − shift, with w its centred cross-distances to the L
 * landmarks, V (L×Kp) and `scale` (length Kp) those of the landmark fit. projection is L×K, shift length K.
 */
export function newPointMap(axes: WholeSetAxes, V: Float64Array, scale: Float64Array, L: number, Kp: number, K: number): { projection: Float64Array; shift: Float64Array } {
  const { transform, offset, flip } = axes;
  const projection = new Float64Array(L * K);
  for (let j = 0; j < L; j++) for (let k = 0; k < K; k++) {
    let s = 0;
    for (let a = 0; a < Kp; a++) s += V[j * Kp + a]! * scale[a]! * transform[a * Kp + k]!;
    projection[j * K + k] = s * flip[k]!;
  }
  const shift = new Float64Array(K);
  for (let k = 0; k < K; k++) {
    let s = 0;
    for (let a = 0; a < Kp; a++) s += offset[a]! * transform[a * Kp + k]!;
    shift[k] = s * flip[k]!;
  }
  return { projection, shift };
}

/**
 * The whole set's axes from placed coordinates X (M×K, signature `signs`): centre X on all M points (offset),
 * then W ≈ X J Xᵀ has the eigenpairs of the small matrix G^½ J G^½ (G = XᵀX): coordinates X·T with
 * T = G^-½ U diag(√|Λ|), eigenvalues Λ sorted by |Λ|. Directions with no spread (G's eigenvalues below 1e-12
 * of the largest) are dropped.
 */
function diagonalise(X: Float64Array, M: number, K: number, signs: Float64Array): { transform: Float64Array; values: Float64Array; offset: Float64Array } {
  const offset = new Float64Array(K);
  for (let i = 0; i < M; i++) for (let k = 0; k < K; k++) offset[k] += X[i * K + k]!;
  for (let k = 0; k < K; k++) offset[k] /= M;
  const G = new Float64Array(K * K);
  for (let i = 0; i < M; i++) for (let a = 0; a < K; a++) {
    const xa = X[i * K + a]! - offset[a]!;
    for (let b = a; b < K; b++) G[a * K + b] += xa * (X[i * K + b]! - offset[b]!);
  }
  for (let a = 0; a < K; a++) for (let b = 0; b < a; b++) G[a * K + b] = G[b * K + a]!;
  const g = denseEigen(G, K);
  const top = Math.max(0, g.values[0]!);
  const half = new Float64Array(K * K), inv = new Float64Array(K * K);
  for (let a = 0; a < K; a++) for (let b = 0; b < K; b++) {
    let h = 0, v = 0;
    for (let c = 0; c < K; c++) {
      const e = g.values[c]!;
      if (!(e > 1e-12 * top)) continue;
      const p = g.vectors[a * K + c]! * g.vectors[b * K + c]!;
      h += p * Math.sqrt(e);
      v += p / Math.sqrt(e);
    }
    half[a * K + b] = h;
    inv[a * K + b] = v;
  }
  const B = new Float64Array(K * K);
  for (let a = 0; a < K; a++) for (let b = 0; b < K; b++) {
    let s = 0;
    for (let c = 0; c < K; c++) s += half[a * K + c]! * signs[c]! * half[c * K + b]!;
    B[a * K + b] = s;
  }
  for (let a = 0; a < K; a++) for (let b = 0; b < a; b++) B[a * K + b] = B[b * K + a] = 0.5 * (B[a * K + b]! + B[b * K + a]!);
  const e = denseEigen(B, K);
  const transform = new Float64Array(K * K);
  for (let a = 0; a < K; a++) for (let k = 0; k < K; k++) {
    let s = 0;
    for (let c = 0; c < K; c++) s += inv[a * K + c]! * e.vectors[c * K + k]!;
    transform[a * K + k] = s * Math.sqrt(Math.abs(e.values[k]!));
  }
  return { transform, values: e.values, offset };
}

/** (X − offset)·T, keeping the first `keep` columns: N×keep. */
function applyAxes(X: Float64Array, N: number, K: number, T: Float64Array, offset: Float64Array, keep: number): Float64Array {
  const out = new Float64Array(N * keep);
  for (let i = 0; i < N; i++) for (let k = 0; k < keep; k++) {
    let s = 0;
    for (let a = 0; a < K; a++) s += (X[i * K + a]! - offset[a]!) * T[a * K + k]!;
    out[i * keep + k] = s;
  }
  return out;
}

/** ±1 per axis so that each axis's coordinate of largest magnitude is positive (inpca's eigenvector convention). */
function axisSigns(X: Float64Array, N: number, K: number): Float64Array {
  const out = new Float64Array(K).fill(1);
  for (let k = 0; k < K; k++) {
    let best = 0;
    for (let i = 1; i < N; i++) if (Math.abs(X[i * K + k]!) > Math.abs(X[best * K + k]!) + 1e-12) best = i;
    if (X[best * K + k]! < 0) out[k] = -1;
  }
  return out;
}
