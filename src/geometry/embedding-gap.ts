/**
 * How far one embedding is from another of the same model-points (a landmark embedding from exact InPCA, say),
 * in the two measures docs/benchmarks.md and notebook 13 use, computed over all M² pairs in O(M·k²) time and memory:
 *
 * - per axis, the relative Frobenius error ‖a_k − s b_k‖ / ‖b_k‖ after the sign s that aligns them;
 * - the relative error of the signed squared distances on the first k axes, over all pairs,
 *   sqrt(Σ_ij (A_ij − B_ij)² / Σ_ij B_ij²) with A_ij = Σ_k sign(λ_k)(a_ik − a_jk)² (and B of b).
 *
 * The pair sums are exact, not sampled: with u_i = (a_i, b_i) and Σ = diag(sign λᵃ, −sign λᵇ), A_ij − B_ij =
 * g_i + g_j − 2 u_iᵀ Σ u_j with g_i = u_iᵀ Σ u_i, so Σ_ij (A − B)² needs only Σ g², Σ g, Σ g u, and the 2k×2k
 * second moment Σ u uᵀ; each coordinate is centred first (distances do not change), which keeps the sums
 * well conditioned. Checked against the M² loop in test/geometry/embedding-gap.test.ts. The closed form subtracts
 * sums of the size of Σ B², so it resolves a distance gap down to about 1e-7 (√ of float64's rounding); a smaller
 * one reads as 0 (seen: two embeddings 1e-8 apart per axis gave 0). The per-axis errors have no such floor.
 */
import { InpcaInputError } from "../core/errors.js";
import type { Embedding } from "../core/embedding.js";
import { integer, validate } from "../core/options.js";

/** The gap between embeddings a and b (b the reference), on their first k axes. */
export interface EmbeddingGap {
  /** Per axis: ‖a_k − s b_k‖ / ‖b_k‖, s = ±1 aligning the signs. */
  axes: number[];
  /** Relative error of the k-D signed squared distances over all pairs. */
  distances: number;
  /** Axes compared. */
  dims: number;
}

/** See `EmbeddingGap`. `dims` defaults to the smaller of the two embeddings' axes (at most 3). */
export function embeddingGap(a: Embedding, b: Embedding, dims = Math.min(3, a.dims, b.dims)): EmbeddingGap {
  if (a.points !== b.points) throw new InpcaInputError(`embeddingGap: the embeddings have ${a.points} and ${b.points} model-points; they must embed the same ones`);
  validate(dims, integer(1, Math.min(a.dims, b.dims)), "dims", { source: "embeddingGap" });
  const M = b.points, k = dims, d = 2 * k;
  const axes = Array.from({ length: k }, (_, ax) => {
    let dot = 0, nb = 0;
    for (let i = 0; i < M; i++) {
      dot += a.coord(i, ax) * b.coord(i, ax);
      nb += b.coord(i, ax) ** 2;
    }
    const s = dot < 0 ? -1 : 1;
    let e = 0;
    for (let i = 0; i < M; i++) e += (a.coord(i, ax) - s * b.coord(i, ax)) ** 2;
    return nb > 0 ? Math.sqrt(e / nb) : e > 0 ? Infinity : 0;
  });
  // centred coordinates u_i = (a_i, b_i) and the signature
  const mean = new Float64Array(d);
  for (let i = 0; i < M; i++) for (let q = 0; q < k; q++) {
    mean[q] += a.coord(i, q) / M;
    mean[k + q] += b.coord(i, q) / M;
  }
  const sig = Float64Array.from({ length: d }, (_, q) => (q < k ? Math.sign(a.eigenvalues[q]!) || 1 : -(Math.sign(b.eigenvalues[q - k]!) || 1)));
  const u = new Float64Array(d);
  /** Sums for the gap (signature sig) and for Σ B² (the b half alone, signature +sign λᵇ). */
  const acc = (half: boolean) => ({ g2: 0, g: 0, gu: new Float64Array(d), uu: new Float64Array(d * d), half });
  const gap = acc(false), ref = acc(true);
  for (let i = 0; i < M; i++) {
    for (let q = 0; q < k; q++) {
      u[q] = a.coord(i, q) - mean[q]!;
      u[k + q] = b.coord(i, q) - mean[k + q]!;
    }
    for (const t of [gap, ref]) {
      const lo = t.half ? k : 0;
      let g = 0;
      for (let q = lo; q < d; q++) g += (t.half ? -sig[q]! : sig[q]!) * u[q]! * u[q]!;
      t.g2 += g * g;
      t.g += g;
      for (let q = lo; q < d; q++) {
        t.gu[q] += g * u[q]!;
        for (let r = lo; r < d; r++) t.uu[q * d + r] += u[q]! * u[r]!;
      }
    }
  }
  const pairSum = (t: typeof gap) => {
    const lo = t.half ? k : 0;
    const s = (q: number) => (t.half ? -sig[q]! : sig[q]!);
    // Σ_ij (g_i + g_j − 2 u_iᵀ Σ u_j)² = 2M Σg² + 2(Σg)² − 8 Σ_q s_q (Σ g u)_q (Σ u)_q + 4 tr((Σ S)²), S = Σ u uᵀ;
    // the coordinates are centred, so Σ u = 0 and the third term vanishes
    let tr = 0;
    for (let q = lo; q < d; q++) for (let r = lo; r < d; r++) tr += s(q) * t.uu[q * d + r]! * s(r) * t.uu[r * d + q]!;
    return 2 * M * t.g2 + 2 * t.g * t.g + 4 * tr;
  };
  const num = Math.max(0, pairSum(gap)), den = pairSum(ref);
  return { axes, distances: den > 0 ? Math.sqrt(num / den) : num > 0 ? Infinity : 0, dims: k };
}
