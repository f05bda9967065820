/**
 * Averaging the predictions of several models (docs/methods.md §9, appendix E.4 of Mao et al.): per sample and class,
 * then renormalised over the classes. Six means:
 * - "arithmetic":    a_c = Σ_i w_i p_ic
 * - "geometric":     exp(Σ_i w_i log p_ic)
 * - "harmonic":      1 / Σ_i (w_i / p_ic)
 * - "sqrt":          (Σ_i w_i sqrt p_ic)²   (the square-root mean; the mean in the sphere coordinates of §6)
 * - "bhattacharyya": the Bhattacharyya centroid argmin_p Σ_i w_i B(p, p_i), B = -log Σ_c sqrt(p_c p_ic), by the
 *                    fixed point of Nielsen & Boltz (2011) in natural parameters, which for categorical
 *                    distributions reads p_c ← Σ_i w_i sqrt(p_c p_ic) / BC(p, p_i)
 * - "jeffreys":      the Jeffreys (symmetric KL) centroid of positive histograms a_c / W0(e·a_c/g_c)
 *                    (Nielsen 2013) with a the arithmetic and g the (unnormalised) geometric mean, W0 Lambert's W
 * (weights w_i sum to 1; plain means use w_i = 1/n). Every mean is computed in float64 and divided by its sum.
 *
 * Zero probabilities: geometric, harmonic and Jeffreys take logs or reciprocals, so every probability is first
 * clamped to max(p, floor) with `floor` = AVERAGE_FLOOR = 1e-12 (the floor `symmetricKL` uses). Without the
 * floor one model with p = 0 would zero the class for all (geometric) or divide by 0 (harmonic).
 */
import { InpcaInputError } from "../core/errors.js";
import { describePoint, field, type ConfigValue, type ModelPoint } from "../core/meta.js";
import { assertSameSamples, PredictionSet } from "../core/prediction-set.js";

/** The averaging methods of docs/methods.md §9. */
export type AveragingMethod = "arithmetic" | "geometric" | "harmonic" | "sqrt" | "bhattacharyya" | "jeffreys";

/** All averaging methods, in the authors' reported order of final soft accuracy (arithmetic lowest... harmonic). */
export const AVERAGING_METHODS: readonly AveragingMethod[] = ["arithmetic", "bhattacharyya", "sqrt", "jeffreys", "geometric", "harmonic"];

/** Probabilities below this are raised to it by the geometric, harmonic and Jeffreys means (keeps them finite). */
export const AVERAGE_FLOOR = 1e-12;

/**
 * How model-points are grouped: a metadata/configuration field name, several names, or a function of the
 * metadata row returning a key. Configuration fields are read with `field` (top level first, then `config`).
 */
export type GroupBy = string | readonly string[] | ((point: ModelPoint, index: number) => string);

/** The configuration field that tells seeds apart; the default grouping ignores it. */
export const SEED_FIELD = "seed";

/** Options of `average` (docs/methods.md §9): the method and how model-points are grouped. */
export interface AverageOptions {
  /**
   * For a single set: which model-points are averaged together. Default: the same configuration apart from
   * its `seed`, at the same position (the `reindexed` grid value when the points have one, else the `step`).
   * Groups come out in the order of their first model-point.
   */
  by?: GroupBy;
  /**
   * Non-negative weights: one per set (array input) or one per model-point (single set); normalised within
   * each group. Default: equal weights.
   */
  weights?: ArrayLike<number>;
  /** Floor on probabilities for geometric, harmonic and Jeffreys means (default AVERAGE_FLOOR = 1e-12). */
  floor?: number;
  /** Bhattacharyya centroid: stop when no probability moves by more than `tol` (default 1e-13). */
  tol?: number;
  /** Bhattacharyya centroid: at most this many fixed-point iterations (default 10,000). */
  maxIter?: number;
}

/**
 * Averages model predictions (docs/methods.md §9), returning a PredictionSet on the same samples whose points have
 * kind "average", `members` (how many models were averaged) and `averaging` (the method) in their metadata.
 * - `sets` an array of n sets with the same number M of model-points: point m of the result averages point m
 *   of every set (e.g. n seeds re-indexed onto the same grid). Metadata from the first set.
 * - `sets` one set: its model-points are grouped by `options.by` (default: configuration without seed, same
 *   step or re-indexed position) and each group is averaged; run = "mean:<configuration>", config = the fields
 *   all members share, step/epoch/lambda the members' mean.
 * Shapes: inputs [M, S, C] each; output [groups or M, S, C].
 */
