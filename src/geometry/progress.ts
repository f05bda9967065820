/**
 * Progress along a geodesic (METHODS §7): the λ* ∈ [0, 1] of the geodesic point closest to a model-point.
 * Every method reduces a model r to two numbers per sample, a_n = ⟨sqrtP0_n, sqrt r_n⟩ and
 * b_n = ⟨sqrtP1_n, sqrt r_n⟩, because ⟨sqrtP_n(λ), sqrt r_n⟩ = [sin((1-λ)θ_n) a_n + sin(λθ_n) b_n] / sin θ_n.
 */
import { InpcaInputError } from "../core/errors.js";
import { assertSameSamples, type PredictionSet } from "../core/prediction-set.js";
import { ignorance, truth } from "./geodesic.js";

/**
 * - "angle" (default, the authors' main tables): argmin_λ Σ_n arccos⟨sqrtP_n(λ), sqrt r_n⟩;
 * - "bhattacharyya": argmin_λ d_B(P(λ), r);
 * - "projection": the per-sample closed-form closest λ_n on each great circle, averaged over samples (fast).
 */
export type ProgressMethod = "angle" | "bhattacharyya" | "projection";

export interface GeodesicProgressOptions {
  method?: ProgressMethod;
  /** Start of the geodesic (default: ignorance on the set's samples); model-point 0 is used. */
  from?: PredictionSet;
  /** End of the geodesic (default: truth, the one-hot labels of the set); model-point 0 is used. */
  to?: PredictionSet;
  /** Absolute tolerance on λ of the bounded minimisation (default 1e-10). */
  xtol?: number;
}

/**
 * Progress λ* of every model-point of `set` along the geodesic from `from` (ignorance) to `to` (truth),
 * length M, values in [0, 1]. The minimisation scans a grid of 21 values of λ, then refines the best
 * bracket with Brent's bounded method, so a non-convex objective does not trap it at a bracket edge.
 */
export function progress(set: PredictionSet, options: GeodesicProgressOptions = {}): Float64Array {
  const from = options.from ?? ignorance(set);
  const to = options.to ?? truth(set);
  assertSameSamples(set, from, "progress: the set and the geodesic start");
  assertSameSamples(set, to, "progress: the set and the geodesic end");
  const { models: M, samples: S, classes: C } = set;
  const method = options.method ?? "angle";
  if (!["angle", "bhattacharyya", "projection"].includes(method)) throw new InpcaInputError(`progress: unknown method "${method}"`);
  const s0 = sqrtRow(from.probs, S * C);
  const s1 = sqrtRow(to.probs, S * C);
  const theta = new Float64Array(S);
  for (let n = 0; n < S; n++) theta[n] = Math.acos(Math.min(1, dot(s0, n * C, s1, n * C, C)));
  const a = new Float64Array(S);
  const b = new Float64Array(S);
  const out = new Float64Array(M);
  const r = new Float64Array(C);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < S; n++) {
      const o = (m * S + n) * C;
      for (let c = 0; c < C; c++) r[c] = Math.sqrt(set.probs[o + c]!);
      a[n] = dot(s0, n * C, r, 0, C);
      b[n] = dot(s1, n * C, r, 0, C);
    }
    out[m] = method === "projection" ? projection(a, b, theta) : minimiseOnGrid(objective(method, a, b, theta), options.xtol ?? 1e-10);
  }
  return out;
}

/** ⟨sqrtP_n(λ), sqrt r_n⟩ on the great circle of sample n. */
function overlap(a: number, b: number, theta: number, lambda: number): number {
  if (theta < 1e-7) return a + lambda * (b - a);
  const s = Math.sin(theta);
  return (Math.sin((1 - lambda) * theta) * a + Math.sin(lambda * theta) * b) / s;
}

function objective(method: ProgressMethod, a: Float64Array, b: Float64Array, theta: Float64Array): (lambda: number) => number {
  const S = a.length;
  const LO = Math.exp(-100);
  if (method === "bhattacharyya") {
    return (l) => {
      let s = 0;
      for (let n = 0; n < S; n++) s -= Math.log(Math.min(1, Math.max(LO, overlap(a[n]!, b[n]!, theta[n]!, l))));
      return s / S;
    };
  }
  return (l) => {
    let s = 0;
    for (let n = 0; n < S; n++) s += Math.acos(Math.min(1, Math.max(-1, overlap(a[n]!, b[n]!, theta[n]!, l))));
    return s / S;
  };
}

