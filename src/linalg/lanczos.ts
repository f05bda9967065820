/**
 * The eigenpairs of largest |λ| of a symmetric operator, both ends of the spectrum at once (InPCA needs the
 * negative, time-like eigenvalues as much as the positive ones, docs/methods.md §3).
 *
 * Thick-restart Lanczos (Wu & Simon 2000) with full reorthogonalisation (classical Gram–Schmidt, twice):
 * build a Krylov basis of `m` vectors, take the Ritz pairs of the projected matrix, and when the wanted ones
 * have not converged restart from the best Ritz vectors plus the last residual direction. Deterministic: the
 * start vector comes from a seeded generator.
 */
import { denseEigen, normaliseSigns, type EigenPairs } from "./dense.js";
import { normal } from "./random.js";

/** A symmetric linear operator of size n: `apply(x, y)` writes y = A x. */
export interface SymmetricOperator {
  /** n, the length of x and y. */
  size: number;
  /** Writes y = A x (both length n; y is overwritten). */
  apply(x: Float64Array, y: Float64Array): void;
}

/** Options of `lanczos` (docs/methods.md §3): basis size, tolerance, restarts, seed and stopping. */
export interface LanczosOptions {
  /** Krylov basis size (default max(2k + 20, 40), at most n). */
  basis?: number;
  /** Converged when ‖A x - θ x‖ ≤ tol · max|θ| for every wanted pair (default 1e-10). */
  tol?: number;
  /** Maximum number of restarts (default 200). */
  maxRestarts?: number;
  /** Seed of the start vector (default 1). */
  seed?: number;
  /** Called at each restart with the number of converged wanted pairs. */
  onRestart?: (restart: number, converged: number) => void;
  /** Stops the iteration (throws the signal's reason through the caller). */
  shouldStop?: () => boolean;
}

/** Result of `lanczos`: eigenpairs by |λ| plus how the iteration went. */
export interface LanczosResult extends EigenPairs {
  /** Operator applications used. */
  matvecs: number;
  /** Restarts used. */
  restarts: number;
  /** Largest relative residual ‖A x - θ x‖ / max|θ| of the returned pairs. */
  residual: number;
}

/**
 * The `k` eigenpairs of largest |λ| of a symmetric operator (both ends of the spectrum), by thick-restart
 * Lanczos. Values are signed and sorted by |λ| descending; vectors are n×k row-major, unit length.
 */
