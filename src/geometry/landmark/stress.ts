/**
 * The explained stress of a landmark embedding's whole set (docs/methods.md §13), with ‖W‖²_F estimated from the
 * exact distances among a few random model-points, and its jackknife 95 % interval.
 */
import type { PredictionSource } from "../../core/source.js";
import { doubleCenter } from "../../linalg/dense.js";
import { bhattacharyya } from "../distances.js";
import type { LandmarkDistanceOptions, WholeSetAxes } from "./options.js";
import { randomPick } from "./select-random.js";

/** What `stressEstimate` reads: the source, its whole-set coordinates, and the draw. */
export interface StressEstimateInput extends WholeSetAxes {
  /** The model-points (M rows), read at the drawn rows. */
  src: PredictionSource;
  /** Kept axes: the interval is that of ES(dims). */
  dims: number;
  /** P: model-points drawn (2 ≤ P ≤ M). */
  draws: number;
  /** Seed of the draw (the points are `randomPick(M, P, seed + 5)`). */
  seed: number;
  /** The sample subset (ascending indices), or undefined for all samples. */
  samples: Int32Array | undefined;
  /** Options of the distance call among the P points. */
  distance: LandmarkDistanceOptions;
}

/** The explained stress of the whole set, estimated. */
export interface StressEstimate {
  /** ES(k) for k = 1..Kp (length Kp), each in [0, 1]. */
  explained: Float64Array;
  /** 95 % interval of ES(dims) (jackknife over the drawn points; both ES(dims) when P < 3 or P = M). */
  low: number;
  /** Upper end of that interval. */
  high: number;
  /** ‖W‖²_F of the whole set, estimated ((nats per sample)²). */
  frobenius2: number;
  /** P: model-points drawn. */
  points: number;
}

/**
 * Explained stress of the whole set, ES(k) = 1 − √(1 − Σ_{i≤k} λ_i² / ‖W‖²_F) as `inpca` computes it, with the
 * whole set's eigenvalues λ from the placed axes and ‖W‖²_F = ‖Ŵ‖²_F + Δ: ‖Ŵ‖²_F = Σ λ_a² over all Kp placed axes
 * (exact for the placed coordinates), and Δ = ‖W‖² − ‖Ŵ‖², what the placed axes miss, estimated from P random
 * model-points: their exact D_PP against the D̂_PP of their placed coordinates, both double-centred among the P
 * points, Δ ≈ M(M−1)/(P(P−1)) · Δ_off + M/P · Δ_diag (a control variate: the sampling error is that of the
 * small difference, not of ‖W‖² itself). 95 % interval of ES(dims) by the jackknife over the points.
 */
export async function stressEstimate(input: StressEstimateInput): Promise<StressEstimate> {
  const { src, coords: X, points: M, axes: K, values, dims, draws: P, seed, samples, distance } = input;
  const pick = randomPick(M, P, seed + 5).sort((a, b) => a - b);
  const D = (await bhattacharyya(await src.read(pick, samples), distance)).data;
  let placed2 = 0;
  for (let a = 0; a < K; a++) placed2 += values[a]! ** 2;
  /** Δ_off and Δ_diag over the points `ix` (indices into pick). */
  const missing = (ix: number[]): { off: number; diag: number } => {
    const n = ix.length;
    const sub = new Float64Array(n * n);
    for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) sub[a * n + b] = D[ix[a]! * P + ix[b]!]!;
    const { W } = doubleCenter(sub, n);
    const mean = new Float64Array(K);
    for (const i of ix) for (let k = 0; k < K; k++) mean[k] += X[pick[i]! * K + k]! / n;
    const xc = new Float64Array(n * K);
    ix.forEach((i, a) => { for (let k = 0; k < K; k++) xc[a * K + k] = X[pick[i]! * K + k]! - mean[k]!; });
    const sg = Float64Array.from({ length: K }, (_, k) => (values[k]! < 0 ? -1 : 1));
    let off = 0, diag = 0;
    for (let a = 0; a < n; a++) for (let b = a; b < n; b++) {
      let hat = 0;
      for (let k = 0; k < K; k++) hat += sg[k]! * xc[a * K + k]! * xc[b * K + k]!;
      const wab = W[a * n + b]!;
      const d = wab * wab - hat * hat;
      if (a === b) diag += d;
      else off += 2 * d;
    }
    return { off: off / Math.max(1, n * (n - 1)), diag: diag / n };
  };
  // not below what the placed axes hold: a sampled Δ < 0 is sampling error (‖W‖² ≥ ‖Ŵ‖² for the best rank-Kp Ŵ)
  const f2Of = (m: { off: number; diag: number }) => placed2 + M * (M - 1) * m.off + M * m.diag;
  const top = (k: number) => { let t = 0; for (let a = 0; a < k; a++) t += values[a]! ** 2; return t; };
  // identical model-points (‖W‖ = 0): nothing is missing, ES = 1
  const esOf = (k: number, f2: number) => (f2 > 0 ? 1 - Math.sqrt(Math.max(0, 1 - top(k) / Math.max(f2, placed2))) : 1);
  const everyone = Array.from({ length: P }, (_, i) => i);
  const f2 = Math.max(placed2, f2Of(missing(everyone)));
  const explained = Float64Array.from({ length: K }, (_, k) => esOf(k + 1, f2));
  if (P < 3 || P === M) return { explained, low: explained[dims - 1]!, high: explained[dims - 1]!, frobenius2: f2, points: P };
  const leave = Math.min(P, 50);
  const est: number[] = [];
  for (let t = 0; t < leave; t++) {
    const out = Math.floor((t * P) / leave);
    // unclamped, so that the spread of Δ shows even when it lies around 0
    const f = f2Of(missing(everyone.filter((i) => i !== out)));
    est.push(f > 0 ? 1 - Math.sqrt(Math.max(0, 1 - top(dims) / f)) : 1);
  }
  const mean = est.reduce((a, b) => a + b, 0) / leave;
  const se = Math.sqrt(((P - 1) / P) * (P / leave) * est.reduce((a, e) => a + (e - mean) ** 2, 0));
  const es = explained[dims - 1]!;
  return { explained, low: Math.max(0, es - 1.96 * se), high: Math.min(1, es + 1.96 * se), frobenius2: f2, points: P };
}

/**
 * The stress interval widened by the check's eigenvalue error: the eigenvalues' estimated first-order error moves
 * ES(K) as well, so the interval also holds ES(K) at λ(1 + δλ/|λ|) (`eigenvalueError`: one estimate per kept axis).
 * Changes `stress.low` and `stress.high` in place.
 */
export function widenByEigenvalueError(stress: StressEstimate, values: Float64Array, K: number, eigenvalueError: readonly { estimate: number }[]): void {
  let moved = 0;
  for (let k = 0; k < K; k++) moved += (values[k]! + Math.abs(values[k]!) * eigenvalueError[k]!.estimate) ** 2;
  const es = 1 - Math.sqrt(Math.max(0, 1 - moved / stress.frobenius2));
  const centre = stress.explained[K - 1]!;
  stress.low = Math.min(stress.low, es - (centre - stress.low));
  stress.high = Math.max(stress.high, es + (stress.high - centre));
}
