/**
 * Landmark InPCA (docs/methods.md §13): InPCA of L landmark model-points, exact, then every model-point of the source
 * placed from its L distances to the landmarks with the out-of-sample formula (§5), in one streaming pass.
 * Cost O(L²·S·C + M·L·S·C) and memory O(L² + L·S·C + chunk) instead of O(M²·S·C) and O(M²): a zoo of 150,000
 * checkpoints is embedded on a laptop.
 */
import { createHash } from "node:crypto";
import { InpcaAbortError, InpcaInputError } from "../core/errors.js";
import { setDigest, sourceFingerprint } from "../core/fingerprint.js";
import { any, integer, memory, number, oneOf, validateOptions, type Rule } from "../core/options.js";
import { rowsByRun, type ModelPoint } from "../core/meta.js";
import { reporter, type ProgressOptions } from "../core/progress.js";
import { PredictionSet } from "../core/prediction-set.js";
import { TERM_CAP } from "../core/rows.js";
import { defaultMemoryBudget, rowsPerChunk, sharedFloats, sourceOf, type PredictionSource } from "../core/source.js";
import { denseEigen, doubleCenter } from "../linalg/dense.js";
import { uniform } from "../linalg/random.js";
import { bhattacharyya } from "./distances.js";
import type { DistanceMatrix } from "../core/distance-matrix.js";
import { Embedding, type LandmarkSummary } from "./embedding.js";
import { ignorance, truth } from "./geodesic.js";
import { inpca } from "./inpca.js";
import type { Precision } from "./pairwise/engine.js";
import { sampleSubset } from "./subsample.js";
import { pivotedPick } from "./pivoted.js";
import { landmarkCheck } from "./landmark-check.js";

/** Finished chunks of cross-distances kept between calls, so that an interrupted run resumes (see io's `chunkCache`). */
export interface ChunkCache {
  /** The stored values under `key`, or null. */
  get(key: string, length: number): Float64Array | null;
  /** Stores `values` under `key` (atomically: a crash leaves the old state or the new one). */
  set(key: string, values: Float64Array): void;
}

/** How landmarks are chosen when only their number is given. */
export type LandmarkSelection = "pivoted" | "spread" | "farthest" | "random";

export interface LandmarkOptions extends ProgressOptions {
  /** Number of landmarks L (default min(2000, M)), or the indices of the model-points to use. */
  landmarks?: number | ArrayLike<number>;
  /**
   * "pivoted" (default): randomly pivoted Cholesky on the model-points' Gram (`pivotedPick`): each next landmark is
   * drawn ∝ how badly the landmarks so far reconstruct a point's distances, so the few checkpoints that carry an
   * axis (a time-like excursion) are taken; over every model-point when their predictions fit half the memory
   * budget, else over a pool spread over runs and progress that does. Placed on up to 128 landmark axes.
   * "spread": the same number per run, spread evenly over each run's progress (the share of the way
   * from ignorance to truth, d_B(P0, u) / (d_B(P0, u) + d_B(u, P*)); over its checkpoints when there are no
   * labels). "farthest": farthest-point sampling on d_B over a seeded pool of up to 4L model-points.
   * "random": seeded uniform (oversamples the dense late checkpoints; for comparison).
   */
  select?: LandmarkSelection;
  /** Axes to keep (default 3). */
  dims?: number;
  /** Use a seeded, class-stratified subset of this many samples (default all): each distance then has a standard error. */
  samples?: number;
  /** Seed of every random choice (default 1). */
  seed?: number;
  /** Arithmetic of the distances (default "f32"; see `DistanceOptions.precision`). */
  precision?: Precision;
  /**
   * Bytes of probabilities and distances resident at once (default: an eighth of the memory, at most 2 GiB): a number
   * of bytes or a size such as "512M" or "3G".
   */
  memory?: number | string;
  /** Where finished chunks of cross-distances are kept, so that an interrupted run resumes. */
  cache?: ChunkCache;
  /** Worker threads for the distances (default: one per core). */
  threads?: number;
  /** Model-points drawn to estimate ‖W‖²_F of the whole set for the explained stress (default 400). */
  stressPoints?: number;
  /** Total memory of the machine in bytes (default: os.totalmem()), for the default budget. */
  totalMemory?: number;
  /**
   * Exact columns of D drawn to estimate how far the embedding is from exact InPCA (`landmark.check`; default 64,
   * 0: no check). Costs columns·M distances, one more read of the source.
   */
  checkColumns?: number;
  /**
   * Warn (console.warn and `landmark.warning`) when the 95 % upper bound of the estimated relative error of the
   * dims-D signed distances against exact InPCA (`landmark.check.distanceError.high`) is above this (default 0.03).
   */
  warnAbove?: number;
}

/** The rules every option of landmark InPCA is checked against before anything runs (`validateOptions`). */
export const LANDMARK_OPTION_RULES: Readonly<Record<string, Rule>> = {
  landmarks: any(), select: oneOf("pivoted", "spread", "farthest", "random"), dims: integer(1), samples: integer(1), seed: integer(0),
  precision: oneOf("f32", "f64"), memory: memory(), cache: any(), threads: integer(1, 1024), stressPoints: integer(2),
  totalMemory: number(0, Number.MAX_VALUE, true), checkColumns: integer(0), warnAbove: number(0, Number.MAX_VALUE, true),
  showProgress: oneOf(true, false, "auto"), signal: any(), onProgress: any(),
};

