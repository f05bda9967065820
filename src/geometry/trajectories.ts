/**
 * Comparing whole training trajectories (docs/methods.md §8): the point-by-point trajectory distance on a common
 * progress grid and its average over seed pairs, a kernel-smoothed trajectory distance that needs no common
 * grid, the Riemannian length of a trajectory, the distance of model-points to the ignorance→truth geodesic,
 * and the "tube width" of the seeds of one configuration around their mean trajectory.
 *
 * All distances are the intensive Bhattacharyya distance d_B (nats per sample, docs/methods.md §2), computed like
 * `bhattacharyya` does: rows divided by their sums, float64, each per-sample term kept in [0, 100].
 */
import { DistanceMatrix } from "../core/distance-matrix.js";
import { InpcaInputError } from "../core/errors.js";
import { TERM_CAP } from "../core/rows.js";
import { describePoint, type ModelPoint } from "../core/meta.js";
import { assertSameSamples, PredictionSet, Trajectory } from "../core/prediction-set.js";
import { refuseRenamedOptions, reporter, type ProgressOptions } from "../core/progress.js";
import { average, groupIndices, sharedConfig, type AveragingMethod, type GroupBy } from "./averaging.js";
import { bhattacharyya, bhattacharyyaSync, type DistanceOptions } from "./distances.js";
import { geodesic, ignorance, truth, type LabelSource } from "./geodesic.js";
import { geodesicProgress, type GeodesicProgressOptions, type ProgressMethod } from "./geodesic-progress.js";
import { reindex } from "./reindex.js";

/** Trajectories given as a list, or as one set whose points are grouped by run (ordered by step). */
export type TrajectorySource = readonly Trajectory[] | PredictionSet;


// ------------------------------------------------------------------------------------------------------------
// Paired distances

/**
 * d_B(a_m, b_m) for m = 0..M-1: the distance of each model-point of `a` to the model-point of `b` at the same
 * position (not the full matrix). Float64Array of length M, nats per sample. Same samples required.
 */
export function pairedBhattacharyya(a: PredictionSet, b: PredictionSet): Float64Array {
  assertSameSamples(a, b, "pairedBhattacharyya: the two sets");
  if (a.models !== b.models) throw new InpcaInputError(`pairedBhattacharyya: ${a.models} model-points against ${b.models}; pairs need the same number`);
  const W = a.samples * a.classes;
  return Float64Array.from({ length: a.models }, (_, m) => rowBhattacharyya(a.probs, m * W, b.probs, m * W, a.samples, a.classes));
}

/** d_B between the S·C probabilities of `p` at offset `po` and of `q` at `qo` (rows normalised, terms in [0, 100]). */
function rowBhattacharyya(p: Float32Array, po: number, q: Float32Array, qo: number, S: number, C: number): number {
  let total = 0;
  for (let n = 0; n < S; n++) {
    const a = po + n * C;
    const b = qo + n * C;
    let sp = 0, sq = 0, bc = 0;
    for (let c = 0; c < C; c++) {
      sp += p[a + c]!;
      sq += q[b + c]!;
      bc += Math.sqrt(p[a + c]! * q[b + c]!);
    }
    const term = -Math.log(bc / Math.sqrt(sp * sq));
    total += term > TERM_CAP || Number.isNaN(term) ? TERM_CAP : term > 0 ? term : 0;
  }
  return total / S;
}

// ------------------------------------------------------------------------------------------------------------
// Point-by-point trajectory distance on a common grid

export interface TrajectoryDistanceOptions extends DistanceOptions {
  /**
   * Check that every trajectory was re-indexed onto the same grid (every point has the same `reindexed` value
   * at the same position, within 1e-9). Default true; false compares points by position alone.
   */
  checkGrid?: boolean;
}

/**
 * Trajectory distance (docs/methods.md §8): d_traj(u, v) = (1/T) Σ_t d_B(P_u(t), P_v(t)) over the T points of the
 * common grid, for trajectories re-indexed with `reindex` onto the same grid (all of length T).
 * Returns an N×N symmetric DistanceMatrix (kind "trajectory", nats per sample) whose metadata rows are the
 * trajectories: { run, step: 0, config, split }. Computed as T Bhattacharyya matrices of N points each (on all
 * cores for large jobs); shows one progress bar over the T grid points.
 */
