/**
 * Ignorance, truth and the geodesic between them (docs/methods.md §6). In square-root coordinates every sample lives
 * on a unit sphere; the geodesic between two models is, per sample, the great circle between their
 * square-root probability vectors, traversed at the same fraction λ for all samples:
 *   sqrtP_n(λ) = [sin((1-λ)θ_n) sqrtP0_n + sin(λθ_n) sqrtP1_n] / sin θ_n,   θ_n = arccos⟨sqrtP0_n, sqrtP1_n⟩.
 */
import { InpcaInputError } from "../core/errors.js";
import type { ModelPoint } from "../core/meta.js";
import { PredictionSet } from "../core/prediction-set.js";
import { integer, validate } from "../core/options.js";

/** Samples to build reference points for: a prediction set (its labels, classes, split) or bare labels. */
export type LabelSource = PredictionSet | ArrayLike<number>;

/** Options naming the class count when only bare labels are given. */
export interface LabelOptions {
  /** C: number of classes (required with bare labels; taken from the set otherwise). */
  classes?: number;
}

/** Below this angle (radians) two square-root vectors are treated as equal: linear interpolation instead. */
const TINY_ANGLE = 1e-7;

/** Ignorance P0: the uniform prediction 1/C for every sample (one model-point, kind "ignorance"). */
export function ignorance(labels: LabelSource, options: LabelOptions | number = {}): PredictionSet {
  const ref = reference(labels, options, "ignorance");
  const probs = new Float32Array(ref.S * ref.C).fill(1 / ref.C);
  return build(ref, probs, [{ run: "ignorance", step: 0, kind: "ignorance", lambda: 0 }]);
}

/** Truth P*: one-hot on the true label of every sample (one model-point, kind "truth"). */
export function truth(labels: LabelSource, options: LabelOptions | number = {}): PredictionSet {
  const ref = reference(labels, options, "truth");
  const probs = new Float32Array(ref.S * ref.C);
  for (let n = 0; n < ref.S; n++) probs[n * ref.C + ref.labels[n]!] = 1;
  return build(ref, probs, [{ run: "truth", step: 0, kind: "truth", lambda: 1 }]);
}

export interface GeodesicOptions extends LabelOptions {
  /** Number of points, evenly spaced in λ from 0 (ignorance) to 1 (truth) inclusive (default 100). */
  points?: number;
  /** Explicit values of λ in [0, 1] instead (the authors' grid is 0.01, 0.02, ..., 1.00). */
  lambdas?: ArrayLike<number>;
}

/**
 * The ignorance→truth geodesic: `points` model-points (kind "geodesic", run "geodesic", `lambda` set) on the
 * per-sample great circles from the uniform prediction to the one-hot labels. λ = 0 is exactly P0, λ = 1 is P*.
 */
export function geodesic(labels: LabelSource, options: GeodesicOptions = {}): PredictionSet {
  const lambdas = lambdaGrid(options);
  const ref = reference(labels, options, "geodesic");
  return slerpSets(ignorance(labels, ref.C), truth(labels, ref.C), lambdas, "geodesic");
}

/**
 * The geodesic between model-point `i` of `from` and model-point `j` of `to` (same samples), for example from
 * ignorance to a random labelling (the "corner" geodesics of appendix E.1). Returns one model-point per λ.
 */
export function geodesicBetween(from: PredictionSet, to: PredictionSet, options: { lambdas?: ArrayLike<number>; points?: number; from?: number; to?: number; run?: string } = {}): PredictionSet {
  return slerpSets(from.select([options.from ?? 0]), to.select([options.to ?? 0]), lambdaGrid(options), options.run ?? "geodesic");
}

/** λ values from options: explicit `lambdas`, or `points` evenly spaced on [0, 1] (default 100). */
export function lambdaGrid(options: { lambdas?: ArrayLike<number>; points?: number }): Float64Array {
  if (options.lambdas) {
    const l = Float64Array.from(options.lambdas);
    l.forEach((v, k) => {
      if (!(v >= 0 && v <= 1)) throw new InpcaInputError(`geodesic: lambda ${k} is ${v}, outside [0, 1]`);
    });
    return l;
  }
  const points = options.points ?? 100;
  validate(points, integer(2), "points", { source: "geodesic" });
  return Float64Array.from({ length: points }, (_, k) => k / (points - 1));
}