/**
 * Landmark InPCA of every model-point of `source` (a PredictionSet or a streaming PredictionSource): an
 * Embedding of all M points in source order (coords, signed eigenvalues, time-like flags) with a `landmark`
 * summary. The sign conventions are those of `inpca`; the result is deterministic for a given seed.
 * - eigenvalues and spectrum: the whole set's leading eigenvalues, from W ≈ X J Xᵀ on the placed axes (up to 128
 *   for pivoted landmarks, 2·dims and at least dims + 7 for the others: `placedAxes`);
 * - explainedStress: ES(k) of the whole set from its eigenvalues and ‖W‖²_F (the placed axes' Σλ² and what they miss,
 *   estimated on `stressPoints` random model-points: `stressEstimate`), with a jackknife 95 % interval for ES(dims)
 *   in `landmark.stress`;
 * - landmark.check: how far the embedding is estimated to be from exact InPCA (docs/methods.md §13).
 * Throws InpcaInputError when L exceeds M or is below dims + 1, or when the memory budget cannot hold the
 * landmarks and one chunk; InpcaAbortError on `signal`.
 */
export async function landmarkInpca(input: PredictionSet | PredictionSource, options: LandmarkOptions = {}): Promise<Embedding> {
  const started = Date.now();
  const src = sourceOf(input);
  const plan = await planLandmarks(src, options);
  const { landmarks: chosen, samples, chunk, precision } = plan;
  const M = src.models;
  const L = chosen.length;
  const distance = { precision, threads: options.threads, showProgress: false as const, signal: options.signal };
  const stopIfAborted = () => {
    if (options.signal?.aborted) throw new InpcaAbortError("landmarkInpca");
  };
  stopIfAborted();

  // 2. exact InPCA of the landmarks
  let t0 = Date.now();
  const marks = await src.read(chosen, samples);
  const basis = fitLandmarks(await bhattacharyya(marks, distance), plan.dims, options.signal, placedAxes(plan.select, L, plan.dims, M));
  const seconds: Record<string, number> = { select: plan.seconds, landmarks: (Date.now() - t0) / 1000 };

  // 3. one streaming pass: cross-distances to the landmarks, then the out-of-sample formula on Kp ≥ dims axes
  t0 = Date.now();
  const raw = new Float64Array(M * basis.axes);
  // the cache's key names what the cross-distances are of: the source's files as they are (or its content), the
  // landmarks' predictions, the subset and the arithmetic, so a zoo retrained in place is not answered from it
  const key = options.cache ? cacheKey(src, chosen, samples, precision, `${await sourceFingerprint(src, samples, chunk)}|${setDigest(marks)}`) : "";
  const bar = reporter("landmark inpca", M, options);
  let resumed = 0;
  await streamChunks(src, 0, M, chunk, samples, (start, end) => {
    const cross = options.cache?.get(`${key}-${start}-${end}`, (end - start) * L) ?? null;
    if (!cross) return null;
    resumed += end - start;
    placeRows(basis, cross, end - start, raw, start);
    bar.update(end);
    return true;
  }, async (rows, start, end) => {
    stopIfAborted();
    const cross = (await bhattacharyya(rows, marks, distance)).data;
    options.cache?.set(`${key}-${start}-${end}`, cross);
    placeRows(basis, cross, end - start, raw, start);
    bar.update(end);
  });
  bar.done();
  seconds.placement = (Date.now() - t0) / 1000;
  return finishLandmarks(src, plan, basis, raw, { distance, marks, resumed, seconds, started, checkColumns: options.checkColumns, warnAbove: options.warnAbove });
}

/** What `planLandmarks` decides: everything the later stages (in this process or in a job array) need. */
export interface LandmarkPlan {
  /** Source rows of the landmarks, ascending. */
  landmarks: number[];
  /** The sample subset (ascending indices), or undefined for all samples. */
  samples: Int32Array | undefined;
  dims: number;
  seed: number;
  precision: Precision;
  /** "pivoted", "spread", "farthest", "random" or "given". */
  select: string;
  /** Model-points per streaming chunk within the memory budget. */
  chunk: number;
  stressPoints: number;
  /** Seconds spent choosing. */
  seconds: number;
}

/**
 * Stage 1 of landmark InPCA: checks the options against the source and the memory budget and chooses the
 * landmarks (with "spread", one streaming pass for each model-point's progress). Deterministic for a seed.
 */