export async function trajectoryDistances(trajectories: TrajectorySource, options: TrajectoryDistanceOptions = {}): Promise<DistanceMatrix> {
  const list = asTrajectories(trajectories);
  const N = list.length;
  if (N === 0) throw new InpcaInputError("trajectoryDistances: no trajectories given");
  const T = list[0]!.length;
  const first = list[0]!.points;
  list.forEach((tr, i) => {
    assertSameSamples(first, tr.points, `trajectoryDistances: trajectory "${tr.run}" and trajectory "${list[0]!.run}"`);
    if (tr.length !== T) throw new InpcaInputError(`trajectoryDistances: trajectory "${tr.run}" has ${tr.length} points but "${list[0]!.run}" has ${T}; re-index them onto the same grid first (reindex)`);
    if (options.checkGrid !== false) checkGrid(list[0]!, tr, i);
  });
  const W = first.samples * first.classes;
  const acc = new Float64Array(N * N);
  const bar = reporter("trajectory distances", T, options);
  for (let t = 0; t < T; t++) {
    const probs = new Float32Array(N * W);
    list.forEach((tr, i) => probs.set(tr.points.probs.subarray(t * W, (t + 1) * W), i * W));
    const slice = first.derive(probs, N, list.map((tr) => tr.points.meta[t]!));
    const D = await bhattacharyya(slice, { ...options, showProgress: false, onProgress: undefined });
    for (let q = 0; q < N * N; q++) acc[q]! += D.data[q]!;
    bar.update(t + 1);
  }
  bar.done();
  for (let q = 0; q < N * N; q++) acc[q]! /= T;
  for (let i = 0; i < N; i++) acc[i * N + i] = 0;
  return new DistanceMatrix({ data: acc, rows: N, cols: N, kind: "trajectory", rowMeta: list.map(trajectoryMeta), symmetric: true });
}

/** Options of `groupDistances` (docs/methods.md §8). */
export interface GroupDistanceOptions {
  /**
   * What goes on the diagonal: "within" (default) the mean distance over distinct pairs of runs inside the
   * group (0 for a group of one run); "zero" a proper zero diagonal (for InPCA of configurations).
   */
  diagonal?: "within" | "zero";
}

/**
 * Averages a trajectory distance matrix over seed pairs to compare configurations (docs/methods.md §8): entry (A, B)
 * is the mean of D(u, v) over all runs u of group A and v of group B; on the diagonal, the mean over distinct
 * pairs u ≠ v of the group (see `diagonal`). `by` groups the rows (default: the configuration without its seed).
 * Returns a G×G DistanceMatrix (kind of D) whose metadata rows are { run: group key, step: 0, config: the
 * fields the group's runs share, runs: number of runs }; `symmetric` is true only with a zero diagonal.
 */
export function groupDistances(D: DistanceMatrix, by?: GroupBy, options: GroupDistanceOptions = {}): DistanceMatrix {
  if (D.rows !== D.cols) throw new InpcaInputError(`groupDistances: the distance matrix must be square, got ${D.rows}×${D.cols}`);
  const groups = [...groupIndices(D.rowMeta, by)];
  const G = groups.length;
  const out = new Float64Array(G * G);
  const zero = options.diagonal === "zero";
  for (let a = 0; a < G; a++) {
    const ia = groups[a]![1];
    for (let b = a; b < G; b++) {
      const ib = groups[b]![1];
      let s = 0, count = 0;
      for (const i of ia) {
        for (const j of ib) {
          if (a === b && i === j) continue;
          s += D.get(i, j);
          count++;
        }
      }
      const v = a === b && zero ? 0 : count ? s / count : 0;
      out[a * G + b] = v;
      out[b * G + a] = v;
    }
  }
  const meta: ModelPoint[] = groups.map(([key, idx]) => {
    const pts = idx.map((i) => D.rowMeta[i]!);
    return { run: key === "" ? "(all)" : key, step: 0, config: sharedConfig(pts), runs: idx.length, members: pts.map((p) => p.run) };
  });
  return new DistanceMatrix({ data: out, rows: G, cols: G, kind: D.kind, rowMeta: meta, symmetric: zero });
}

// ------------------------------------------------------------------------------------------------------------
// Kernel-smoothed distances (no common grid needed)

