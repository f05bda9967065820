/**
 * How far a landmark embedding is from exact InPCA, estimated without the M×M matrix: the Rayleigh–Ritz residual
 * of its axes on sampled exact columns, then first-order perturbation theory.
 *
 * The placed coordinates X (M×Kp, centred, signature s) are the exact eigen-decomposition of Ŵ = X S Xᵀ, whose
 * distances are d̂_uv = q_u + q_v − 2 x_u S x_vᵀ (q_u = x_u S x_uᵀ). The exact W = −½ J D J differs by E = W − Ŵ =
 * −½ J (D − D̂) J, and for a unit axis v̂_k (centred) the residual is r_k = W v̂_k − λ̂_k v̂_k = −½ J (D − D̂) v̂_k =
 * Σ_j c_j v̂_jk, c_j = −½ J (d_:j − d̂_:j): one exact column of D per j. Drawing H columns j with probability
 * π_j (half ∝ the axes' leverage Σ_k v̂_jk², half uniform: the few points that carry an axis are drawn) gives H
 * unbiased estimates z_t = c_j v̂_jk / π_j of r_k. To first order the exact axis is
 *   v_k = v̂_k + Σ_{a≠k} (v̂_aᵀ r_k)/(λ̂_k − λ̂_a) v̂_a + (I − V̂V̂ᵀ) r_k / λ̂_k,   λ_k = λ̂_k + v̂_kᵀ r_k,
 * linear in r_k, so each draw gives a correction y_t of the coordinates x_k = √|λ_k| v_k, and the U-statistic
 * Σ_{t≠t'} y_tᵀ y_t' / (H(H−1)) is an unbiased estimate of ‖δx_k‖² (sampling noise does not inflate it). The same
 * for the change of the k-D signed distances on random pairs. 95 % intervals: bootstrap over the draws.
 * On data/zoo the first-order estimate with exact residuals matched the measured axis errors (0.96 % / 5.3 % / 29 %
 * against 0.98 / 6.1 / 27 % for spread landmarks; 0.03 / 0.28 / 0.26 % against the same for pivoted ones).
 */
import type { ChunkCompute } from "../../core/chunks.js";
import type { PredictionSource } from "../../core/source.js";
import { uniform } from "../../linalg/random.js";
import { bhattacharyya } from "../distances.js";
import type { Estimate, LandmarkCheck } from "../../core/embedding.js";
import type { LandmarkDistanceOptions, WholeSetAxes } from "./options.js";

/** What `landmarkCheck` reads: the source, the embedding's whole-set coordinates, and how many columns to draw. */
export interface LandmarkCheckInput extends WholeSetAxes {
  /** The model-points (M rows): the drawn columns are read from it, and every row once through `stream`. */
  src: PredictionSource;
  /** Kept axes: the errors are those of the first min(dims, Kp) axes and of the dims-D distances. */
  dims: number;
  /** H: exact columns of D to draw (with repetition; at least 2). */
  columns: number;
  /** Seed of the draws, the pairs and the bootstrap. */
  seed: number;
  /** The sample subset (ascending indices), or undefined for all samples. */
  samples: Int32Array | undefined;
  /** Options of the distance calls. */
  distance: LandmarkDistanceOptions;
  /** One pass over all M rows of `src` in order, in chunks (e.g. `streamChunks` with the plan's chunk size). */
  stream: (compute: ChunkCompute) => Promise<void>;
}

/**
 * The check of a landmark embedding (see the module comment): estimated relative errors of its axes, of its
 * dims-D signed distances and of its eigenvalues against exact InPCA, with 95 % intervals. Reads the source once
 * (H·M distances).
 */