export async function planLandmarks(src: PredictionSource, raw: LandmarkOptions = {}): Promise<LandmarkPlan> {
  const t0 = Date.now();
  const options = validateOptions(raw, LANDMARK_OPTION_RULES, "landmarkInpca") as LandmarkOptions & { memory?: number };
  if (options.landmarks !== undefined && typeof options.landmarks !== "number" && !(typeof options.landmarks === "object" && options.landmarks !== null && typeof options.landmarks.length === "number")) {
    throw new InpcaInputError(`landmarkInpca: landmarks must be a number of landmarks or a list of model-point indices, got ${typeof options.landmarks}`);
  }
  const M = src.models;
  const { classes: C } = src;
  const dims = options.dims ?? 3;
  const seed = options.seed ?? 1;
  const precision = options.precision ?? "f32";
  const requested = typeof options.landmarks === "number" || options.landmarks === undefined ? (options.landmarks ?? Math.min(2000, M)) : options.landmarks.length;
  if (!(Number.isInteger(requested) && requested >= dims + 1)) throw new InpcaInputError(`landmarkInpca: needs at least dims + 1 = ${dims + 1} landmarks, got ${requested}`);
  if (requested > M) throw new InpcaInputError(`landmarkInpca: ${requested} landmarks but the source has only ${M} model-points; lower \`landmarks\` (or use inpca on the exact matrix)`);
  const samples = options.samples !== undefined ? sampleSubset(src.samples, options.samples, src.labels, seed) : undefined;
  const S = samples ? samples.length : src.samples;
  const budget = options.memory ?? defaultMemoryBudget(options.totalMemory ?? (await import("node:os")).totalmem());
  const L = requested;
  const landmarkBytes = L * S * C * 4 + 3 * L * L * 8;
  if (landmarkBytes >= budget) {
    throw new InpcaInputError(`landmarkInpca: ${L} landmarks on ${S} samples need ${(landmarkBytes / 2 ** 20).toFixed(0)} MiB resident, more than the memory budget of ${(budget / 2 ** 20).toFixed(0)} MiB; raise \`memory\`, or lower \`landmarks\` or \`samples\``);
  }
  // two chunks are resident while streaming (one computed, the next read), hence half the remaining budget each
  const chunk = Math.min(M, rowsPerChunk(S, C, (budget - landmarkBytes) / 2, L * 8 * 2, "landmark InPCA after its landmarks"), 4096);
  const distance = { precision, threads: options.threads, showProgress: false as const, signal: options.signal };
  const select = options.select ?? "pivoted";
  let selected: string = select;
  let chosen: number[];
  if (typeof options.landmarks === "object") chosen = checkIndices(options.landmarks, M);
  else if (select === "random") chosen = randomPick(M, L, seed);
  else if (select === "farthest") chosen = await farthestPick(src, L, seed, samples, budget - landmarkBytes, distance);
  else if (select === "spread") chosen = spreadPick(src.meta, L, await progressProxy(src, samples, chunk, distance, options));
  else if (select === "pivoted") {
    // the default falls back to "spread" when not even L model-points' predictions fit half the budget
    const picked = await pivotedLandmarks(src, L, seed, samples, budget - landmarkBytes, chunk, distance, options, options.select === "pivoted");
    if (picked) chosen = picked;
    else {
      chosen = spreadPick(src.meta, L, await progressProxy(src, samples, chunk, distance, options));
      selected = "spread";
    }
  }
  else throw new InpcaInputError(`landmarkInpca: select must be "pivoted", "spread", "farthest" or "random", got ${JSON.stringify(select)}`);
  chosen.sort((a, b) => a - b);
  return {
    landmarks: chosen, samples, dims, seed, precision, select: typeof options.landmarks === "object" ? "given" : selected, chunk,
    stressPoints: Math.min(M, options.stressPoints ?? 400), seconds: (Date.now() - t0) / 1000,
  };
}

/** The exact InPCA of the landmarks, on Kp ≥ dims axes, ready for `placeRows`. */
export interface LandmarkBasis {
  /** The landmarks' embedding (basis: eigenvectors, column means, grand mean). */
  fit: Embedding;
  /** Kp: axes placed (2·dims, at least dims + 7, at most L − 1). */
  axes: number;
  /** 1 / (sign(λ_k) √|λ_k|) per axis (0 for λ = 0). */
  scale: Float64Array;
}

/**
 * Landmark axes to place on: pivoted landmarks are well conditioned (each one was far from the span of the ones
 * before), so up to 128 of their axes carry signal (on data/zoo 128 axes: 0.06 % off exact in 3-D, 10 axes 5 %);
 * landmarks chosen without looking at the residual include near-duplicates whose small eigenvalues amplify noise,
 * so they keep 2·dims (at least dims + 7).
 */
export function placedAxes(select: string, L: number, dims: number, M = Infinity): number {
  // every model-point a landmark: the landmark fit is the exact InPCA, nothing to recover from more axes
  if (L >= M) return Math.min(L - 1, Math.max(2 * dims, dims + 7));
  return Math.min(L - 1, select === "pivoted" ? Math.max(128, 2 * dims) : Math.max(2 * dims, dims + 7));
}

/** Stage 2: the exact InPCA of the landmarks' distance matrix D_LL (L×L), on `axes` axes (more than asked for). */
export function fitLandmarks(DLL: DistanceMatrix, dims: number, signal?: AbortSignal, axes?: number): LandmarkBasis {
  const L = DLL.rows;
  const K = Math.min(L - 1, axes ?? Math.max(2 * dims, dims + 7));
  // more axes than asked for, so that the whole set's leading axes can be recovered from the placed subspace
  const fit = inpca(DLL, { dims: K, spectrum: K, signal });
  // axes of numerically zero eigenvalue (duplicate landmarks) are not placed on
  const floor = 1e-10 * Math.abs(fit.eigenvalues[0] ?? 0);
  return { fit, axes: fit.dims, scale: Float64Array.from(fit.eigenvalues, (l) => (Math.abs(l) <= floor ? 0 : 1 / (Math.sign(l) * Math.sqrt(Math.abs(l))))) };
}