/** Options of `smoothedTrajectoryDistance(s)` (docs/methods.md §8): the kernel that smooths along progress. */
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

// ------------------------------------------------------------------------------------------------------------
// Length

/** Options of `segmentLengths` and `riemannianLength` (docs/methods.md §8). */
export interface LengthOptions {
  /**
   * "authors" (default): Σ_t 2·sqrt(d_B(P_t, P_{t+1})), the formula of docs/methods.md §8. For nearby points
   * d_B ≈ θ²/2 per sample (θ the angle between the unit vectors sqrt p, sqrt q; BC = cos θ), so this is √2 times
   * the root-mean-square great-circle angle. "fisher": the Fisher–Rao length per sample, Σ_t 2·sqrt(2·d_B)
   * (Fisher–Rao distance 2θ), i.e. √2 times the authors' value.
   */
  metric?: "authors" | "fisher";
}

/** Segment lengths along a trajectory: 2·sqrt(d_B(P_t, P_{t+1})) (× √2 with metric "fisher"); length T-1. */
export function segmentLengths(trajectory: Trajectory | PredictionSet, options: LengthOptions = {}): Float64Array {
  const set = trajectory instanceof Trajectory ? trajectory.points : trajectory;
  const scale = lengthScale(options);
  return Float64Array.from(consecutive(set), (d) => scale * Math.sqrt(d));
}

/**
 * Riemannian length of a trajectory (docs/methods.md §8): Σ_t 2·sqrt(d_B(P_t, P_{t+1})) over consecutive checkpoints
 * (see `LengthOptions.metric` for the relation to the Fisher–Rao length). Units: sqrt(nats per sample).
 * A polygon through the checkpoints: denser checkpoints give a longer (more accurate) length.
 */
export function riemannianLength(trajectory: Trajectory | PredictionSet, options: LengthOptions = {}): number {
  let s = 0;
  for (const l of segmentLengths(trajectory, options)) s += l;
  return s;
}

// ------------------------------------------------------------------------------------------------------------
// Distance to the geodesic, tube width

/** Options of `distanceToGeodesic` (docs/methods.md §7): the geodesic's points and how λ* is measured. */
export interface DistanceToGeodesicOptions extends Omit<GeodesicProgressOptions, "from" | "to" | "method"> {
  /**
   * How the closest geodesic point is chosen (default "bhattacharyya": argmin_λ d_B(P(λ), r), so the distance is
   * the minimum of d_B over the geodesic; "angle" and "projection" take the point at that progress instead).
   */
  method?: ProgressMethod;
  /** The progress variable reported in `progress` (default "angle", the λ* of `geodesicProgress` everywhere else). */
  progressMethod?: ProgressMethod;
}

/** What `distanceToGeodesic` returns: per model-point, its distance to the geodesic, its λ* and the nearest point's λ. */
export interface GeodesicDistances {
  /** d_B from each model-point to its closest point on the ignorance→truth geodesic (nats per sample), length M. */
  distance: Float64Array;
  /**
   * The model-point's progress λ* (`geodesicProgress`, by default the angle method of docs/methods.md §7), length M: what
   * figures put on their progress axis, the same number as in every other figure.
   */
  progress: Float64Array;
  /**
   * λ of the closest geodesic point (argmin_λ d_B by default), length M. Not the same number as `progress`: on the
   * shipped zoo they differ by 0.06 on train images (median; up to 0.32) and by 0.15 on test images, where confident
   * mistakes weigh heavily in d_B (at the end of training: λ_near 0.71 against λ* 0.94, medians).
   */
  nearest: Float64Array;
  /** The model-points' metadata, with `lambda` set to λ*. */
  meta: ModelPoint[];
}

/**
 * Distance of every model-point of `set` to the ignorance→truth geodesic (docs/methods.md §8), with its progress λ*:
 * distance = d_B(r, P(λ_near)) with λ_near = argmin_λ d_B(P(λ), r) on [0, 1] (Brent's method after a grid scan,
 * see `geodesicProgress`); progress = λ* by `progressMethod` (default "angle"). `labels` gives the truth (default:
 * the set's own labels). Feeds `plot.distanceToGeodesic`.
 */