export async function landmarkCheck(input: LandmarkCheckInput): Promise<LandmarkCheck> {
  const { src, coords: X, points: M, axes: Kp, values, dims, columns: H, seed, samples, distance, stream } = input;
  const random = uniform(seed * 31 + 7);
  const K = Math.min(dims, Kp);
  const root = Float64Array.from(values, (l) => Math.sqrt(Math.abs(l)));
  const sg = Float64Array.from(values, (l) => (l < 0 ? -1 : 1));
  const v = (u: number, a: number) => (root[a]! > 0 ? X[u * Kp + a]! / root[a]! : 0);
  // draws ∝ π
  const pi = new Float64Array(M);
  let total = 0;
  for (let j = 0; j < M; j++) {
    let lev = 0;
    for (let k = 0; k < K; k++) lev += v(j, k) ** 2;
    pi[j] = (0.5 * lev) / K + 0.5 / M;
    total += pi[j]!;
  }
  for (let j = 0; j < M; j++) pi[j]! /= total;
  const cum = new Float64Array(M);
  let c = 0;
  for (let j = 0; j < M; j++) cum[j] = c += pi[j]!;
  const draws: number[] = [];
  for (let t = 0; t < H; t++) {
    const x = random() * c;
    let lo = 0, hi = M - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cum[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    draws.push(lo);
  }
  const cols = [...new Set(draws)].sort((a, b) => a - b);
  const U = cols.length;
  const slot = new Map(cols.map((j, i) => [j, i]));
  // exact columns d_:j, one pass
  const marks = await src.read(cols, samples);
  const Dc = new Float64Array(M * U);
  await stream(async (rows, start, end) => {
    const d = (await bhattacharyya(rows, marks, distance)).data;
    Dc.set(d.subarray(0, (end - start) * U), start * U);
  });
  // c_j = −½ J (d_:j − d̂_:j), stored M×U
  const q = new Float64Array(M);
  for (let u = 0; u < M; u++) {
    let s = 0;
    for (let a = 0; a < Kp; a++) s += sg[a]! * X[u * Kp + a]! ** 2;
    q[u] = s;
  }
  const Cm = new Float64Array(M * U);
  const colMean = new Float64Array(U);
  for (let u = 0; u < M; u++) for (let i = 0; i < U; i++) {
    const j = cols[i]!;
    let dot = 0;
    for (let a = 0; a < Kp; a++) dot += sg[a]! * X[u * Kp + a]! * X[j * Kp + a]!;
    const e = Dc[u * U + i]! - (q[u]! + q[j]! - 2 * dot);
    Cm[u * U + i] = e;
    colMean[i] += e / M;
  }
  for (let u = 0; u < M; u++) for (let i = 0; i < U; i++) Cm[u * U + i] = -0.5 * (Cm[u * U + i]! - colMean[i]!);
  // p_j = V̂ᵀ c_j (Kp per column)
  const Pm = new Float64Array(U * Kp);
  for (let u = 0; u < M; u++) for (let a = 0; a < Kp; a++) {
    const va = v(u, a);
    if (va === 0) continue;
    for (let i = 0; i < U; i++) Pm[i * Kp + a] += va * Cm[u * U + i]!;
  }
  /** y: the coordinate correction of axis k at row u from column i (before its weight v_jk/π_j). */
  const yRow = (u: number, out: Float64Array) => {
    for (let k = 0; k < K; k++) {
      const lk = values[k]!;
      for (let i = 0; i < U; i++) {
        let inRange = 0, proj = 0;
        for (let a = 0; a < Kp; a++) {
          const p = Pm[i * Kp + a]!, va = v(u, a);
          proj += p * va;
          if (a !== k && values[a] !== lk) inRange += (p / (lk - values[a]!)) * va;
        }
        const dv = inRange + (Cm[u * U + i]! - proj) / lk;
        out[k * U + i] = root[k]! * dv + (sg[k]! * Pm[i * Kp + k]! / (2 * root[k]!)) * v(u, k);
      }
    }
  };
  // Gram of the per-column corrections, per axis (U×U), over all rows
  const G = Array.from({ length: K }, () => new Float64Array(U * U));
  const y = new Float64Array(K * U);
  for (let u = 0; u < M; u++) {
    yRow(u, y);
    for (let k = 0; k < K; k++) {
      const g = G[k]!, o = k * U;
      for (let i = 0; i < U; i++) {
        const yi = y[o + i]!;
        if (yi === 0) continue;
        for (let l = i; l < U; l++) g[i * U + l] += yi * y[o + l]!;
      }
    }
  }
  for (const g of G) for (let i = 0; i < U; i++) for (let l = 0; l < i; l++) g[i * U + l] = g[l * U + i]!;
  // signed k-D distances on random pairs and their per-column changes
  const pairs = Math.min(5000, (M * (M - 1)) / 2);
  /** Σ over pairs of dd[l, k]·dd[m, k2] for l ≤ m: the change of a pair's distance from column l on axis k, etc. */
  const Qk = new Float64Array(U * U * K * K);
  let norm = 0;
  const yi = new Float64Array(K * U), yj = new Float64Array(K * U), dd = new Float64Array(U * K);
  for (let t = 0; t < pairs; t++) {
    const i = Math.floor(random() * M);
    let j = Math.floor(random() * (M - 1));
    if (j >= i) j++;
    yRow(i, yi);
    yRow(j, yj);
    let d = 0;
    for (let k = 0; k < K; k++) d += sg[k]! * (X[i * Kp + k]! - X[j * Kp + k]!) ** 2;
    norm += d * d;
    // per column and axis: 2 s_k (x_ik − x_jk)(y_ik − y_jk); the weights per axis enter per draw below
    for (let k = 0; k < K; k++) {
      const dx = 2 * sg[k]! * (X[i * Kp + k]! - X[j * Kp + k]!);
      for (let l = 0; l < U; l++) dd[l * K + k] = dx * (yi[k * U + l]! - yj[k * U + l]!);
    }
    // the weights differ per axis, so the K×K block of each column pair is kept
    for (let l = 0; l < U; l++) for (let m = l; m < U; m++) {
      const o = (l * U + m) * K * K;
      for (let k = 0; k < K; k++) {
        const a = dd[l * K + k]!;
        if (a === 0) continue;
        for (let k2 = 0; k2 < K; k2++) Qk[o + k * K + k2] += a * dd[m * K + k2]!;
      }
    }
  }
  // weights w_tk = v_jk / π_j per draw
  const w = (t: number, k: number) => v(draws[t]!, k) / pi[draws[t]!]!;
  const idx = draws.map((j) => slot.get(j)!);
  /** Σ_{s≠t} f(pick_s, pick_t) / (n(n−1)): unbiased for the square of the mean correction. */
  const ustat = (pick: number[], f: (s: number, t: number) => number) => {
    let sum = 0;
    const n = pick.length;
    for (let s = 0; s < n; s++) for (let t = 0; t < n; t++) if (s !== t) sum += f(pick[s]!, pick[t]!);
    return sum / (n * (n - 1));
  };
  const axisAt = (pick: number[], k: number) => {
    const g = G[k]!;
    const u2 = ustat(pick, (s, t) => w(s, k) * w(t, k) * g[idx[s]! * U + idx[t]!]!);
    return Math.sqrt(Math.max(0, u2) / Math.abs(values[k]!));
  };
  const distAt = (pick: number[]) => {
    const u2 = ustat(pick, (s, t) => {
      const a = Math.min(idx[s]!, idx[t]!), b = Math.max(idx[s]!, idx[t]!);
      let x = 0;
      for (let k = 0; k < K; k++) for (let k2 = 0; k2 < K; k2++) {
        // Q[a][b][k][k2] holds Σ dd[a,k] dd[b,k2]; for (s,t) with idx s > idx t the roles of k and k2 swap
        const val = idx[s]! <= idx[t]! ? Qk[((a * U + b) * K + k) * K + k2]! : Qk[((a * U + b) * K + k2) * K + k]!;
        x += w(s, k) * w(t, k2) * val;
      }
      return x;
    });
    return Math.sqrt(Math.max(0, u2) / norm);
  };
  const eigAt = (pick: number[], k: number) => {
    let s = 0;
    for (const t of pick) s += w(t, k) * Pm[idx[t]! * Kp + k]!;
    return s / pick.length / Math.abs(values[k]!);
  };
  const all = draws.map((_, t) => t);
  const boots = 200;
  const resamples = Array.from({ length: boots }, () => all.map(() => Math.floor(random() * H)));
  const interval = (f: (pick: number[]) => number): Estimate => {
    const est = f(all);
    const xs = resamples.map(f).sort((a, b) => a - b);
    return { estimate: est, low: xs[Math.floor(0.025 * boots)]!, high: xs[Math.min(boots - 1, Math.floor(0.975 * boots))]! };
  };
  return {
    columns: H,
    distinct: U,
    axisError: Array.from({ length: K }, (_, k) => interval((p) => axisAt(p, k))),
    distanceError: interval(distAt),
    eigenvalueError: Array.from({ length: K }, (_, k) => interval((p) => eigAt(p, k))),
  };
}