/**
 * Stage 3, for one chunk: places `rows` model-points from their cross-distances to the L landmarks (`cross`,
 * rows×L) with the out-of-sample formula, into `raw` (M×Kp) from row `at`.
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

/**
 * Stage 4: the whole set's axes (centre on all M, diagonalise W ≈ X J Xᵀ), the explained stress estimate from
 * random model-points of `src`, and the Embedding with its summary.
 */
export async function finishLandmarks(
  src: PredictionSource, plan: LandmarkPlan, basis: LandmarkBasis, raw: Float64Array,
  context: { distance: object; marks: PredictionSet | null; resumed: number; seconds: Record<string, number>; started: number; checkColumns?: number; warnAbove?: number },
): Promise<Embedding> {
  const t0 = Date.now();
  const M = src.models;
  const L = plan.landmarks.length;
  const Kp = basis.axes;
  const base = basis.fit;
  const { eigenvectors: V } = base.basis;
  const scale = basis.scale;
  const { seed, samples } = plan;
  const distance = context.distance;
  const dims = plan.dims;
  const S = samples ? samples.length : src.samples;
  const precision = plan.precision;
  const chosen = plan.landmarks;
  const times = context.seconds;
  const lap = (name: string, t: number) => (times[name] = (Date.now() - t) / 1000);
  const resumed = context.resumed;
  const chunk = plan.chunk;
  const select = plan.select;
  const started = context.started;
  // 4. axes of the whole set: centre on all M points, then diagonalise W ≈ X J Xᵀ in the placed subspace
  const signs = Float64Array.from(base.eigenvalues.subarray(0, Kp), (l) => (l < 0 ? -1 : 1));
  const { transform, values, offset } = wholeSetAxes(raw, M, Kp, signs);
  const all = applyAxes(raw, M, Kp, transform, offset, Kp);
  const flip = axisSigns(all, M, Kp);
  for (let i = 0; i < M; i++) for (let k = 0; k < Kp; k++) all[i * Kp + k]! *= flip[k]!;
  const K = Math.min(dims, Kp);
  const coords = new Float64Array(M * K);
  for (let i = 0; i < M; i++) for (let k = 0; k < K; k++) coords[i * K + k] = all[i * Kp + k]!;
  const eigenvalues = values.slice(0, K);
  // the whole set's leading eigenvalues on the Kp placed axes (the landmark matrix's further ones, scaled by M/L,
  // are not comparable: explained stress is only known for these)
  const spectrum = values.slice();
  const stress = await stressEstimate(src, all, M, Kp, values, K, plan.stressPoints, seed, samples, distance);
  lap("stress", t0);
  const t1 = Date.now();
  const H = context.checkColumns ?? 64;
  if (!(Number.isInteger(H) && H >= 0)) throw new InpcaInputError(`landmarkInpca: checkColumns must be a non-negative integer, got ${H}`);
  const check = H >= 2 && L < M
    ? await landmarkCheck(src, all, M, Kp, values, dims, H, seed, samples, distance, (compute) => streamChunks(src, 0, M, chunk, samples, () => null, compute))
    : null;
  if (H >= 2 && L < M) lap("check", t1);
  if (check) {
    // the eigenvalues' estimated first-order error moves ES as well: the interval also holds ES at λ(1 + δλ/|λ|)
    let moved = 0;
    for (let k = 0; k < K; k++) moved += (values[k]! + Math.abs(values[k]!) * check.eigenvalueError[k]!.estimate) ** 2;
    const es = 1 - Math.sqrt(Math.max(0, 1 - moved / stress.frobenius2));
    const centre = stress.explained[K - 1]!;
    stress.low = Math.min(stress.low, es - (centre - stress.low));
    stress.high = Math.max(stress.high, es + (stress.high - centre));
  }
  const limit = context.warnAbove ?? 0.03;
  const warning = check && check.distanceError.high > limit
    ? `landmark InPCA: the ${K}-D signed distances may be up to ${(100 * check.distanceError.high).toFixed(1)} % from exact InPCA (95 % upper bound of the estimate from ${check.columns} sampled exact columns), above ${(100 * limit).toFixed(1)} %: use more landmarks (now ${L})${select === "pivoted" ? "" : ', or select: "pivoted"'}`
    : null;
  if (warning) console.warn(warning);
  // new points: x = (w·V·diag(scale) − offset)·T·diag(flip), folded into one L×K projection
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

  const summary: LandmarkSummary = {
    landmarks: Int32Array.from(chosen),
    select,
    samples: S,
    totalSamples: src.samples,
    precision,
    distanceError: samples ? samplingError(context.marks ?? (await src.read(chosen, samples)), seed, src.samples) : null,
    stress: { explained: stress.explained[K - 1]!, low: stress.low, high: stress.high, points: stress.points },
    check,
    warning,
    resumedRows: resumed,
    chunkRows: chunk,
    seconds: { ...times, total: (Date.now() - started) / 1000 },
    source: src.name,
  };
  return new Embedding({
    coords, points: M, dims: K, eigenvalues, spectrum, explainedStress: stress.explained, frobenius2: stress.frobenius2,
    meta: src.meta,
    basis: { ...base.basis, eigenvalues: base.eigenvalues, points: summary.landmarks, projection, offset: shift },
    landmark: summary,
  });
}
function range(start: number, end: number): Int32Array {
  return Int32Array.from({ length: end - start }, (_, i) => start + i);
}

