/**
 * Eigenpairs of a symmetric M×M matrix given only through its factors, W = c · Z̃ η Z̃ᵀ, where Z (M×w) is read
 * in chunks of rows (one "pass" reads every row once), Z̃ = Z − 1μᵀ is Z with its column means μ removed, η is a
 * diagonal of ±1 (a Minkowski signature: −1 entries make time-like directions) and c > 0 a scale. The M×M matrix
 * is never formed (docs/methods.md §15).
 *
 * Two routes:
 * - `gramEigen` (exact, small w): accumulates the w×w Gram G = Z̃ᵀZ̃ in one pass; with G = L Lᵀ (pivoted
 *   Cholesky, rank r), the nonzero eigenvalues of W are those of K = c Lᵀ η L (r×r), ‖W‖²_F = ‖K‖²_F exactly,
 *   and a last pass gives the M-side eigenvectors v = c Z̃ η L y / λ.
 * - `subspaceEigen` (any w): block subspace iteration with Rayleigh–Ritz, ONE pass per iteration: a pass
 *   computes the block Q = Z̃ U (rows on the fly), its Gram QᵀQ and Z̃ᵀQ, whence QᵀWQ = c (Z̃ᵀQ)ᵀ η (Z̃ᵀQ); the
 *   next U = c η (Z̃ᵀQ) Y diag(1/θ) makes the next block W X diag(1/θ) for the Ritz vectors X = Q Y, so the same
 *   pass also measures the previous Ritz pairs' residuals ‖W x − θ x‖ exactly.
 */
import { denseEigen, matVec, type EigenPairs } from "./dense.js";
import { lanczos } from "./lanczos.js";
import { normal } from "./random.js";

/** A tall matrix Z (rows × width) read by chunks of rows; `pass` visits every row once, in order. */
export interface RowStream {
  /** M: rows. */
  readonly rows: number;
  /** w: columns (features). */
  readonly width: number;
  /**
   * Calls `visit(start, count, Z)` for consecutive chunks of rows from row `from` (default 0) to the end; Z holds
   * count×width float64 values row-major and may be overwritten by the visitor (it is rebuilt for each chunk).
   * The visitor may be async; the pass awaits it before reading on.
   */
  pass(visit: (start: number, count: number, Z: Float64Array) => void | Promise<void>, from?: number): Promise<void>;
}

/** The factored operator W = scale · Z̃ η Z̃ᵀ (see the module's comment). */
export interface FactoredOperator {
  stream: RowStream;
  /** η: one ±1 per column of Z. */
  signs: Float64Array;
  /** c > 0. */
  scale: number;
}

/** Eigenpairs of W by |λ| (signed values), with what the placement of new rows needs. */
export interface FactoredEigenResult {
  /** k signed eigenvalues, |λ_1| ≥ |λ_2| ≥ …; zeros past the rank. */
  values: Float64Array;
  /** M×k row-major unit eigenvectors (sign: largest |component| positive, as `normaliseSigns`); zero columns past the rank. */
  vectors: Float64Array;
  /** w×k row-major Z̃ᵀv_k (for placing new rows: x_k = c (z − μ)ᵀ η Z̃ᵀv_k / (sign λ_k √|λ_k|)). */
  projected: Float64Array;
  /** μ: the column means of Z (w). */
  mean: Float64Array;
  /** ‖W‖²_F (exact). */
  frobenius2: number;
  /** Passes over the rows. */
  passes: number;
  /** ‖W v_k − λ_k v_k‖ / max|λ| of each returned pair (0 for the exact route's, up to rounding; measured for the iterative route). */
  residuals: Float64Array;
  /** Subspace iterations (0 for the exact route). */
  iterations: number;
}

/** Options of `subspaceEigen`. */
export interface SubspaceOptions {
  /** Pairs that must reach `tol` (the rest of the k reach `spectrumTol`); default k. */
  wanted?: number;
  /** Relative residual ‖Wx − θx‖ / max|θ| of the wanted pairs (default 1e-9). */
  tol?: number;
  /** Relative residual of the other pairs (default 1e-5). */
  spectrumTol?: number;
  /** Block size (default k + max(8, ⌈k/2⌉), at most min(M, w)). */
  block?: number;
  /** Maximum passes (default 300). */
  maxPasses?: number;
  /** Seed of the random start block (default 1). */
  seed?: number;
  /** Whether ‖W‖²_F comes from the w×w Gram accumulated in the first iteration (cheaper when w < M; needs w² doubles) or from pairs of chunks (default: Gram when w ≤ M). */
  frobeniusByGram?: boolean;
  /** Called after each pass. */
  onPass?: (passes: number, worstResidual: number) => void;
  /** Sees every centred row once (during the first iteration). */
  onRows?: RowHook;
}