export function distanceToGeodesic(set: PredictionSet, labels?: LabelSource | null, options: DistanceToGeodesicOptions = {}): GeodesicDistances {
  const source: LabelSource = labels ?? set;
  const C = set.classes;
  const from = ignorance(source, { classes: C });
  const to = truth(source, { classes: C });
  const { progressMethod = "angle", method = "bhattacharyya", ...rest } = options;
  const nearest = geodesicProgress(set, { ...rest, method, from, to });
  const progress = progressMethod === method ? nearest : geodesicProgress(set, { ...rest, method: progressMethod, from, to });
  const points = geodesic(source, { classes: C, lambdas: nearest });
  const distance = pairedBhattacharyya(set, points.derive(points.probs, points.models, set.meta));
  return { distance, progress, nearest, meta: set.meta.map((p, m) => ({ ...p, lambda: progress[m]! })) };
}

/** Options of `tubeWidth` (docs/methods.md §8): how runs are grouped into configurations and binned by progress. */
export interface TubeWidthOptions {
  /** Groups runs into configurations (default: the configuration without its seed). */
  by?: GroupBy;
  /** The mean trajectory of a configuration (default "sqrt", the square-root mean of docs/methods.md §9). */
  method?: AveragingMethod;
  /** Grid points per configuration when the set is not re-indexed yet (default 100). */
  points?: number;
  /** Progress variable for re-indexing: "progress" (λ*, default) or "accuracy" (1 - error). */
  reindexBy?: "progress" | "accuracy";
  /** Options of `progress` (when re-indexing by progress). */
  geodesicProgress?: GeodesicProgressOptions;
}

/** The seeds of each configuration against their mean trajectory, one entry per seed and grid point. */
export interface TubeWidth {
  /** d_B(seed point, mean trajectory point at the same grid value), nats per sample; length N. */
  width: Float64Array;
  /** The grid value (progress λ*, or accuracy with reindexBy "accuracy") of each entry; length N. */
  progress: Float64Array;
  /** Metadata of each entry: the seed's re-indexed point (`lambda`/`reindexed` = grid value, `group`). */
  meta: ModelPoint[];
  /** The mean trajectories, one run "mean:<group>" per configuration, on each configuration's grid. */
  means: PredictionSet;
  /** Group keys measured (configurations with at least two runs), in order. */
  groups: string[];
  /** Group keys skipped because they have a single run (no tube to measure). */
  skipped: string[];
}

/**
 * Tube width (docs/methods.md §8): for each configuration (runs grouped by `by`, default the configuration without its
 * seed), every run is put on a common grid and compared with the configuration's mean trajectory, the
 * square-root mean (docs/methods.md §9; `method` to change) of its seeds at each grid value:
 * width = d_B(seed point, mean point). If every point of `set` already has a `reindexed` value, the points are
 * used as they are (grids must agree within a configuration); otherwise each run is re-indexed by progress
 * onto `points` values spanning the range all the configuration's runs cover. Feeds `plot.tubeWidth`.
 */
export function tubeWidth(set: PredictionSet, options: TubeWidthOptions = {}): TubeWidth {
  refuseRenamedOptions(options, "tubeWidth");
  const runs = set.trajectories();
  const reindexed = set.meta.every((p) => typeof p["reindexed"] === "number");
  const groups = groupIndices(runs.map((r) => r.points.meta[0]!), options.by);
  const widths: number[] = [];
  const grid: number[] = [];
  const meta: ModelPoint[] = [];
  const means: PredictionSet[] = [];
  const measured: string[] = [];
  const skipped: string[] = [];
  for (const [key, idx] of groups) {
    if (idx.length < 2) {
      skipped.push(key);
      continue;
    }
    let members = idx.map((i) => runs[i]!);
    if (!reindexed) members = reindexGroup(members, key, options);
    else members.forEach((tr, i) => checkGrid(members[0]!, tr, i));
    const T = members[0]!.length;
    members.forEach((tr) => {
      if (tr.length !== T) throw new InpcaInputError(`tubeWidth: in configuration "${key}", run "${tr.run}" has ${tr.length} grid points but "${members[0]!.run}" has ${T}`);
    });
    const mean = average(members.map((t) => t.points), options.method ?? "sqrt");
    const label = key === "" ? "(all)" : key;
    means.push(mean.derive(mean.probs, T, mean.meta.map((p) => ({ ...p, run: `mean:${label}`, config: sharedConfig(members.map((t) => t.points.meta[0]!)), group: label }))));
    for (const tr of members) {
      const w = pairedBhattacharyya(tr.points, mean);
      tr.points.meta.forEach((p, t) => {
        widths.push(w[t]!);
        const g = typeof p["reindexed"] === "number" ? (p["reindexed"] as number) : (p.lambda ?? NaN);
        grid.push(g);
        meta.push({ ...p, group: label });
      });
    }
    measured.push(label);
  }
  const first = runs[0]?.points ?? set;
  return {
    width: Float64Array.from(widths),
    progress: Float64Array.from(grid),
    meta,
    means: means.length ? PredictionSet.concat(means) : first.derive(new Float32Array(0), 0, []),
    groups: measured,
    skipped: skipped.map((k) => (k === "" ? "(all)" : k)),
  };
}