function checkIndices(ix: ArrayLike<number>, M: number): number[] {
  const out = Array.from(ix);
  const seen = new Set<number>();
  for (const i of out) {
    if (!(Number.isInteger(i) && i >= 0 && i < M)) throw new InpcaInputError(`landmarkInpca: landmark ${i} is outside [0, ${M})`);
    if (seen.has(i)) throw new InpcaInputError(`landmarkInpca: landmark ${i} is listed twice`);
    seen.add(i);
  }
  return out;
}

/** L distinct indices of [0, M), seeded (partial Fisher–Yates). */
function randomPick(M: number, L: number, seed: number): number[] {
  const random = uniform(seed * 7 + 3);
  const ix = Int32Array.from({ length: M }, (_, i) => i);
  for (let i = 0; i < L; i++) {
    const j = i + Math.floor(random() * (M - i));
    const t = ix[i]!;
    ix[i] = ix[j]!;
    ix[j] = t;
  }
  return Array.from(ix.subarray(0, L));
}

/**
 * Share of the way from ignorance to truth of every model-point, d_B(P0, u) / (d_B(P0, u) + d_B(u, P*)), in
 * one streaming pass (2 distances per point); null without labels.
 */
async function progressProxy(src: PredictionSource, samples: Int32Array | undefined, chunk: number, distance: object, options: ProgressOptions): Promise<Float64Array | null> {
  if (!src.labels) return null;
  const first = await src.read([0], samples);
  const ends = ignorance(first).concat(truth(first));
  const out = new Float64Array(src.models);
  const bar = reporter("landmarks: progress", src.models, options);
  await streamChunks(src, 0, src.models, chunk, samples, () => null, async (rows, start, end) => {
    if (options.signal?.aborted) throw new InpcaAbortError("landmarkInpca");
    const d = (await bhattacharyya(rows, ends, distance)).data;
    for (let a = 0; a < end - start; a++) out[start + a] = progressOf(d[2 * a]!, d[2 * a + 1]!);
    bar.update(end);
  });
  bar.done();
  return out;
}

/** The share of the way from ignorance to truth, d_B(P0, u) / (d_B(P0, u) + d_B(u, P*)); 0 when both are 0. */
function progressOf(toIgnorance: number, toTruth: number): number {
  const s = toIgnorance + toTruth;
  return s > 0 ? toIgnorance / s : 0;
}

/**
 * One pass over rows [from, to) of `src` in chunks of `chunk`, in order, reading chunk k+1 on this thread while chunk k is
 * computed on the worker threads (`compute` starts its worker job before its first await; the sources decode
 * synchronously), so the decoding of float16 rows overlaps the kernel instead of leaving the cores idle.
 * `skip(start, end)` is called first for each chunk: non-null means the chunk is done without reading it (a
 * cached one). Two chunks are resident at a time, in two buffers reused from chunk to chunk (a new array per chunk
 * left dead chunks of 660 MB each waiting for the garbage collector: 4.5 GB peak at 150,000 × 5,000); the caller's
 * chunk size must allow for two, and `compute` must not keep `rows` after it resolves. `compute` checks for
 * cancellation itself.
 */
export async function streamChunks(
  src: PredictionSource, from: number, to: number, chunk: number, samples: Int32Array | undefined,
  skip: (start: number, end: number) => unknown, compute: (rows: PredictionSet, start: number, end: number) => Promise<void>,
): Promise<void> {
  const todo: [number, number][] = [];
  for (let start = from; start < to; start += chunk) {
    const end = Math.min(to, start + chunk);
    if (skip(start, end) === null) todo.push([start, end]);
  }
  // two buffers, alternating: chunk k+1 is read into the one whose chunk (k-1) is done
  const buffers: (Float32Array | undefined)[] = [undefined, undefined];
  const read = (k: number) => src.read(range(todo[k]![0], todo[k]![1]), samples, buffers[k % 2]);
  let next = todo.length > 0 ? read(0) : null;
  for (let k = 0; k < todo.length; k++) {
    const [start, end] = todo[k]!;
    const rows = await next!;
    if (!buffers[k % 2] || buffers[k % 2]!.length < rows.probs.length) buffers[k % 2] = rows.probs;
    const work = compute(rows, start, end);
    next = k + 1 < todo.length ? read(k + 1) : null;
    next?.catch(() => undefined); // handled here, reported when awaited (after this chunk's workers are done)
    await work;
  }
}

/** 1/φ: successive multiples mod 1 spread evenly over [0, 1) (a low-discrepancy sequence). */
const GOLDEN = (Math.sqrt(5) - 1) / 2;

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/**
 * "spread": an equal share of L per run (remainders to the longest runs; when there are more runs than L, L runs
 * taken by a golden-ratio stride through their order, one point each), spread within each run evenly over `progress` (nearest unused
 * checkpoint to each of q evenly spaced targets between the run's least and greatest progress; a run with one
 * landmark takes the j-th level of the golden-ratio sequence 0.5 + j/φ mod 1 instead of its middle, so that such
 * runs cover ignorance to truth together), or evenly over its checkpoints when progress is null.
 */
