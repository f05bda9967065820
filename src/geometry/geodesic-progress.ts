/**
 * Progress along a geodesic (docs/methods.md §7): the λ* ∈ [0, 1] of the geodesic point closest to a model-point.
 *
 * Per sample n the geodesic is a great circle in the plane of sqrtP0_n and sqrtP1_n. With the orthonormal
 * basis (u_n = sqrtP0_n, e_n ⟂ u_n in that plane), a model r is reduced to three numbers per sample:
 * α_n = ⟨u_n, sqrt r_n⟩, β_n = ⟨e_n, sqrt r_n⟩ and ρ²_n = ‖sqrt r_n - α_n u_n - β_n e_n‖² (summed directly).
 * The point at λ is cos(λθ_n) u_n + sin(λθ_n) e_n, so the chord to sqrt r_n has squared length
 * (cos λθ_n - α_n)² + (sin λθ_n - β_n)² + ρ²_n, and the angle is 2·asin(chord/2). This is well conditioned where
 * arccos⟨·,·⟩ is not (near the geodesic arccos turns float32 rounding of ~1e-8 into angles of ~1e-4).
 */
import { InpcaInputError } from "../core/errors.js";
import { sqrtNormalizedRow } from "../core/rows.js";
import { assertSameSamples, type PredictionSet } from "../core/prediction-set.js";
import { ignorance, truth } from "./geodesic.js";

/**
 * - "angle" (default, the authors' main tables): argmin_λ Σ_n angle(sqrtP_n(λ), sqrt r_n);
 * - "bhattacharyya": argmin_λ d_B(P(λ), r);
 * - "projection": the per-sample closest λ_n on each great circle (closed form), averaged over samples (fast).
 */
export type ProgressMethod = "angle" | "bhattacharyya" | "projection";

/** Options of `geodesicProgress` (docs/methods.md §7). */
export interface GeodesicProgressOptions {
  /** How λ* is measured: `"angle"` (default), `"bhattacharyya"` or `"projection"`. */
  method?: ProgressMethod;
  /** Start of the geodesic (default: ignorance on the set's samples); model-point 0 is used. */
  from?: PredictionSet;
  /** End of the geodesic (default: truth, the one-hot labels of the set); model-point 0 is used. */
  to?: PredictionSet;
  /** Absolute tolerance on λ of the bounded minimisation (default 1e-10; the attainable accuracy is ~1e-8). */
  xtol?: number;
}

/** Samples whose endpoints are closer than this angle (radians) carry no information about λ and are skipped. */
const TINY_ANGLE = 1e-7;

/**
 * Progress λ* of every model-point of `set` along the geodesic from `from` (ignorance) to `to` (truth):
 * Float64Array of length M, values in [0, 1]. The minimisation scans a grid of 21 values of λ, then refines the
 * best bracket with Brent's bounded method, so a non-convex objective cannot trap it at a bracket edge.
 * Rows are divided by their sums first, as for the distances.
 */
export function geodesicProgress(set: PredictionSet, options: GeodesicProgressOptions = {}): Float64Array {
  const from = options.from ?? ignorance(set);
  const to = options.to ?? truth(set);
  assertSameSamples(set, from, "geodesicProgress: the set and the geodesic start");
  assertSameSamples(set, to, "geodesicProgress: the set and the geodesic end");
  const { models: M, samples: S, classes: C } = set;
  const method = options.method ?? "angle";
  if (!["angle", "bhattacharyya", "projection"].includes(method)) throw new InpcaInputError(`geodesicProgress: unknown method "${method}"`);
  // orthonormal basis (u, e) of each sample's great circle, and its angle θ
  const u = new Float64Array(S * C);
  const e = new Float64Array(S * C);
  const theta = new Float64Array(S);
  const s1 = new Float64Array(C);
  for (let n = 0; n < S; n++) {
    sqrtNormalizedRow(from.probs, n * C, C, u, n * C);
    sqrtNormalizedRow(to.probs, n * C, C, s1, 0);
    const cos = Math.min(1, dot(u, n * C, s1, 0, C));
    let norm = 0;
    for (let c = 0; c < C; c++) {
      const v = s1[c]! - cos * u[n * C + c]!;
      e[n * C + c] = v;
      norm += v * v;
    }
    norm = Math.sqrt(norm);
    theta[n] = Math.atan2(norm, cos);
    for (let c = 0; c < C; c++) e[n * C + c] = norm > 0 ? e[n * C + c]! / norm : 0;
  }
  const alpha = new Float64Array(S);
  const beta = new Float64Array(S);
  const rho2 = new Float64Array(S);
  const r = new Float64Array(C);
  const out = new Float64Array(M);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < S; n++) {
      sqrtNormalizedRow(set.probs, (m * S + n) * C, C, r, 0);
      const a = dot(u, n * C, r, 0, C);
      const b = dot(e, n * C, r, 0, C);
      let res = 0;
      for (let c = 0; c < C; c++) {
        const v = r[c]! - a * u[n * C + c]! - b * e[n * C + c]!;
        res += v * v;
      }
      alpha[n] = a;
      beta[n] = b;
      rho2[n] = res;
    }
    out[m] = method === "projection"
      ? projection(alpha, beta, theta)
      : minimiseOnGrid(objective(method, alpha, beta, rho2, theta), options.xtol ?? 1e-10);
  }
  return out;
}

function objective(method: ProgressMethod, alpha: Float64Array, beta: Float64Array, rho2: Float64Array, theta: Float64Array): (lambda: number) => number {
  const S = alpha.length;
  return (l) => {
    let s = 0;
    for (let n = 0; n < S; n++) {
      const t = theta[n]!;
      if (t < TINY_ANGLE) continue;
      const dc = Math.cos(l * t) - alpha[n]!;
      const ds = Math.sin(l * t) - beta[n]!;
      const chord2 = dc * dc + ds * ds + rho2[n]!;
      s += method === "bhattacharyya"
        ? Math.min(100, -Math.log1p(-Math.min(1, chord2 / 2))) // BC = 1 - chord²/2
        : 2 * Math.asin(Math.min(1, Math.sqrt(chord2) / 2));
    }
    return s / S;
  };
}

/** Mean over samples of the closest λ_n on each great circle: φ* = atan2(β, α), clamped to [0, θ]. */
function projection(alpha: Float64Array, beta: Float64Array, theta: Float64Array): number {
  let s = 0;
  let count = 0;
  for (let n = 0; n < alpha.length; n++) {
    const t = theta[n]!;
    if (t < TINY_ANGLE) continue;
    const phi = Math.atan2(beta[n]!, alpha[n]!);
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

function dot(x: Float64Array, xo: number, y: Float64Array, yo: number, C: number): number {
  let s = 0;
  for (let c = 0; c < C; c++) s += x[xo + c]! * y[yo + c]!;
  return s;
}