/** Sees the centred rows Z̃ (count×w, row-major, from row `start`) of one chunk; must not modify them. */
export type RowHook = (start: number, count: number, Zc: Float64Array) => void;

/** Column means of Z and its largest |entry|: one pass. */
export async function columnMeans(stream: RowStream): Promise<{ mean: Float64Array; largest: number }> {
  const w = stream.width;
  const mean = new Float64Array(w);
  let largest = 0;
  await stream.pass((_s, count, Z) => {
    for (let i = 0; i < count; i++) {
      for (let a = 0; a < w; a++) {
        const z = Z[i * w + a]!;
        mean[a]! += z;
        if (Math.abs(z) > largest) largest = Math.abs(z);
      }
    }
  });
  for (let a = 0; a < w; a++) mean[a]! /= stream.rows;
  return { mean, largest };
}

/**
 * The size of Z̃ᵀZ̃'s eigenvalues that centring's rounding alone makes (rows identical up to the last bit still
 * leave |z − μ| ~ ε·max|z|): M·w·(16 ε max|z|)². Directions below it are null; W's eigenvalues below c times it are 0.
 */
function roundingFloor(M: number, w: number, largest: number): number {
  return M * w * (16 * Number.EPSILON * largest) ** 2;
}

function centre(Z: Float64Array, count: number, mean: Float64Array): void {
  const w = mean.length;
  for (let i = 0; i < count; i++) for (let a = 0; a < w; a++) Z[i * w + a]! -= mean[a]!;
}

/** G += Zᵀ Z for a count×w chunk (full symmetric w×w, accumulated in the upper triangle then mirrored by `mirror`). */
function addGram(G: Float64Array, Z: Float64Array, count: number, w: number): void {
  for (let i = 0; i < count; i++) {
    const o = i * w;
    for (let a = 0; a < w; a++) {
      const za = Z[o + a]!;
      if (za === 0) continue;
      const g = a * w;
      for (let b = a; b < w; b++) G[g + b]! += za * Z[o + b]!;
    }
  }
}

function mirror(G: Float64Array, w: number): void {
  for (let a = 0; a < w; a++) for (let b = a + 1; b < w; b++) G[b * w + a] = G[a * w + b]!;
}

/** c² Σ_ab η_a η_b G_ab² = ‖c Z̃ η Z̃ᵀ‖²_F from the Gram G = Z̃ᵀZ̃. */
function frobeniusFromGram(G: Float64Array, signs: Float64Array, scale: number): number {
  const w = signs.length;
  let s = 0;
  for (let a = 0; a < w; a++) for (let b = 0; b < w; b++) s += signs[a]! * signs[b]! * G[a * w + b]! ** 2;
  return scale * scale * s;
}

/** Y (count×k) = Z (count×w) · R (w×k). */
function rowsTimes(Z: Float64Array, count: number, w: number, R: Float64Array, k: number, out: Float64Array, outOffset = 0): void {
  for (let i = 0; i < count; i++) {
    const o = outOffset + i * k;
    for (let j = 0; j < k; j++) out[o + j] = 0;
    for (let a = 0; a < w; a++) {
      const z = Z[i * w + a]!;
      if (z === 0) continue;
      const r = a * k;
      for (let j = 0; j < k; j++) out[o + j]! += z * R[r + j]!;
    }
  }
}

/** Flips each column of `vectors` (n×k) so that its entry of largest |value| is positive (ties within 1e-12 go to the first, as `normaliseSigns`), and the same columns of `also` (m×k). */
function fixSigns(vectors: Float64Array, n: number, k: number, also: Float64Array, m: number): void {
  for (let j = 0; j < k; j++) {
    let best = 0;
    for (let i = 1; i < n; i++) if (Math.abs(vectors[i * k + j]!) > Math.abs(vectors[best * k + j]!) + 1e-12) best = i;
    if (vectors[best * k + j]! < 0) {
      for (let i = 0; i < n; i++) vectors[i * k + j] = -vectors[i * k + j]!;
      for (let i = 0; i < m; i++) also[i * k + j] = -also[i * k + j]!;
    }
  }
}

