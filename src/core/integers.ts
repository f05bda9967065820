/**
 * Values that index things (labels, sample indices, shape dimensions) are read as integers only when they are
 * integers: NaN, 1.9, −0.5, 2³²+1, "a", null or true are refused with the place named, never coerced.
 */
import { InpcaInputError } from "./errors.js";

/** Range and naming of {@link checkedIntegers}. */
export interface IntegerCheck {
  /** Smallest allowed value (default −2³¹). */
  min?: number;
  /** Largest allowed value (default 2³¹ − 1). */
  max?: number;
  /** The file the values came from, for the error. */
  file?: string;
}

/**
 * The values as an Int32Array, after checking that each is a number that is an integer in [min, max].
 * `what(i)` names value i in the error ("label of sample 3"). Throws InpcaInputError otherwise.
 */
export function checkedIntegers(values: ArrayLike<unknown>, what: (i: number) => string, check: IntegerCheck = {}): Int32Array {
  const min = check.min ?? -2147483648;
  const max = check.max ?? 2147483647;
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
      const shown = typeof v === "number" ? String(v) : v === null ? "null" : typeof v === "string" ? JSON.stringify(v) : typeof v === "boolean" ? String(v) : typeof v;
      const range = typeof v === "number" && Number.isInteger(v) ? `, outside [${min}, ${max}]` : ", not an integer";
      throw new InpcaInputError(`${what(i)} is ${shown}${range}`, check.file ? { file: check.file } : {});
    }
    out[i] = v;
  }
  return out;
}