export function average(sets: PredictionSet | readonly PredictionSet[], method: AveragingMethod = "arithmetic", options: AverageOptions = {}): PredictionSet {
  checkMethod(method);
  if (sets instanceof PredictionSet) return averageGroups(sets, method, options);
  if (sets.length === 0) throw new InpcaInputError("average: no prediction sets given");
  const first = sets[0]!;
  sets.forEach((s, i) => {
    assertSameSamples(first, s, `average: set ${i} and set 0`);
    if (s.models !== first.models) throw new InpcaInputError(`average: set ${i} has ${s.models} model-points but set 0 has ${first.models}; averaging pairs up model-points by position`);
  });
  const n = sets.length;
  const w = weightsFor(options.weights, n, "set");
  const { models: M, samples: S, classes: C } = first;
  const W = S * C;
  const out = new Float32Array(M * W);
  const sources = sets.map((s) => s.probs);
  const kernel = new AverageKernel(C, n, method, options);
  for (let m = 0; m < M; m++) {
    kernel.run(sources, sources.map(() => m * W), w, S, out, m * W, (i) => `${describePoint(sets[i]!.meta, m)} of set ${i}`);
  }
  const meta = first.meta.map((p) => ({ ...p, kind: "average" as const, members: n, averaging: method }));
  return first.derive(out, M, meta);
}

/**
 * The average of all model-points of `set` (optionally weighted, one weight per point) as a set of one
 * model-point (kind "average", run "mean"). Shape [1, S, C].
 */
export function centroid(set: PredictionSet, method: AveragingMethod = "arithmetic", options: Omit<AverageOptions, "by"> = {}): PredictionSet {
  return average(set, method, { ...options, by: () => "mean" });
}

/**
 * The key of a model-point under a grouping: for a field name its value as text; for several names
 * "name=value, name=value"; for a function its result. `undefined` (no grouping given) means the configuration
 * without its seed, as "name=value, ..." over the sorted configuration fields ("" when there is none).
 */
export function groupKey(point: ModelPoint, index: number, by?: GroupBy): string {
  if (typeof by === "function") return by(point, index);
  if (typeof by === "string") return String(field(point, by));
  if (by) return by.map((name) => `${name}=${String(field(point, name))}`).join(", ");
  const config = point.config ?? {};
  return Object.keys(config).filter((k) => k !== SEED_FIELD).sort().map((k) => `${k}=${String(config[k])}`).join(", ");
}

/** Groups indices 0..meta.length-1 by `groupKey`, in order of first appearance. */
export function groupIndices(meta: readonly ModelPoint[], by?: GroupBy): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  meta.forEach((p, i) => {
    const k = groupKey(p, i, by);
    const g = groups.get(k);
    if (g) g.push(i);
    else groups.set(k, [i]);
  });
  return groups;
}

/** The configuration fields on which every one of `points` agrees (the seed drops out when seeds differ). */
export function sharedConfig(points: readonly ModelPoint[]): Record<string, ConfigValue> {
  const out: Record<string, ConfigValue> = {};
  const first = points[0]?.config;
  if (!first) return out;
  for (const [k, v] of Object.entries(first)) {
    if (points.every((p) => p.config && k in p.config && p.config[k] === v)) out[k] = v;
  }
  return out;
}

/**
 * Lambert W function, principal branch W0: the w ≥ -1 with w·e^w = x, for x ≥ -1/e (NaN below, +∞ at +∞).
 * Halley iterations on f(w) = w - x·e^(-w) (no overflow for large x) from a branch-point series near -1/e,
 * log-based asymptotics for large x; relative accuracy ~1e-15.
 */
export function lambertW0(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x === Infinity) return Infinity;
  if (x === 0) return 0;
  const branch = -1 / Math.E;
  if (x < branch) {
    if (x > branch - 1e-15) return -1;
    return NaN;
  }
  let w: number;
  if (x < -0.25) {
    // series about the branch point: p = sqrt(2(e x + 1))
    const p = Math.sqrt(Math.max(0, 2 * (Math.E * x + 1)));
    w = -1 + p - (p * p) / 3 + (11 / 72) * p * p * p;
  } else if (x < 3) {
    w = Math.log1p(x);
    w = w * (1 - Math.log1p(w) / (2 + w)); // one cheap refinement (Winitzki-style)
  } else {
    const l1 = Math.log(x);
    const l2 = Math.log(l1);
    w = l1 - l2 + l2 / l1;
  }
  for (let iter = 0; iter < 64; iter++) {
    const ex = x * Math.exp(-w);
    const f = w - ex;
    const f1 = 1 + ex;
    const f2 = -ex;
    const denom = 2 * f1 * f1 - f * f2;
    if (denom === 0) break;
    const step = (2 * f * f1) / denom;
    const next = Math.max(-1, w - step);
    if (Math.abs(next - w) <= 4e-16 * (1 + Math.abs(next))) return next;
    w = next;
  }
  return w;
}