/** Order of indices by |λ| descending, ties by signed value descending (as `denseEigen`). */
function byMagnitude(values: ArrayLike<number>): number[] {
  return Array.from({ length: values.length }, (_, i) => i).sort((a, b) => Math.abs(values[b]!) - Math.abs(values[a]!) || values[b]! - values[a]!);
}

/**
 * Pivoted Cholesky of a symmetric positive semi-definite w×w matrix G (row-major, destroyed): G ≈ L Lᵀ with L
 * w×r (row-major, stride w, rows in G's order), stopping when the largest remaining diagonal is ≤ `floor`. O(w·r²).
 */
export function pivotedCholesky(G: Float64Array, w: number, floor: number): { L: Float64Array; rank: number } {
  const L = new Float64Array(w * w);
  const d = Float64Array.from({ length: w }, (_, a) => G[a * w + a]!);
  const done = new Uint8Array(w);
  let r = 0;
  for (; r < w; r++) {
    let p = -1;
    for (let a = 0; a < w; a++) if (!done[a] && (p < 0 || d[a]! > d[p]!)) p = a;
    if (p < 0 || !(d[p]! > floor)) break;
    done[p] = 1;
    const piv = Math.sqrt(d[p]!);
    L[p * w + r] = piv;
    const lp = p * w;
    for (let a = 0; a < w; a++) {
      if (done[a]) continue;
      const la = a * w;
      let s = G[a * w + p]!;
      for (let l = 0; l < r; l++) s -= L[la + l]! * L[lp + l]!;
      const v = s / piv;
      L[la + r] = v;
      d[a]! -= v * v;
    }
  }
  return { L, rank: r };
}

/**
 * The k eigenpairs of largest |λ| of W = c Z̃ η Z̃ᵀ through the w×w Gram of Z̃ (exact up to rounding): three passes
 * (means, Gram, eigenvectors). G = Z̃ᵀZ̃ = L Lᵀ by pivoted Cholesky (rank r); Z̃ = V Lᵀ with V orthonormal, so
 * W = V (c Lᵀ η L) Vᵀ: the nonzero eigenvalues of W are those of the r×r K = c Lᵀ η L (dense below 400, else
 * Lanczos), ‖W‖²_F = ‖K‖²_F, Z̃ᵀv = L y, and v = W v / λ = c Z̃ η L y / λ (last pass). Memory O(w² + M·k); time
 * O(M·w² + w·r²). Pivots below 1e-14 of the largest diagonal, or below the rounding of centring (`roundingFloor`),
 * end the factorisation (rank deficiency: identical rows, constant columns).
 */