// ------------------------------------------------------------------------------------------------------------
// helpers

function reindexGroup(members: Trajectory[], key: string, options: TubeWidthOptions): Trajectory[] {
  const by = options.reindexBy ?? "progress";
  const values = members.map((tr) => (by === "accuracy" ? Float64Array.from(tr.points.errors(), (e) => 1 - e) : geodesicProgress(tr.points, options.geodesicProgress)));
  let lo = -Infinity, hi = Infinity;
  values.forEach((v) => {
    lo = Math.max(lo, v[0]!);
    hi = Math.min(hi, Math.max(...v));
  });
  if (!(hi > lo)) {
    throw new InpcaInputError(`tubeWidth: the runs of configuration "${key || "(all)"}" share no range of ${by}: the latest start is ${lo.toFixed(4)}, the earliest end ${hi.toFixed(4)}`);
  }
  const points = options.points ?? 100;
  const grid = Float64Array.from({ length: points }, (_, k) => lo + ((hi - lo) * k) / (points - 1));
  return members.map((tr, i) => {
    const r = reindex(tr, { values: values[i]!, grid });
    if (by === "progress") {
      const meta = r.points.meta.map((p) => ({ ...p, lambda: p["reindexed"] as number }));
      return new Trajectory(r.run, r.points.derive(r.points.probs, r.length, meta));
    }
    return r;
  });
}

function checkGrid(ref: Trajectory, tr: Trajectory, index: number): void {
  for (let t = 0; t < ref.length && t < tr.length; t++) {
    const a = ref.points.meta[t]!["reindexed"];
    const b = tr.points.meta[t]!["reindexed"];
    if (typeof a !== "number" || typeof b !== "number") {
      const which = typeof a !== "number" ? ref : tr;
      throw new InpcaInputError(
        `trajectory "${which.run}", ${describePoint(which.points.meta, t)}: not re-indexed (no "reindexed" grid value); re-index the trajectories onto a common grid first, or pass checkGrid: false`,
      );
    }
    if (Math.abs(a - b) > 1e-9 * Math.max(1, Math.abs(a))) {
      throw new InpcaInputError(`trajectory ${index} ("${tr.run}") is on a different grid: point ${t} is at ${b} but trajectory "${ref.run}" has ${a} there`);
    }
  }
}

function asTrajectories(source: TrajectorySource): Trajectory[] {
  return source instanceof PredictionSet ? source.trajectories() : [...source];
}

function trajectoryMeta(tr: Trajectory): ModelPoint {
  const p = tr.points.meta[0];
  const out: ModelPoint = { run: tr.run, step: 0, points: tr.length };
  if (p?.config) out.config = p.config;
  if (p?.split) out.split = p.split;
  return out;
}

/** d_B between consecutive points of a set: length M-1. */
function consecutive(set: PredictionSet): Float64Array {
  const W = set.samples * set.classes;
  return Float64Array.from({ length: Math.max(0, set.models - 1) }, (_, t) => rowBhattacharyya(set.probs, t * W, set.probs, (t + 1) * W, set.samples, set.classes));
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

function lengthScale(options: LengthOptions): number {
  const metric = options.metric ?? "authors";
  if (metric === "authors") return 2;
  if (metric === "fisher") return 2 * Math.SQRT2;
  throw new InpcaInputError(`riemannianLength: unknown metric "${metric as string}" (authors or fisher)`);
}