/** Mean over samples of the closest λ_n on each great circle: φ* = atan2(b - a cos θ, a sin θ), clamped to [0, θ]. */
function projection(a: Float64Array, b: Float64Array, theta: Float64Array): number {
  let s = 0;
  let count = 0;
  for (let n = 0; n < a.length; n++) {
    const t = theta[n]!;
    if (t < 1e-7) continue; // P0 = P1 on this sample: every λ is as close
    const phi = Math.atan2(b[n]! - a[n]! * Math.cos(t), a[n]! * Math.sin(t));
    s += Math.min(1, Math.max(0, phi / t));
    count++;
  }
  return count ? s / count : 0;
}

/** argmin of f on [0, 1]: the best of 21 grid values, refined by Brent's bounded method on its bracket. */
export function minimiseOnGrid(f: (x: number) => number, xtol = 1e-10, grid = 21): number {
  let best = 0;
  let fbest = Infinity;
  const values: number[] = [];
  for (let k = 0; k < grid; k++) {
    const v = f(k / (grid - 1));
    values.push(v);
    if (v < fbest) {
      fbest = v;
      best = k;
    }
  }
  const lo = Math.max(0, (best - 1) / (grid - 1));
  const hi = Math.min(1, (best + 1) / (grid - 1));
  const x = brentBounded(f, lo, hi, xtol);
  return f(x) <= fbest ? x : best / (grid - 1);
}

/**
 * Brent's bounded scalar minimisation (golden section with parabolic steps, as scipy's `fminbound`):
 * a local minimum of f on [lo, hi] to within `xtol`.
 */
export function brentBounded(f: (x: number) => number, lo: number, hi: number, xtol = 1e-10, maxIter = 500): number {
  const golden = 0.5 * (3 - Math.sqrt(5));
  const sqrtEps = Math.sqrt(2.2e-16);
  let a = lo, b = hi;
  let v = a + golden * (b - a);
  let w = v, x = v;
  let e = 0, d = 0;
  let fx = f(x);
  let fv = fx, fw = fx;
  for (let iter = 0; iter < maxIter; iter++) {
    const xm = 0.5 * (a + b);
    const tol1 = sqrtEps * Math.abs(x) + xtol / 3;
    const tol2 = 2 * tol1;
    if (Math.abs(x - xm) <= tol2 - 0.5 * (b - a)) break;
    let golden_step = true;
    if (Math.abs(e) > tol1) {
      // parabolic fit
      let r = (x - w) * (fx - fv);
      let q = (x - v) * (fx - fw);
      let p = (x - v) * q - (x - w) * r;
      q = 2 * (q - r);
      if (q > 0) p = -p;
      q = Math.abs(q);
      r = e;
      e = d;
      if (Math.abs(p) < Math.abs(0.5 * q * r) && p > q * (a - x) && p < q * (b - x)) {
        d = p / q;
        const u = x + d;
        if (u - a < tol2 || b - u < tol2) d = xm >= x ? tol1 : -tol1;
        golden_step = false;
      }
    }
    if (golden_step) {
      e = x >= xm ? a - x : b - x;
      d = golden * e;
    }
    const u = Math.abs(d) >= tol1 ? x + d : x + (d > 0 ? tol1 : -tol1);
    const fu = f(u);
    if (fu <= fx) {
      if (u >= x) a = x;
      else b = x;
      v = w; fv = fw;
      w = x; fw = fx;
      x = u; fx = fu;
    } else {
      if (u < x) a = u;
      else b = u;
      if (fu <= fw || w === x) {
        v = w; fv = fw;
        w = u; fw = fu;
      } else if (fu <= fv || v === x || v === w) {
        v = u; fv = fu;
      }
    }
  }
  return x;
}

function sqrtRow(p: Float32Array, len: number): Float64Array {
  const out = new Float64Array(len);
  for (let q = 0; q < len; q++) out[q] = Math.sqrt(p[q]!);
  return out;
}

function dot(x: Float64Array, xo: number, y: Float64Array, yo: number, C: number): number {
  let s = 0;
  for (let c = 0; c < C; c++) s += x[xo + c]! * y[yo + c]!;
  return s;
}