export async function gramEigen(op: FactoredOperator, k: number, options: { onPass?: (passes: number) => void; onRows?: RowHook; seed?: number } = {}): Promise<FactoredEigenResult> {
  const { stream, signs, scale: c } = op;
  const M = stream.rows, w = stream.width;
  const { mean, largest } = await columnMeans(stream);
  options.onPass?.(1);
  const G = new Float64Array(w * w);
  await stream.pass((start, count, Z) => {
    centre(Z, count, mean);
    options.onRows?.(start, count, Z);
    addGram(G, Z, count, w);
  });
  options.onPass?.(2);
  mirror(G, w);
  let top = 0;
  for (let a = 0; a < w; a++) top = Math.max(top, G[a * w + a]!);
  const { L, rank: r } = pivotedCholesky(G, w, Math.max(1e-14 * top, roundingFloor(M, w, largest)));
  const Kmat = new Float64Array(r * r);
  for (let a = 0; a < w; a++) {
    const la = a * w, e = c * signs[a]!;
    for (let i = 0; i < r; i++) {
      const x = e * L[la + i]!;
      if (x === 0) continue;
      for (let j = i; j < r; j++) Kmat[i * r + j]! += x * L[la + j]!;
    }
  }
  for (let i = 0; i < r; i++) for (let j = i + 1; j < r; j++) Kmat[j * r + i] = Kmat[i * r + j]!;
  let f2 = 0;
  for (let i = 0; i < r * r; i++) f2 += Kmat[i]! * Kmat[i]!;
  const kk = Math.min(k, M);
  const values = new Float64Array(kk);
  const projected = new Float64Array(w * kk);
  const R = new Float64Array(w * kk); // v = Z̃ R
  const residuals = new Float64Array(kk); // 0 from the dense solver; Lanczos's largest relative residual above r = 400
  const got = Math.min(kk, r);
  if (got > 0) {
    const eig: EigenPairs & { residual?: number } = r <= 400 ? denseEigen(Kmat, r, got) : lanczos({ size: r, apply: (x, y) => matVec(Kmat, r, x, y) }, got, { tol: 1e-13, seed: options.seed });
    residuals.fill(eig.residual ?? 0, 0, got);
    for (let j = 0; j < got; j++) {
      const theta = eig.values[j]!;
      values[j] = theta;
      for (let a = 0; a < w; a++) {
        let p = 0;
        for (let i = 0; i < r; i++) p += L[a * w + i]! * eig.vectors[i * got + j]!;
        projected[a * kk + j] = p;
        R[a * kk + j] = theta === 0 ? 0 : (c * signs[a]! * p) / theta;
      }
    }
  }
  const vectors = new Float64Array(M * kk);
  await stream.pass((start, count, Z) => {
    centre(Z, count, mean);
    rowsTimes(Z, count, w, R, kk, vectors, start * kk);
  });
  options.onPass?.(3);
  fixSigns(vectors, M, kk, projected, w);
  return { values, vectors, projected, mean, frobenius2: f2, passes: 3, residuals, iterations: 0 };
}

/**
 * The k eigenpairs of largest |λ| of W = c Z̃ η Z̃ᵀ by block subspace iteration with Rayleigh–Ritz, one pass
 * per iteration (see the module's comment), plus one pass for the means and, when ‖W‖²_F cannot come from the
 * w×w Gram, about M/chunk passes over pairs of chunks. Converged when the wanted pairs' residuals
 * ‖W x − θ x‖ ≤ tol · max|θ| (the others' ≤ spectrumTol · max|θ|); the residuals returned are measured, not
 * estimated. Memory O(M·b + w·b) (+ w² with the Gram). Deterministic for a given seed. Throws when it does not
 * converge within `maxPasses`, naming the residuals reached.
 */
