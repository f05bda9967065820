/**
 * Landmarks by randomly pivoted Cholesky (RPCholesky: Chen, Epperly, Tropp & Webber, "Randomly pivoted Cholesky",
 * CPAM 2024; block form with rejection: Epperly, Tropp & Webber, "Embrace rejection", 2024), extended to the
 * indefinite Gram of InPCA by pivoting on the magnitude of the residual.
 *
 * The Gram of the model-points with origin o is K(u, v) = −½ (d_uv − d_uo − d_vo) (d = d_B, a squared distance), so
 * K(u, u) = d_uo. After pivots p₁..p_t, the residual r_u = K(u, u) − K(u, P) K(P, P)⁻¹ K(P, u) is the signed squared
 * distance of u from the affine span of the pivots (and o): how badly the landmarks reconstruct u's distances
 * (landmark InPCA with every landmark axis places u with exactly this error on its distance to every landmark).
 * Each next pivot is drawn with probability ∝ |r_u|: points the landmarks do not yet reach are taken, in
 * proportion to how far they lie outside, time-like directions (r_u < 0) included; points already reached (the
 * dense late checkpoints of every run) are not taken twice. Measured on data/zoo (3,707 checkpoints, 400 landmarks):
 * 3-D signed distances 0.06 % from exact InPCA, against 11 % with landmarks spread over runs and progress.
 *
 * Candidates are drawn in blocks of `block` (one distance call for the block's columns); each is accepted with
 * probability |r now| / |r when drawn| (rejection keeps the distribution of one-at-a-time pivoting while the block's
 * earlier acceptances shrink its residual). Cost: about pool × 2L distances (half the candidates are accepted) on
 * the worker threads, with the pool square-rooted once (`bhattacharyyaResident`), and pool × L² / 2 multiply-adds.
 */
import { InpcaAbortError } from "../core/errors.js";
import type { PredictionSet } from "../core/prediction-set.js";
import { uniform } from "../linalg/random.js";
import { bhattacharyya, bhattacharyyaResident } from "./distances.js";

/** Options of `pivotedPick`. */
export interface PivotedOptions {
  /** Seed of the draws. */
  seed: number;
  /** Candidates drawn per distance call (default 32). */
  block?: number;
  /** Options of the distance calls (precision, threads, signal). */
  distance: { precision?: "f32" | "f64"; threads?: number; showProgress: false; signal?: AbortSignal };
  /** Progress: called with the pivots so far. */
  progress?: (done: number) => void;
}

/**
 * L pivots of the pool `set` (P model-points) by block RPCholesky on the Gram of the model-points; returns their
 * rows in `set` in the order chosen (the first is the origin, drawn uniformly). Deterministic for a seed. Stops
 * early when every residual is zero (fewer than L distinct points span everything: returns what it has).
 */
export async function pivotedPick(set: PredictionSet, L: number, options: PivotedOptions): Promise<number[]> {
  const P = set.models;
  const random = uniform(options.seed * 13 + 5);
  const block = Math.max(1, options.block ?? 32);
  const o = Math.floor(random() * P);
  // columns of the pool, rows.length × P row-major; a pool worth the threads stays packed on them (one narrow
  // `bhattacharyya(pool, candidates)` call per block would square-root the whole pool each time)
  const resident = P * set.samples * set.classes >= RESIDENT_THRESHOLD && options.distance.threads !== 0
    ? bhattacharyyaResident(set, { precision: options.distance.precision, threads: options.distance.threads }) : null;
  const column = async (rows: number[]) => (resident ? resident.distances(set.select(rows)) : (await bhattacharyya(set.select(rows), set, options.distance)).data);
  try {
    return await pick(set, L, options, random, block, o, column);
  } finally {
    await resident?.close();
  }
}

/** Below this many pool values (P·S·C), the columns are computed by `bhattacharyya` per call. */
const RESIDENT_THRESHOLD = 2 ** 22;

async function pick(
  set: PredictionSet, L: number, options: PivotedOptions, random: () => number, block: number, o: number,
  column: (rows: number[]) => Promise<Float64Array>,
): Promise<number[]> {
  const P = set.models;
  const dOrigin = await column([o]);
  const residual = new Float64Array(P);
  for (let u = 0; u < P; u++) residual[u] = dOrigin[u]!;
  residual[o] = 0;
  /** Cholesky factor columns (each length P, scaled by 1/√|pivot|) and their signs. */
  const F: Float64Array[] = [];
  const sign: number[] = [];
  const pivots = [o];
  const taken = new Uint8Array(P);
  taken[o] = 1;
  while (pivots.length < L) {
    if (options.distance.signal?.aborted) throw new InpcaAbortError("landmarkInpca");
    let total = 0;
    for (let u = 0; u < P; u++) if (!taken[u]) total += Math.abs(residual[u]!);
    if (!(total > 0)) break;
    // draw a block of distinct candidates ∝ |r|
    const want = Math.min(block, L - pivots.length);
    const cands: number[] = [];
    const drawnAt: number[] = [];
    const inBlock = new Set<number>();
    for (let tries = 0; cands.length < want && tries < 4 * want; tries++) {
      let x = random() * total, u = 0;
      for (; u < P; u++) {
        if (taken[u]) continue;
        x -= Math.abs(residual[u]!);
        if (x <= 0) break;
      }
      if (u >= P) u = lastOpen(taken, P);
      if (u < 0 || inBlock.has(u) || residual[u] === 0) continue;
      inBlock.add(u);
      cands.push(u);
      drawnAt.push(Math.abs(residual[u]!));
    }
    if (cands.length === 0) break;
    const cols = await column(cands); // b × P, row-major
    const b = cands.length;
    for (let c = 0; c < b; c++) {
      const p = cands[c]!;
      if (taken[p] || pivots.length >= L) continue;
      const now = Math.abs(residual[p]!);
      if (!(now > 0) || random() * drawnAt[c]! > now) continue; // rejected: earlier pivots of the block reach it
      // the new factor column: K(:, p) − Σ_t s_t F_t F_t[p], scaled by 1/√|g_p|
      const g = new Float64Array(P);
      const dpo = dOrigin[p]!;
      for (let u = 0; u < P; u++) g[u] = -0.5 * (cols[c * P + u]! - dOrigin[u]! - dpo);
      for (let t = 0; t < F.length; t++) {
        const f = F[t]!, w = sign[t]! * f[p]!;
        if (w === 0) continue;
        for (let u = 0; u < P; u++) g[u] -= w * f[u]!;
      }
      const gp = g[p]!;
      taken[p] = 1;
      pivots.push(p);
      if (gp === 0) continue;
      const s = Math.sign(gp), scale = 1 / Math.sqrt(Math.abs(gp));
      for (let u = 0; u < P; u++) {
        g[u]! *= scale;
        residual[u] -= s * g[u]! * g[u]!;
      }
      residual[p] = 0;
      F.push(g);
      sign.push(s);
    }
    options.progress?.(pivots.length);
  }
  return pivots;
}

function lastOpen(taken: Uint8Array, P: number): number {
  for (let u = P - 1; u >= 0; u--) if (!taken[u]) return u;
  return -1;
}