export function spreadPick(meta: readonly ModelPoint[], L: number, progress: Float64Array | null): number[] {
  const runs = rowsByRun(meta);
  const R = runs.length;
  const quota = new Array<number>(R).fill(0);
  if (R >= L) {
    // L runs by a golden-ratio stride through the run order (coprime with R, so all distinct): evenly spaced runs
    // alias with a periodic order (runs cycling through 6 groups, every 4th run taken: 3 of the 6 groups only)
    let stride = Math.max(1, Math.round(R * GOLDEN));
    while (gcd(stride, R) !== 1) stride++;
    for (let k = 0; k < L; k++) quota[(k * stride) % R] = 1;
  }
  else {
    let left = L;
    let open = runs.map((_, k) => k);
    while (left > 0 && open.length > 0) {
      const share = Math.max(1, Math.floor(left / open.length));
      const byLength = open.slice().sort((a, b) => runs[b]!.rows.length - quota[b]! - (runs[a]!.rows.length - quota[a]!) || a - b);
      for (const k of byLength) {
        if (left === 0) break;
        const add = Math.min(share, runs[k]!.rows.length - quota[k]!, left);
        quota[k]! += add;
        left -= add;
      }
      open = open.filter((k) => quota[k]! < runs[k]!.rows.length);
    }
  }
  const out: number[] = [];
  let single = 0; // runs with one landmark so far
  runs.forEach(({ rows }, k) => {
    const q = quota[k]!;
    if (q === 0) return;
    // one landmark: a progress level from the golden-ratio sequence, so that runs with one landmark each still
    // cover the way from ignorance to truth together, whatever order the runs come in (all at the middle of
    // their runs, as before, left the ends uncovered: axis errors above 100 % with 100 landmarks on 400 runs)
    const level = q === 1 ? (0.5 + single++ * GOLDEN) % 1 : 0;
    const value = (i: number) => (progress ? progress[rows[i]!]! : i);
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < rows.length; i++) {
      lo = Math.min(lo, value(i));
      hi = Math.max(hi, value(i));
    }
    const used = new Uint8Array(rows.length);
    for (let t = 0; t < q; t++) {
      const target = q === 1 ? lo + (hi - lo) * level : lo + ((hi - lo) * t) / (q - 1);
      let best = -1;
      for (let i = 0; i < rows.length; i++) {
        if (used[i]) continue;
        if (best < 0 || Math.abs(value(i) - target) < Math.abs(value(best) - target)) best = i;
      }
      used[best] = 1;
      out.push(rows[best]!);
    }
  });
  return out;
}

/**
 * "pivoted": `pivotedPick` over every model-point when their predictions fit half of `budget`, else over a pool
 * of as many as fit, spread over runs and progress (`spreadPick`). Returns source rows.
 */
async function pivotedLandmarks(
  src: PredictionSource, L: number, seed: number, samples: Int32Array | undefined, budget: number, chunk: number,
  distance: { precision: Precision; threads?: number; showProgress: false; signal?: AbortSignal }, options: ProgressOptions, explicit: boolean,
): Promise<number[] | null> {
  const S = samples ? samples.length : src.samples;
  const M = src.models;
  const fits = Math.floor(budget / 2 / (S * src.classes * 4 + 8 * L + 64));
  if (fits < L && !explicit) return null;
  if (fits < L) throw new InpcaInputError(`landmarkInpca: the pivoted selection needs the predictions of at least ${L} model-points in half the memory budget (${(budget / 2 ** 21).toFixed(0)} MiB holds ${fits}); raise \`memory\`, or lower \`landmarks\` or \`samples\`, or use select: "spread"`);
  if (fits >= M) return pivotPool(src, Array.from({ length: M }, (_, i) => i), L, seed, samples, distance, options);
  // The pool is a part of the source, and the points that carry an axis may lie outside any part chosen blind. A
  // probe of (up to) 100 pivots of a small pool spread over the runs; one pass over every point measures its
  // residual against the probe (and its progress); the pool is made of the points the probe reaches worst (half)
  // and points spread over runs and progress (half), and pivoted once. On data/zoo with a 64 MiB budget a spread
  // pool alone gave 7.3 % in 3-D.
  const probeSize = Math.min(100, L);
  const probePool = spreadPick(src.meta, Math.min(fits, M, 4 * probeSize), null).sort((a, b) => a - b);
  const probe = (await pivotPool(src, probePool, probeSize, seed + 7, samples, distance, options)).map((i) => probePool[i]!).sort((a, b) => a - b);
  const { residual, progress } = await poolResiduals(src, probe, samples, chunk, distance, options);
  const worst = Array.from({ length: M }, (_, i) => i).sort((a, b) => Math.abs(residual[b]!) - Math.abs(residual[a]!) || a - b).slice(0, fits >> 1);
  const chosen = new Set(worst);
  for (const i of spreadPick(src.meta, fits, progress)) if (chosen.size < fits) chosen.add(i);
  const pool = [...chosen].sort((a, b) => a - b);
  const picked = await pivotPool(src, pool, L, seed, samples, distance, options);
  return picked.map((i) => pool[i]!);
}