export async function subspaceEigen(op: FactoredOperator, k: number, options: SubspaceOptions = {}): Promise<FactoredEigenResult> {
  const { stream, signs, scale: c } = op;
  const M = stream.rows, w = stream.width;
  const kk = Math.min(k, M);
  const wanted = Math.min(options.wanted ?? kk, kk);
  const tol = options.tol ?? 1e-9;
  const spectrumTol = Math.max(tol, options.spectrumTol ?? 1e-5);
  const maxPasses = options.maxPasses ?? 300;
  const b = Math.max(1, Math.min(options.block ?? kk + Math.max(8, Math.ceil(kk / 2)), M, w));
  const byGram = options.frobeniusByGram ?? w <= M;
  const { mean, largest } = await columnMeans(stream);
  const floor = c * roundingFloor(M, w, largest);
  let passes = 1;
  options.onPass?.(passes, Infinity);
  const rand = normal(options.seed ?? 1);
  let cols = b;
  let U = Float64Array.from({ length: w * cols }, () => rand());
  let Q = new Float64Array(M * b); // this pass's block
  let X: Float64Array | null = null; // the previous Ritz vectors, M×cols_prev
  let prev: { theta: Float64Array; cols: number; projected: Float64Array } | null = null;
  let G: Float64Array | null = byGram ? new Float64Array(w * w) : null;
  let f2 = NaN;
  let pairPasses = 0;
  for (;;) {
    const A = new Float64Array(w * cols); // Z̃ᵀQ
    const N = new Float64Array(cols * cols); // QᵀQ
    const res2 = prev ? new Float64Array(prev.cols) : null;
    const norm2 = prev ? new Float64Array(prev.cols) : null; // ‖x‖², 1 unless Rayleigh–Ritz kept a rounding direction
    const pc = prev?.cols ?? 0;
    await stream.pass((start, count, Z) => {
      centre(Z, count, mean);
      if (!prev) options.onRows?.(start, count, Z);
      if (G) addGram(G, Z, count, w);
      rowsTimes(Z, count, w, U, cols, Q, start * cols);
      for (let i = 0; i < count; i++) {
        const qo = (start + i) * cols;
        for (let a = 0; a < w; a++) {
          const z = Z[i * w + a]!;
          if (z === 0) continue;
          const ao = a * cols;
          for (let j = 0; j < cols; j++) A[ao + j]! += z * Q[qo + j]!;
        }
        for (let j = 0; j < cols; j++) {
          const qj = Q[qo + j]!;
          for (let l = j; l < cols; l++) N[j * cols + l]! += qj * Q[qo + l]!;
        }
        if (res2 && X) {
          // the block is W x_j / θ_j for the previous Ritz pairs (same column order)
          for (let j = 0; j < pc; j++) {
            const x = X[(start + i) * pc + j]!;
            const d = Q[qo + j]! - x;
            res2[j]! += d * d;
            norm2![j]! += x * x;
          }
        }
      }
    });
    passes++;
    if (G) {
      mirror(G, w);
      f2 = frobeniusFromGram(G, signs, c);
      G = null;
    }
    mirror(N, cols);
    // the previous Ritz pairs' residuals decide convergence
    if (prev && res2) {
      const top = Math.max(...Array.from(prev.theta, Math.abs));
      const rel = Float64Array.from(res2, (r, j) => (top > 0 ? (Math.abs(prev!.theta[j]!) * Math.sqrt(r)) / top : 0));
      let worst = 0, ok = true;
      for (let j = 0; j < Math.min(kk, pc); j++) {
        const limit = j < wanted ? tol : spectrumTol;
        worst = Math.max(worst, rel[j]! / limit);
        if (!(rel[j]! <= limit) || !(Math.abs(norm2![j]! - 1) <= 1e-8)) ok = false;
      }
      options.onPass?.(passes, worst * tol);
      if (ok || passes >= maxPasses) {
        if (!ok) throw new Error(`subspaceEigen: not converged after ${passes} passes (worst residual ${(worst * tol).toExponential(2)} against tol ${tol}); raise maxPasses or the block`);
        return finish(prev, X!, pc, rel);
      }
    } else options.onPass?.(passes, Infinity);
    // Rayleigh–Ritz: H y = θ N y with H = c Aᵀ η A
    const H = new Float64Array(cols * cols);
    for (let i = 0; i < cols; i++) {
      for (let j = i; j < cols; j++) {
        let s = 0;
        for (let a = 0; a < w; a++) s += A[a * cols + i]! * signs[a]! * A[a * cols + j]!;
        H[i * cols + j] = c * s;
        H[j * cols + i] = c * s;
      }
    }
    const n = denseEigen(N, cols, cols);
    let nTop = 0;
    for (let i = 0; i < cols; i++) nTop = Math.max(nTop, n.values[i]!);
    const basis: number[] = [];
    for (let i = 0; i < cols; i++) if (n.values[i]! > 1e-14 * nTop && nTop > 0) basis.push(i);
    const r = basis.length;
    if (r === 0) {
      // W Q = 0: W is zero (every row the same)
      return zeroResult();
    }
    // B = V Λ^−½ (cols×r); H' = Bᵀ H B
    const B = new Float64Array(cols * r);
    basis.forEach((col, j) => {
      const s = 1 / Math.sqrt(n.values[col]!);
      for (let i = 0; i < cols; i++) B[i * r + j] = n.vectors[i * cols + col]! * s;
    });
    const HB = new Float64Array(cols * r);
    for (let i = 0; i < cols; i++) for (let j = 0; j < r; j++) {
      let s = 0;
      for (let l = 0; l < cols; l++) s += H[i * cols + l]! * B[l * r + j]!;
      HB[i * r + j] = s;
    }
    const Hp = new Float64Array(r * r);
    for (let i = 0; i < r; i++) for (let j = i; j < r; j++) {
      let s = 0;
      for (let l = 0; l < cols; l++) s += B[l * r + i]! * HB[l * r + j]!;
      Hp[i * r + j] = s;
      Hp[j * r + i] = s;
    }
    const ritz = denseEigen(Hp, r, r);
    // Ritz vectors X = Q Y with Y = B ritz.vectors (cols×r); keep the nonzero θ
    const keep = byMagnitude(ritz.values).filter((j) => Math.abs(ritz.values[j]!) > Math.max(floor, 1e-14 * Math.abs(ritz.values[0]!)));
    const nc = keep.length;
    if (nc === 0) return zeroResult();
    const Y = new Float64Array(cols * nc);
    const theta = new Float64Array(nc);
    keep.forEach((jj, j) => {
      theta[j] = ritz.values[jj]!;
      for (let i = 0; i < cols; i++) {
        let s = 0;
        for (let l = 0; l < r; l++) s += B[i * r + l]! * ritz.vectors[l * r + jj]!;
        Y[i * nc + j] = s;
      }
    });
    const Xn = new Float64Array(M * nc);
    for (let i = 0; i < M; i++) {
      for (let l = 0; l < cols; l++) {
        const q = Q[i * cols + l]!;
        if (q === 0) continue;
        for (let j = 0; j < nc; j++) Xn[i * nc + j]! += q * Y[l * nc + j]!;
      }
    }
    // Z̃ᵀX = A Y; next U = c η (A Y) diag(1/θ), so that the next block is W X diag(1/θ)
    const projected = new Float64Array(w * nc);
    const Un = new Float64Array(w * nc);
    for (let a = 0; a < w; a++) for (let j = 0; j < nc; j++) {
      let s = 0;
      for (let l = 0; l < cols; l++) s += A[a * cols + l]! * Y[l * nc + j]!;
      projected[a * nc + j] = s;
      Un[a * nc + j] = (c * signs[a]! * s) / theta[j]!;
    }
    X = Xn;
    prev = { theta, cols: nc, projected };
    U = Un;
    if (nc !== cols) Q = new Float64Array(M * nc);
    cols = nc;
  }

  function zeroResult(): FactoredEigenResult {
    return { values: new Float64Array(kk), vectors: new Float64Array(M * kk), projected: new Float64Array(w * kk), mean, frobenius2: 0, passes, residuals: new Float64Array(kk), iterations: passes - 1 };
  }

  async function finish(p: { theta: Float64Array; cols: number; projected: Float64Array }, Xs: Float64Array, pc: number, rel: Float64Array): Promise<FactoredEigenResult> {
    const got = Math.min(kk, pc);
    const values = new Float64Array(kk);
    const vectors = new Float64Array(M * kk);
    const projected = new Float64Array(w * kk);
    const residuals = new Float64Array(kk);
    for (let j = 0; j < got; j++) {
      values[j] = p.theta[j]!;
      residuals[j] = rel[j]!;
      for (let i = 0; i < M; i++) vectors[i * kk + j] = Xs[i * pc + j]!;
      for (let a = 0; a < w; a++) projected[a * kk + j] = p.projected[a * pc + j]!;
    }
    fixSigns(vectors, M, kk, projected, w);
    const iterations = passes - 2;
    if (Number.isNaN(f2)) {
      f2 = await frobeniusByPairs(op, mean);
      passes += pairPasses;
    }
    return { values, vectors, projected, mean, frobenius2: f2, passes, residuals, iterations };
  }
  async function frobeniusByPairs(o: FactoredOperator, mu: Float64Array): Promise<number> {
    let s = 0;
    // one outer pass; for each chunk, an inner pass over it and the chunks after it
    let p = 1;
    await o.stream.pass(async (start, count, Z) => {
      const Za = Z.slice(0, count * w);
      centre(Za, count, mu);
      for (let i = 0; i < count; i++) for (let a = 0; a < w; a++) Za[i * w + a]! *= o.signs[a]!;
      p++;
      await o.stream.pass((s2, c2, Zb) => {
        centre(Zb, c2, mu);
        for (let i = 0; i < count; i++) {
          for (let j = 0; j < c2; j++) {
            if (s2 + j < start + i) continue;
            let d = 0;
            for (let a = 0; a < w; a++) d += Za[i * w + a]! * Zb[j * w + a]!;
            s += (s2 + j === start + i ? 1 : 2) * d * d;
          }
        }
      }, start);
    });
    pairPasses = p;
    return o.scale * o.scale * s;
  }
}
