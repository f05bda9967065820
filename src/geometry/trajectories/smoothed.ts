/**
 * Kernel-smoothed trajectory distances (docs/methods.md §8), which need no common grid: the smoothed minimum of d_B
 * from each point of one trajectory to the other, averaged along the trajectory by its segment lengths.
 */
import { DistanceMatrix } from "../../core/distance-matrix.js";
import { InpcaInputError } from "../../core/errors.js";
import { assertSameSamples, PredictionSet, Trajectory } from "../../core/prediction-set.js";
import { bhattacharyya, bhattacharyyaSync, type DistanceOptions } from "../distances.js";
import { consecutive } from "./paired.js";
import { asTrajectories, trajectoryMeta, type TrajectorySource } from "./source.js";

/** Options of the kernel-smoothed trajectory distances: the smoothing scale and how the two directions combine. */
export interface SmoothedDistanceOptions {
  /**
   * Smoothing scale s (nats per sample, default 0). s = 0: the minimum of d_B over the other trajectory's
   * points. s > 0: the mean of those distances with Boltzmann weights exp(-d_B/s), which lies between the
   * minimum (s → 0) and the plain mean (s → ∞).
   */
  smoothing?: number;
  /** How the two directed distances a→b and b→a are combined: "mean" (default), "min", or "none" (a→b only). */
  symmetrize?: "mean" | "min" | "none";
}

/**
 * Distance from each model-point of `points` to a trajectory (docs/methods.md §8): for smoothing s = 0 the minimum d_B
 * to any point of `trajectory`, for s > 0 the exp(-d_B/s)-weighted mean of the distances. Length = points.models.
 */
export function pointToTrajectory(points: PredictionSet, trajectory: Trajectory | PredictionSet, options: Pick<SmoothedDistanceOptions, "smoothing"> = {}): Float64Array {
  const target = trajectory instanceof Trajectory ? trajectory.points : trajectory;
  const s = smoothingOf(options);
  const cross = crossDistances(points, target);
  const T = target.models;
  return Float64Array.from({ length: points.models }, (_, i) => softMin(cross, i * T, T, s));
}

/**
 * Kernel-smoothed trajectory-to-trajectory distance (docs/methods.md §8): the point-to-trajectory distance of every
 * point x_t of `a` to `b`, averaged along `a` with weights equal to the length its neighbouring segments
 * contribute, ½(ℓ_{t-1} + ℓ_t) with ℓ_t = sqrt(d_B(x_t, x_{t+1})) (trapezoid rule; equal weights if `a` never
 * moves); then the same from `b` to `a`, combined by `symmetrize`. Nats per sample. Needs no common grid.
 */
export function smoothedTrajectoryDistance(a: Trajectory | PredictionSet, b: Trajectory | PredictionSet, options: SmoothedDistanceOptions = {}): number {
  const pa = a instanceof Trajectory ? a.points : a;
  const pb = b instanceof Trajectory ? b.points : b;
  const s = smoothingOf(options);
  const ab = crossDistances(pa, pb);
  const forward = directed(ab, pa.models, pb.models, segmentWeights(consecutive(pa)), s, false);
  if (options.symmetrize === "none") return forward;
  const backward = directed(ab, pa.models, pb.models, segmentWeights(consecutive(pb)), s, true);
  return combine(forward, backward, options.symmetrize);
}

/**
 * The kernel-smoothed distance (see `smoothedTrajectoryDistance`) between every pair of N trajectories, from
 * one Bhattacharyya matrix of all their points (on all cores). N×N DistanceMatrix (kind "trajectory"), rows =
 * trajectories { run, step: 0, config, split }. Trajectories may have different lengths and grids.
 */