export function lanczos(op: SymmetricOperator, k: number, options: LanczosOptions = {}): LanczosResult {
  const n = op.size;
  k = Math.min(k, n);
  const m = Math.min(n, Math.max(options.basis ?? Math.max(2 * k + 20, 40), k + 2));
  const tol = options.tol ?? 1e-10;
  const maxRestarts = options.maxRestarts ?? 200;
  const rand = normal(options.seed ?? 1);
  const V = new Float64Array((m + 1) * n); // basis vectors as rows
  const T = new Float64Array(m * m); // projected matrix Vᵀ A V (symmetric)
  const w = new Float64Array(n);
  const h = new Float64Array(m + 1);
  let matvecs = 0;
  // how often to test for early convergence (each test solves the projected problem, O(j³))
  const checkEvery = Math.max(5, Math.ceil(m / 10));

  const vec = (r: number) => V.subarray(r * n, (r + 1) * n);
  // Orthogonalise w against rows 0..count-1 of V twice; the projections go to h (accumulated).
  const orthogonalise = (count: number, acc: Float64Array | null) => {
    for (let pass = 0; pass < 2; pass++) {
      for (let r = 0; r < count; r++) {
        const v = vec(r);
        let d = 0;
        for (let i = 0; i < n; i++) d += v[i]! * w[i]!;
        if (acc) acc[r]! += d;
        for (let i = 0; i < n; i++) w[i]! -= d * v[i]!;
      }
    }
  };
  const norm = (x: Float64Array) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += x[i]! * x[i]!;
    return Math.sqrt(s);
  };
  // A fresh random direction orthogonal to rows 0..count-1, written to row `count`. False if none exists.
  const freshVector = (count: number): boolean => {
    for (let attempt = 0; attempt < 5; attempt++) {
      for (let i = 0; i < n; i++) w[i] = rand();
      orthogonalise(count, null);
      const b = norm(w);
      if (b > 1e-8) {
        const v = vec(count);
        for (let i = 0; i < n; i++) v[i] = w[i]! / b;
        return true;
      }
    }
    return false;
  };

  freshVector(0);
  let start = 0; // basis vectors 0..start-1 are kept Ritz vectors (after a restart)
  let scale = 0; // max |θ| seen, for the relative tolerance
  for (let restart = 0; ; restart++) {
    let size = m;
    let beta = 0;
    for (let j = start; j < m; j++) {
      if (options.shouldStop?.()) throw new Error("stopped");
      op.apply(vec(j), w);
      matvecs++;
      h.fill(0);
      orthogonalise(j + 1, h);
      for (let r = 0; r <= j; r++) {
        T[r * m + j] = h[r]!;
        T[j * m + r] = h[r]!;
      }
      beta = norm(w);
      // Early exit: every few steps, stop as soon as the wanted Ritz pairs have converged.
      if (j + 1 < m && j + 1 >= k + 4 && (j + 1 - start) % checkEvery === 0 && ritzConverged(T, m, j + 1, k, beta, tol, scale)) {
        size = j + 1;
        break;
      }
      if (beta > 1e-12 * Math.max(Math.abs(h[j]!), scale, Number.MIN_VALUE)) {
        const v = vec(j + 1);
        for (let i = 0; i < n; i++) v[i] = w[i]! / beta;
      } else {
        // invariant subspace found: continue with a new direction (no coupling)
        beta = 0;
        if (j + 1 >= n || !freshVector(j + 1)) {
          size = j + 1;
          break;
        }
      }
    }
    // Ritz pairs of the projected matrix
    const Tm = size === m ? T : compact(T, m, size);
    const ritz = denseEigen(Tm, size, size);
    for (let r = 0; r < size; r++) scale = Math.max(scale, Math.abs(ritz.values[r]!));
    const lastRow = size - 1;
    let converged = 0;
    let worst = 0;
    for (let r = 0; r < k; r++) {
      const res = Math.abs(beta * ritz.vectors[lastRow * size + r]!) / Math.max(scale, Number.MIN_VALUE);
      worst = Math.max(worst, res);
      if (res <= tol) converged++;
    }
    options.onRestart?.(restart, converged);
    if (converged === k || size < m || restart >= maxRestarts || m === n) {
      const vectors = combine(V, n, ritz.vectors, size, k);
      normaliseSigns(vectors, n, k);
      return { size: n, count: k, values: ritz.values.slice(0, k), vectors, matvecs, restarts: restart, residual: scale === 0 ? 0 : worst };
    }
    // Thick restart: keep the p best Ritz vectors and the residual direction v_m.
    const p = Math.min(m - 1, Math.max(k + 1, Math.floor((k + m) / 2)));
    const kept = combine(V, n, ritz.vectors, size, p); // n×p row-major
    for (let r = 0; r < p; r++) {
      const v = vec(r);
      for (let i = 0; i < n; i++) v[i] = kept[i * p + r]!;
    }
    V.copyWithin(p * n, m * n, (m + 1) * n);
    T.fill(0);
    for (let r = 0; r < p; r++) {
      T[r * m + r] = ritz.values[r]!;
      const c = beta * ritz.vectors[lastRow * size + r]!;
      T[r * m + p] = c;
      T[p * m + r] = c;
    }
    start = p;
  }
}

/** Whether the k Ritz pairs of largest |θ| of the leading size×size block of T have converged. */
function ritzConverged(T: Float64Array, m: number, size: number, k: number, beta: number, tol: number, scale: number): boolean {
  const ritz = denseEigen(compact(T, m, size), size, size);
  let top = scale;
  for (let r = 0; r < size; r++) top = Math.max(top, Math.abs(ritz.values[r]!));
  for (let r = 0; r < k; r++) {
    if (Math.abs(beta * ritz.vectors[(size - 1) * size + r]!) > tol * Math.max(top, Number.MIN_VALUE)) return false;
  }
  return true;
}

/** The leading size×size block of an m×m row-major matrix. */
function compact(T: Float64Array, m: number, size: number): Float64Array {
  const out = new Float64Array(size * size);
  for (let r = 0; r < size; r++) out.set(T.subarray(r * m, r * m + size), r * size);
  return out;
}

/** X = Vᵀ Y[:, 0..p): combinations of the first `size` basis rows of V with the columns of Y (size×size). */
function combine(V: Float64Array, n: number, Y: Float64Array, size: number, p: number): Float64Array {
  const X = new Float64Array(n * p);
  for (let r = 0; r < size; r++) {
    const v = V.subarray(r * n, (r + 1) * n);
    for (let c = 0; c < p; c++) {
      const y = Y[r * size + c]!;
      if (y === 0) continue;
      for (let i = 0; i < n; i++) X[i * p + c]! += y * v[i]!;
    }
  }
  return X;
}