/**
 * The per-sample averaging kernel: reads n rows of C probabilities (row i of `sources[i]` at `offsets[i]`, one
 * per sample after that), writes the renormalised mean of every sample to `out` at `outOffset`.
 */
class AverageKernel {
  private readonly acc: Float64Array;
  private readonly acc2: Float64Array;
  private readonly cur: Float64Array;
  private readonly bc: Float64Array;
  private readonly floor: number;
  private readonly tol: number;
  private readonly maxIter: number;

  constructor(private readonly C: number, n: number, private readonly method: AveragingMethod, options: AverageOptions) {
    this.acc = new Float64Array(C);
    this.acc2 = new Float64Array(C);
    this.cur = new Float64Array(C);
    this.bc = new Float64Array(n);
    this.floor = options.floor ?? AVERAGE_FLOOR;
    if (!(this.floor > 0)) throw new InpcaInputError(`average: floor must be positive, got ${options.floor}`);
    this.tol = options.tol ?? 1e-13;
    this.maxIter = options.maxIter ?? 10_000;
  }

  run(sources: readonly Float32Array[], offsets: readonly number[], w: Float64Array, S: number, out: Float32Array, outOffset: number, describe: (i: number) => string): void {
    const { C, acc, acc2, floor } = this;
    const n = sources.length;
    for (let s = 0; s < S; s++) {
      acc.fill(0);
      acc2.fill(0);
      // normalise each source row by its sum first (stored rows sum to 1 only up to rounding)
      for (let i = 0; i < n; i++) {
        const p = sources[i]!;
        const o = offsets[i]! + s * C;
        let sum = 0;
        for (let c = 0; c < C; c++) sum += p[o + c]!;
        if (!(sum > 0)) throw new InpcaInputError(`average: ${describe(i)}, sample ${s}: probabilities sum to ${sum}`);
        const wi = w[i]!;
        for (let c = 0; c < C; c++) {
          const v = p[o + c]! / sum;
          switch (this.method) {
            case "arithmetic": acc[c]! += wi * v; break;
            case "geometric": acc[c]! += wi * Math.log(Math.max(v, floor)); break;
            case "harmonic": acc[c]! += wi / Math.max(v, floor); break;
            case "sqrt": case "bhattacharyya": acc[c]! += wi * Math.sqrt(v); break;
            case "jeffreys": {
              acc[c]! += wi * v;
              acc2[c]! += wi * Math.log(Math.max(v, floor));
              break;
            }
          }
        }
      }
      const res = this.cur;
      for (let c = 0; c < C; c++) {
        switch (this.method) {
          case "arithmetic": res[c] = acc[c]!; break;
          case "geometric": res[c] = Math.exp(acc[c]!); break;
          case "harmonic": res[c] = 1 / acc[c]!; break;
          case "sqrt": case "bhattacharyya": res[c] = acc[c]! * acc[c]!; break;
          case "jeffreys": {
            const a = acc[c]!;
            const g = Math.exp(acc2[c]!);
            // a / W0(e a / g); as a → 0 this tends to g / e
            res[c] = a > 0 ? a / lambertW0((Math.E * a) / g) : g / Math.E;
            break;
          }
        }
      }
      normalise(res, C);
      if (this.method === "bhattacharyya") this.bhattacharyyaCentroid(sources, offsets, w, s, res);
      for (let c = 0; c < C; c++) out[outOffset + s * C + c] = res[c]!;
    }
  }