export async function smoothedTrajectoryDistances(trajectories: TrajectorySource, options: SmoothedDistanceOptions & DistanceOptions = {}): Promise<DistanceMatrix> {
  const list = asTrajectories(trajectories);
  const N = list.length;
  if (N === 0) throw new InpcaInputError("smoothedTrajectoryDistances: no trajectories given");
  const s = smoothingOf(options);
  const all = PredictionSet.concat(list.map((t) => t.points));
  const D = await bhattacharyya(all, options);
  const P = all.models;
  const start = new Int32Array(N + 1);
  list.forEach((t, i) => { start[i + 1] = start[i]! + t.length; });
  const weights = list.map((t, i) => {
    const l = new Float64Array(Math.max(0, t.length - 1));
    for (let k = 0; k + 1 < t.length; k++) l[k] = D.get(start[i]! + k, start[i]! + k + 1);
    return segmentWeights(l);
  });
  // directed[i][j]: from trajectory i to trajectory j
  const dir = new Float64Array(N * N);
  const block = (i: number, j: number): Float64Array => {
    const Ti = list[i]!.length, Tj = list[j]!.length;
    const out = new Float64Array(Ti * Tj);
    for (let r = 0; r < Ti; r++) for (let c = 0; c < Tj; c++) out[r * Tj + c] = D.data[(start[i]! + r) * P + start[j]! + c]!;
    return out;
  };
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < N; j++) {
      if (i === j) continue;
      dir[i * N + j] = directed(block(i, j), list[i]!.length, list[j]!.length, weights[i]!, s, false);
    }
  }
  const out = new Float64Array(N * N);
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < N; j++) {
      if (i === j) continue;
      out[i * N + j] = options.symmetrize === "none" ? dir[i * N + j]! : combine(dir[i * N + j]!, dir[j * N + i]!, options.symmetrize);
    }
  }
  return new DistanceMatrix({ data: out, rows: N, cols: N, kind: "trajectory", rowMeta: list.map(trajectoryMeta), symmetric: options.symmetrize !== "none" });
}

/** Trapezoid weights of T points from T-1 consecutive distances: ½(ℓ_{t-1} + ℓ_t), ℓ = sqrt(d); equal if all zero. */
function segmentWeights(consecutiveD: Float64Array): Float64Array {
  const T = consecutiveD.length + 1;
  const w = new Float64Array(T);
  let total = 0;
  for (let t = 0; t + 1 < T; t++) {
    const l = Math.sqrt(consecutiveD[t]!);
    w[t]! += l / 2;
    w[t + 1]! += l / 2;
    total += l;
  }
  if (!(total > 0)) w.fill(1 / T);
  else for (let t = 0; t < T; t++) w[t]! /= total;
  return w;
}

/** Weighted mean over the rows of `cross` (Ta × Tb; columns when `transposed`) of the smoothed minimum. */
function directed(cross: Float64Array, Ta: number, Tb: number, weights: Float64Array, s: number, transposed: boolean): number {
  let total = 0;
  if (!transposed) {
    for (let i = 0; i < Ta; i++) total += weights[i]! * softMin(cross, i * Tb, Tb, s);
  } else {
    const col = new Float64Array(Ta);
    for (let j = 0; j < Tb; j++) {
      for (let i = 0; i < Ta; i++) col[i] = cross[i * Tb + j]!;
      total += weights[j]! * softMin(col, 0, Ta, s);
    }
  }
  return total;
}

/** min of d[o..o+T) for s = 0; for s > 0 the mean with weights exp(-(d - min)/s). */
function softMin(d: Float64Array, o: number, T: number, s: number): number {
  let min = Infinity;
  for (let k = 0; k < T; k++) if (d[o + k]! < min) min = d[o + k]!;
  if (s === 0) return min;
  let num = 0, den = 0;
  for (let k = 0; k < T; k++) {
    const w = Math.exp(-(d[o + k]! - min) / s);
    num += w * d[o + k]!;
    den += w;
  }
  return num / den;
}

function combine(ab: number, ba: number, how: SmoothedDistanceOptions["symmetrize"]): number {
  if (how === undefined || how === "mean") return (ab + ba) / 2;
  if (how === "min") return Math.min(ab, ba);
  throw new InpcaInputError(`smoothed trajectory distance: unknown symmetrize "${how as string}" (mean, min or none)`);
}

function smoothingOf(options: { smoothing?: number }): number {
  const s = options.smoothing ?? 0;
  if (!(s >= 0 && Number.isFinite(s))) throw new InpcaInputError(`smoothing must be a finite number ≥ 0, got ${options.smoothing}`);
  return s;
}

function crossDistances(a: PredictionSet, b: PredictionSet): Float64Array {
  assertSameSamples(a, b, "point-to-trajectory distance: the points and the trajectory");
  return bhattacharyyaSync(a, b, { showProgress: false }).data;
}