/** `pivotedPick` over the source rows `pool` (read whole), filled up to L in a seeded order when the pool is spanned early. */
async function pivotPool(
  src: PredictionSource, pool: number[], L: number, seed: number, samples: Int32Array | undefined,
  distance: { precision: Precision; threads?: number; showProgress: false; signal?: AbortSignal }, options: ProgressOptions,
): Promise<number[]> {
  // read into shared memory, so that the distance workers use the pool without a copy
  const set = await src.read(pool, samples, sharedFloats(pool.length * (samples ? samples.length : src.samples) * src.classes));
  const bar = reporter("landmarks: pivoted", L, options);
  const picked = await pivotedPick(set, L, { seed, distance, progress: (n) => bar.update(n) });
  bar.done();
  // fewer than L distinct points span the pool (identical model-points): the rest in a seeded order
  if (picked.length < L) {
    const have = new Set(picked);
    for (const i of randomPick(set.models, set.models, seed + 3)) if (picked.length < L && !have.has(i)) picked.push(i);
  }
  return picked;
}

/**
 * Every model-point's residual against the landmarks `probe` (source rows): B(u,u) − Σ_k sign(λ_k) x_uk² over all
 * the probe's axes (landmark-centred Gram, eigenvalues below 1e-10 of the largest dropped), the signed squared
 * distance of u from the probe's affine span; and, with labels, its progress as `progressProxy` measures it (null
 * without). One streaming pass (probe + 2 distances a point).
 */
async function poolResiduals(
  src: PredictionSource, probe: number[], samples: Int32Array | undefined, chunk: number,
  distance: { precision: Precision; threads?: number; showProgress: false; signal?: AbortSignal }, options: ProgressOptions,
): Promise<{ residual: Float64Array; progress: Float64Array | null }> {
  const marks = await src.read(probe, samples);
  const n = probe.length;
  const DLL = (await bhattacharyya(marks, distance)).data;
  const { W, columnMeans: m, grandMean: g } = doubleCenter(DLL, n);
  const e = denseEigen(W, n);
  const floor = 1e-10 * Math.max(...Array.from(e.values, Math.abs));
  const axes = Array.from({ length: n }, (_, k) => k).filter((k) => Math.abs(e.values[k]!) > floor);
  // the probe and, with labels, ignorance and truth as columns of one distance call
  const columns = src.labels ? PredictionSet.concat([marks, ignorance(marks), truth(marks)]) : marks;
  const width = columns.models;
  const residual = new Float64Array(src.models);
  const progress = src.labels ? new Float64Array(src.models) : null;
  const w = new Float64Array(n);
  const bar = reporter("landmarks: residuals", src.models, options);
  await streamChunks(src, 0, src.models, chunk, samples, () => null, async (rows, start, end) => {
    if (options.signal?.aborted) throw new InpcaAbortError("landmarkInpca");
    const d = (await bhattacharyya(rows, columns, distance)).data;
    for (let a = 0; a < end - start; a++) {
      const at = a * width;
      let mean = 0;
      for (let j = 0; j < n; j++) mean += d[at + j]! / n;
      for (let j = 0; j < n; j++) w[j] = -0.5 * (d[at + j]! - mean - m[j]! + g);
      let hat = 0;
      for (const k of axes) {
        let s = 0;
        for (let j = 0; j < n; j++) s += w[j]! * e.vectors[j * n + k]!;
        hat += (s * s) / e.values[k]!;
      }
      residual[start + a] = mean - g / 2 - hat;
      if (progress) progress[start + a] = progressOf(d[at + n]!, d[at + n + 1]!);
    }
    bar.update(end);
  });
  bar.done();
  return { residual, progress };
}

/** Farthest-point sampling on d_B over a seeded pool of up to 4L model-points (as many as the budget holds). */
async function farthestPick(src: PredictionSource, L: number, seed: number, samples: Int32Array | undefined, budget: number, distance: object): Promise<number[]> {
  const S = samples ? samples.length : src.samples;
  const poolSize = Math.max(L, Math.min(src.models, 4 * L, rowsPerChunk(S, src.classes, budget, 0, "the farthest-point pool")));
  const pool = randomPick(src.models, poolSize, seed + 11).sort((a, b) => a - b);
  const set = await src.read(pool, samples);
  const nearest = new Float64Array(poolSize).fill(Infinity);
  const picked: number[] = [];
  let next = 0;
  for (let t = 0; t < L; t++) {
    picked.push(next);
    nearest[next] = -1;
    const d = (await bhattacharyya(set.select([next]), set, distance)).data;
    let best = -1;
    for (let i = 0; i < poolSize; i++) {
      if (nearest[i]! < 0) continue;
      if (d[i]! < nearest[i]!) nearest[i] = d[i]!;
      if (best < 0 || nearest[i]! > nearest[best]!) best = i;
    }
    next = best;
  }
  return picked.map((i) => pool[i]!);
}

