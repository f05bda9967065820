/** Guessing how prediction numbers are encoded, for the loaders (a stricter wrapper of core's detectKind). */
import { InpcaInputError } from "../../core/errors.js";
import { fix } from "../../core/fixes.js";
import { detectKind, type PredictionKind } from "../../core/prediction-set.js";

/**
 * `detectKind` on `data` (rows of `classes` values), refusing the one ambiguous case: every value in [0, 1],
 * every row summing to more than 0 and less than 2, and some row not summing to 1 (within 1e-2). Those are far
 * more often mis-normalised probabilities than logits (all-zero logits, as from a zero-initialised last layer,
 * stay logits), so the caller must say which: `kind`, or `renormalize: true` (then they are taken as
 * probabilities to renormalise).
 * `source` names the file in the error.
 */
export function guessPredictionKind(data: ArrayLike<number>, classes: number, source: string, renormalize = false): PredictionKind {
  const kind = detectKind(data, classes);
  if (kind !== "logits") return kind;
  const rows = Math.floor(data.length / classes);
  corruptedProbabilities(data, classes, rows, source, renormalize);
  let worst = -1;
  let worstSum = 1;
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let c = 0; c < classes; c++) {
      const v = +data[r * classes + c]!;
      if (!(v >= 0 && v <= 1)) return kind;
      sum += v;
    }
    if (!(sum > 0 && sum < 2)) return kind;
    if (worst < 0 && Math.abs(sum - 1) > 1e-2) {
      worst = r;
      worstSum = sum;
    }
  }
  if (renormalize) return "probabilities";
  throw new InpcaInputError(
    `cannot tell whether these are probabilities or logits: every value is in [0, 1] but row ${worst} sums to ${worstSum.toPrecision(6)}; ` +
      `pass ${fix("kind")}, with ${fix("renormalize")} to divide rows of probabilities by their sums`,
    { file: source },
  );
}

/**
 * Throws when most rows are valid probability rows (entries in [0, 1], summing to 1 within 1e-2) but some are
 * not: that is a corrupted file of probabilities (a negative entry, a row summing to 0.8), which re-reading as
 * logits would silently turn into wrong data. Logits almost never form valid probability rows by chance.
 */
function corruptedProbabilities(data: ArrayLike<number>, classes: number, rows: number, source: string, renormalize: boolean): void {
  let valid = 0;
  let entries = false; // some entry outside [0, 1] (not only rows that renormalize: true would fix)
  let bad = -1;
  let why = "";
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    let problem = "";
    for (let c = 0; c < classes; c++) {
      const v = +data[r * classes + c]!;
      if (!(v >= 0 && v <= 1) && !problem) {
        problem = v < 0 ? `class ${c} is negative (${v})` : `class ${c} is ${v}, above 1`;
        entries = true;
      }
      sum += v;
    }
    if (!problem && Math.abs(sum - 1) > 1e-2) problem = `sums to ${sum.toPrecision(6)}`;
    if (!problem) valid++;
    else if (bad < 0) {
      bad = r;
      why = problem;
    }
  }
  if (bad >= 0 && valid >= rows / 2 && (entries || !renormalize)) {
    throw new InpcaInputError(
      `corrupted probabilities: ${valid} of ${rows} rows are probability rows, but row ${bad} (sample ${bad}) ${why}; ` +
        `fix the file, or pass ${fix("kind")} if these really are logits${entries ? "" : ` (or ${fix("renormalize")} to divide rows by their sums)`}`,
      { file: source },
    );
  }
}