/**
 * Writes the point at fraction t ∈ [0, 1] of the per-sample great circle from the probability rows `a` to `b`
 * (S·C each, starting at offsets ao, bo) into `out` at offset oo, renormalised per sample. Stable for θ → 0.
 */
export function slerpInto(a: Float32Array, ao: number, b: Float32Array, bo: number, t: number, S: number, C: number, out: Float32Array, oo: number): void {
  const sa = new Float64Array(C);
  const sb = new Float64Array(C);
  for (let n = 0; n < S; n++) {
    let dot = 0, na = 0, nb = 0;
    for (let c = 0; c < C; c++) {
      sa[c] = Math.sqrt(a[ao + n * C + c]!);
      sb[c] = Math.sqrt(b[bo + n * C + c]!);
      dot += sa[c]! * sb[c]!;
      na += sa[c]! * sa[c]!;
      nb += sb[c]! * sb[c]!;
    }
    const cos = Math.min(1, dot / Math.sqrt(na * nb));
    const theta = Math.acos(cos);
    let wa: number, wb: number;
    if (theta < TINY_ANGLE) {
      wa = 1 - t;
      wb = t;
    } else {
      const s = Math.sin(theta);
      wa = Math.sin((1 - t) * theta) / s;
      wb = Math.sin(t * theta) / s;
    }
    let sum = 0;
    for (let c = 0; c < C; c++) {
      const v = wa * sa[c]! + wb * sb[c]!;
      sa[c] = v * v;
      sum += sa[c]!;
    }
    for (let c = 0; c < C; c++) out[oo + n * C + c] = sa[c]! / sum;
  }
}

function slerpSets(from: PredictionSet, to: PredictionSet, lambdas: Float64Array, run: string): PredictionSet {
  if (from.samples !== to.samples || from.classes !== to.classes) throw new InpcaInputError(`geodesic: the endpoints are not on the same samples (${from.samples}×${from.classes} vs ${to.samples}×${to.classes})`);
  const { samples: S, classes: C } = from;
  const probs = new Float32Array(lambdas.length * S * C);
  lambdas.forEach((t, k) => slerpInto(from.probs, 0, to.probs, 0, t, S, C, probs, k * S * C));
  const meta: ModelPoint[] = Array.from(lambdas, (t, k) => ({ run, step: k, kind: "geodesic" as const, lambda: t }));
  return new PredictionSet(
    { probs, models: lambdas.length, samples: S, classes: C, labels: from.labels ?? to.labels, classNames: from.classNames, meta, split: from.split ?? to.split, sampleIds: from.sampleIds ?? to.sampleIds },
    { validate: false },
  );
}

interface Reference {
  labels: Int32Array;
  S: number;
  C: number;
  set: PredictionSet | null;
}

function reference(labels: LabelSource, options: LabelOptions | number, what: string): Reference {
  const classes = typeof options === "number" ? options : options.classes;
  if (labels instanceof PredictionSet) {
    const l = labels.requireLabels(what);
    if (classes !== undefined && classes !== labels.classes) throw new InpcaInputError(`${what}: classes ${classes} but the prediction set has ${labels.classes}`);
    return { labels: l, S: labels.samples, C: labels.classes, set: labels };
  }
  if (classes === undefined) throw new InpcaInputError(`${what}: with bare labels, pass the number of classes ({ classes: C }) or pass the prediction set itself`);
  validate(classes, integer(2), "classes", { source: what });
  const l = Int32Array.from(labels);
  l.forEach((y, n) => {
    if (!(y >= 0 && y < classes)) throw new InpcaInputError(`${what}: label of sample ${n} is ${y}, outside [0, ${classes})`);
  });
  return { labels: l, S: l.length, C: classes, set: null };
}

function build(ref: Reference, probs: Float32Array, meta: ModelPoint[]): PredictionSet {
  const s = ref.set;
  return new PredictionSet(
    { probs, models: 1, samples: ref.S, classes: ref.C, labels: ref.labels, classNames: s?.classNames, meta, split: s?.split, sampleIds: s?.sampleIds },
    { validate: false },
  );
}