  /** Nielsen–Boltz fixed point p_c ← Σ_i w_i sqrt(p_c p_ic) / BC(p, p_i), started from the sqrt mean in `p`. */
  private bhattacharyyaCentroid(sources: readonly Float32Array[], offsets: readonly number[], w: Float64Array, s: number, p: Float64Array): void {
    const { C, acc, bc } = this;
    const n = sources.length;
    const sums = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const o = offsets[i]! + s * C;
      let sum = 0;
      for (let c = 0; c < C; c++) sum += sources[i]![o + c]!;
      sums[i] = sum;
    }
    for (let iter = 0; iter < this.maxIter; iter++) {
      for (let i = 0; i < n; i++) {
        const o = offsets[i]! + s * C;
        let b = 0;
        for (let c = 0; c < C; c++) b += Math.sqrt((p[c]! * sources[i]![o + c]!) / sums[i]!);
        bc[i] = b;
      }
      acc.fill(0);
      for (let i = 0; i < n; i++) {
        if (!(bc[i]! > 0)) continue; // disjoint supports: this model pulls nowhere
        const o = offsets[i]! + s * C;
        const f = w[i]! / bc[i]!;
        for (let c = 0; c < C; c++) acc[c]! += f * Math.sqrt((p[c]! * sources[i]![o + c]!) / sums[i]!);
      }
      normalise(acc, C);
      let change = 0;
      for (let c = 0; c < C; c++) {
        change = Math.max(change, Math.abs(acc[c]! - p[c]!));
        p[c] = acc[c]!;
      }
      if (change <= this.tol) return;
    }
  }
}

function averageGroups(set: PredictionSet, method: AveragingMethod, options: AverageOptions): PredictionSet {
  const by = options.by ?? ((p: ModelPoint, i: number) => `${groupKey(p, i)}|${typeof p["reindexed"] === "number" ? `g${p["reindexed"]}` : `s${p.step}`}`);
  const groups = groupIndices(set.meta, by);
  const w = weightsFor(options.weights, set.models, "model-point");
  const { samples: S, classes: C } = set;
  const W = S * C;
  const out = new Float32Array(groups.size * W);
  const meta: ModelPoint[] = [];
  let k = 0;
  for (const [key, idx] of groups) {
    let total = 0;
    for (const i of idx) total += w[i]!;
    if (!(total > 0)) throw new InpcaInputError(`average: the weights of group "${key}" sum to ${total}`);
    const gw = Float64Array.from(idx, (i) => w[i]! / total);
    const kernel = new AverageKernel(C, idx.length, method, options);
    kernel.run(idx.map(() => set.probs), idx.map((i) => i * W), gw, S, out, k * W, (j) => describePoint(set.meta, idx[j]!));
    meta.push(groupMeta(set.meta, idx, key, method, options.by === undefined));
    k++;
  }
  return set.derive(out, groups.size, meta);
}

function groupMeta(all: readonly ModelPoint[], idx: number[], key: string, method: AveragingMethod, defaultKey: boolean): ModelPoint {
  const pts = idx.map((i) => all[i]!);
  const mean = (get: (p: ModelPoint) => unknown): number | undefined => {
    const v = pts.map(get);
    return v.every((x) => typeof x === "number") ? (v as number[]).reduce((a, b) => a + b, 0) / v.length : undefined;
  };
  const config = sharedConfig(pts);
  const configKey = defaultKey ? key.slice(0, key.lastIndexOf("|")) : key;
  const point: ModelPoint = { run: `mean:${configKey}`, step: mean((p) => p.step) ?? 0, kind: "average", members: idx.length, averaging: method };
  if (Object.keys(config).length) point.config = config;
  for (const f of ["epoch", "lambda", "reindexed"] as const) {
    const v = mean((p) => p[f]);
    if (v !== undefined) point[f] = v;
  }
  const split = pts[0]!.split;
  if (split !== undefined && pts.every((p) => p.split === split)) point.split = split;
  return point;
}

function weightsFor(weights: ArrayLike<number> | undefined, n: number, what: string): Float64Array {
  if (!weights) return new Float64Array(n).fill(1 / n);
  if (weights.length !== n) throw new InpcaInputError(`average: ${weights.length} weights for ${n} ${what}s`);
  const w = Float64Array.from(weights);
  let total = 0;
  w.forEach((v, i) => {
    if (!(v >= 0 && Number.isFinite(v))) throw new InpcaInputError(`average: weight of ${what} ${i} is ${v}; weights must be finite and non-negative`);
    total += v;
  });
  if (!(total > 0)) throw new InpcaInputError("average: the weights sum to 0");
  for (let i = 0; i < n; i++) w[i]! /= total;
  return w;
}

function normalise(v: Float64Array, C: number): void {
  let sum = 0;
  for (let c = 0; c < C; c++) sum += v[c]!;
  for (let c = 0; c < C; c++) v[c]! /= sum;
}

function checkMethod(method: string): void {
  if (!(AVERAGING_METHODS as readonly string[]).includes(method)) throw new InpcaInputError(`average: unknown method "${method}" (one of ${AVERAGING_METHODS.join(", ")})`);
}
