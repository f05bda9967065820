/**
 * Stage 3 of landmark InPCA (docs/methods.md §13, §5): every model-point placed from its distances to the L
 * landmarks with the out-of-sample formula, one chunk at a time.
 */
import type { LandmarkBasis } from "./fit.js";

/**
 * Stage 3, for one chunk: places `rows` model-points from their cross-distances to the L landmarks (`cross`,
 * rows×L, nats per sample) with the out-of-sample formula, into `raw` (M×Kp, Kp = basis.axes) from row `at`.
 */
export function placeRows(basis: LandmarkBasis, cross: Float64Array, rows: number, raw: Float64Array, at: number): void {
  const { eigenvectors: V, columnMeans: m, grandMean, size: L } = basis.fit.basis;
  const Kp = basis.axes;
  const w = new Float64Array(L);
  for (let a = 0; a < rows; a++) {
    for (let j = 0; j < L; j++) w[j] = -0.5 * (cross[a * L + j]! - m[j]! + grandMean);
    for (let k = 0; k < Kp; k++) {
      let s = 0;
      for (let j = 0; j < L; j++) s += w[j]! * V[j * Kp + k]!;
      raw[(at + a) * Kp + k] = s * basis.scale[k]!;
    }
  }
}