/**
 * The whole set's axes from placed coordinates X (M×K, signature `signs`): centre X on all M points (offset),
 * then W ≈ X J Xᵀ has the eigenpairs of the small matrix G^½ J G^½ (G = XᵀX): coordinates X·T with
 * T = G^-½ U diag(√|Λ|), eigenvalues Λ sorted by |Λ|. Directions with no spread (G's eigenvalues below 1e-12
 * of the largest) are dropped.
 */
function wholeSetAxes(X: Float64Array, M: number, K: number, signs: Float64Array): { transform: Float64Array; values: Float64Array; offset: Float64Array } {
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

/**
 * Explained stress of the whole set, ES(k) = 1 − √(1 − Σ_{i≤k} λ_i² / ‖W‖²_F) as `inpca` computes it, with the
 * whole set's eigenvalues λ from the placed axes and ‖W‖²_F = ‖Ŵ‖²_F + Δ: ‖Ŵ‖²_F = Σ λ_a² over all Kp placed axes
 * (exact for the placed coordinates), and Δ = ‖W‖² − ‖Ŵ‖², what the placed axes miss, estimated from P random
 * model-points: their exact D_PP against the D̂_PP of their placed coordinates, both double-centred among the P
 * points, Δ ≈ M(M−1)/(P(P−1)) · Δ_off + M/P · Δ_diag (a control variate: the sampling error is that of the
 * small difference, not of ‖W‖² itself). 95 % interval of ES(dims) by the jackknife over the points.
 */
async function stressEstimate(
  src: PredictionSource, X: Float64Array, M: number, K: number, values: Float64Array, dims: number, P: number, seed: number,
  samples: Int32Array | undefined, distance: object,
): Promise<{ explained: Float64Array; low: number; high: number; frobenius2: number; points: number }> {
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
 * Standard error (nats) of d_B(i, j) measured on the n samples of `set` as an estimate of d_B on all `population`
 * samples they were drawn from without replacement: sd/√n of the per-sample terms −log clamp(BC_n), times the
 * finite-population factor √((N − n)/(N − 1)) (1 when N is n or unknown). The class-stratified subsets of
 * `sampleSubset` spread at this value on our test set (400 subsets of 100 of 400 samples: ratio 1.00–1.04).
 */
export function distanceStandardError(set: PredictionSet, i: number, j: number, population = set.samples): { se: number; distance: number } {
  const { samples: S, classes: C, probs } = set;
  const u = new Float64Array(C), v = new Float64Array(C);
  const sq = (m: number, n: number, out: Float64Array) => {
    let sum = 0;
    for (let c = 0; c < C; c++) sum += probs[(m * S + n) * C + c]!;
    for (let c = 0; c < C; c++) out[c] = Math.sqrt(probs[(m * S + n) * C + c]! / sum);
  };
  let s1 = 0, s2 = 0;
  for (let n = 0; n < S; n++) {
    sq(i, n, u);
    sq(j, n, v);
    let bc = 0;
    for (let c = 0; c < C; c++) bc += u[c]! * v[c]!;
    const term = Math.min(TERM_CAP, -Math.log(Math.min(1, Math.max(bc, Math.exp(-TERM_CAP)))));
    s1 += term;
    s2 += term * term;
  }
  const mean = s1 / S;
  const sd = Math.sqrt(Math.max(0, s2 / S - mean * mean) * (S / Math.max(1, S - 1)));
  const fpc = population > S ? Math.sqrt((population - S) / (population - 1)) : 1;
  return { se: (sd / Math.sqrt(S)) * fpc, distance: mean };
}

/**
 * Standard error of d_B from the sample subset, over 200 seeded landmark pairs (`distanceStandardError`, with the
 * finite-population factor for a subset of `population` samples). Median and 90th percentile (nats) and the median
 * relative to d.
 */
function samplingError(set: PredictionSet, seed: number, population: number): { median: number; p90: number; relative: number; pairs: number } {
  const L = set.models;
  const random = uniform(seed + 17);
  const se: number[] = [];
  const rel: number[] = [];
  const pairs = Math.min(200, (L * (L - 1)) / 2);
  for (let t = 0; t < pairs; t++) {
    const i = Math.floor(random() * L);
    let j = Math.floor(random() * (L - 1));
    if (j >= i) j++;
    const e = distanceStandardError(set, i, j, population);
    se.push(e.se);
    if (e.distance > 0) rel.push(e.se / e.distance);
  }
  const q = (a: number[], p: number) => {
    const s = a.slice().sort((x, y) => x - y);
    return s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))]! : 0;
  };
  return { median: q(se, 0.5), p90: q(se, 0.9), relative: q(rel, 0.5), pairs };
}

/** A key naming the cross-distances of this source, landmark set, sample subset and precision (SHA-256). */
function cacheKey(src: PredictionSource, landmarks: number[], samples: Int32Array | undefined, precision: string, content: string): string {
  const h = createHash("sha256");
  h.update(`${src.name}|${src.models}|${src.samples}|${src.classes}|${precision}|${content}|`);
  h.update(Buffer.from(Int32Array.from(landmarks).buffer));
  h.update("|");
  if (samples) h.update(Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength));
  for (const p of src.meta) h.update(`${p.run}|${p.step}|`);
  return `landmark-${h.digest("hex").slice(0, 24)}`;
}
