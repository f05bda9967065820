/**
 * Rules about rows of C class probabilities, written once: when a stored row counts as valid, how it is
 * normalised before a square root, and how arg-max error and cross-entropy are read from it. Every loader, writer
 * and distance uses these, so the same row is judged the same way everywhere.
 */

/** Largest per-sample Bhattacharyya term, in nats (BC ≥ e^-100; docs/methods.md §2); the WebAssembly kernel's LO is e^-TERM_CAP. */
export const TERM_CAP = 100;

/** Tolerance on the row sums of probabilities given at full precision (float32/float64). */
export const FULL_PRECISION_TOLERANCE = 1e-3;

/**
 * The tolerance on a row's sum for stored probabilities: 1e-3, or for float16 storage C·2⁻¹⁰ when larger (each of
 * C half-precision values, often also rounded to three decimals as the authors store them, is off by up to
 * ~2⁻¹¹ relative plus 5e-4).
 */
export function sumTolerance(classes: number, float16: boolean): number {
  return float16 ? Math.max(FULL_PRECISION_TOLERANCE, classes * 2 ** -10) : FULL_PRECISION_TOLERANCE;
}

/** What is wrong with a row: a value that is not a finite non-negative number (`cls`, `value`), or its `sum`. */
export interface BadRow {
  /** Row index, counted from `from`. */
  row: number;
  cls?: number;
  value?: number;
  sum?: number;
}

/**
 * The first of `rows` rows of C values starting at `from` that is not a probability row: a value that is not
 * finite and non-negative, or a sum off 1 by more than `tol`. Null when every row is one.
 */
export function firstBadRow(values: ArrayLike<number>, from: number, rows: number, C: number, tol: number): BadRow | null {
  for (let r = 0; r < rows; r++) {
    const o = from + r * C;
    let sum = 0;
    for (let c = 0; c < C; c++) {
      const v = +values[o + c]!;
      if (!(v >= 0 && v < Infinity)) return { row: r, cls: c, value: v };
      sum += v;
    }
    if (Math.abs(sum - 1) > tol) return { row: r, sum };
  }
  return null;
}

/**
 * Writes sqrt(p_c / Σ p) of the row of C probabilities at `p[po..]` to `out[oo + c·stride]` (float64): a unit
 * vector on the square-root sphere. Dividing by the sum first matters: stored rows sum to 1 only within
 * float16/float32 rounding, which would otherwise put a floor under every distance (identical models would differ).
 */
export function sqrtNormalizedRow(p: ArrayLike<number>, po: number, C: number, out: Float64Array | Float32Array, oo: number, stride = 1): void {
  let sum = 0;
  for (let c = 0; c < C; c++) sum += p[po + c]!;
  const inv = sum > 0 ? 1 / sum : 0;
  for (let c = 0; c < C; c++) out[oo + c * stride] = Math.sqrt(p[po + c]! * inv);
}

/**
 * Arg-max error (share of samples whose largest probability is not the label; ties go to the lower class) and
 * mean cross-entropy −ln p(label) in nats (p floored at 1e-45) of S rows starting at `probs[offset]`.
 */
export function errorAndLoss(probs: ArrayLike<number>, offset: number, labels: ArrayLike<number>, S: number, C: number): { error: number; loss: number } {
  let wrong = 0;
  let loss = 0;
  for (let n = 0; n < S; n++) {
    const o = offset + n * C;
    let best = 0;
    for (let c = 1; c < C; c++) if (probs[o + c]! > probs[o + best]!) best = c;
    if (best !== labels[n]) wrong++;
    loss -= Math.log(Math.max(probs[o + labels[n]!]!, 1e-45));
  }
  return { error: wrong / S, loss: loss / S };
}
