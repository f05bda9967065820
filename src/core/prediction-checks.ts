/**
 * The checks of prediction arrays: their shape, their values (finite, non-negative, rows summing to 1, naming the
 * model-point, sample and class of the first bad one), and that two sets are on the same samples.
 */
import { InpcaInputError } from "./errors.js";
import { fix } from "./fixes.js";
import { integer, validateEach } from "./options.js";
import { firstBadRow } from "./rows.js";
import { describePoint, type ModelPoint } from "./meta.js";

/** What fixes the samples a set's predictions are on (a PredictionSet has all of it). */
export interface SampleSpace {
  /** S, the evaluation samples. */
  readonly samples: number;
  /** C, the classes. */
  readonly classes: number;
  /** The split the samples come from ("train", "test"), when known. */
  readonly split?: string;
  /** The samples' dataset indices (length S), when known. */
  readonly sampleIds?: Int32Array | null;
  /** The samples' labels in [0, C) (length S), when known. */
  readonly labels?: Int32Array | null;
}

/**
 * Throws InpcaInputError unless `b` is on the same samples as `a`: same sample count, classes, split, sample ids
 * and labels (where both sides know them). Distances between sets on different samples mean nothing.
 */
export function assertSameSamples(a: SampleSpace, b: SampleSpace, context = "these prediction sets"): void {
  const fail = (why: string) => {
    throw new InpcaInputError(`${context} are not on the same samples: ${why}`);
  };
  if (a.samples !== b.samples) fail(`${a.samples} samples vs ${b.samples}`);
  if (a.classes !== b.classes) fail(`${a.classes} classes vs ${b.classes}`);
  if (a.split && b.split && a.split !== b.split) fail(`split "${a.split}" vs "${b.split}"`);
  if (a.sampleIds && b.sampleIds) {
    for (let n = 0; n < a.samples; n++) if (a.sampleIds[n] !== b.sampleIds[n]) fail(`sample ${n} is dataset item ${a.sampleIds[n]} in one and ${b.sampleIds[n]} in the other`);
  }
  if (a.labels && b.labels) {
    for (let n = 0; n < a.samples; n++) if (a.labels[n] !== b.labels[n]) fail(`sample ${n} has label ${a.labels[n]} in one and ${b.labels[n]} in the other`);
  }
}

/** `shape` as [M, S, C] when it is three non-negative integers that `data` fills; `source` names the array in errors. */
export function checkShape(data: ArrayLike<number>, shape: readonly [number, number, number], source?: string): [number, number, number] {
  const [M, S, C] = shape;
  const where = source ? `${source}: ` : "";
  validateEach(shape, integer(0), "shape [models, samples, classes]", { source });
  if (data.length !== M * S * C) throw new InpcaInputError(`${where}${data.length} values do not fit the shape [${M} models × ${S} samples × ${C} classes] (${M * S * C} values)`);
  return [M, S, C];
}

/** The error for value `v` at flat row `row` (model-point row / S, sample row % S), class `c`. */
export function badValue(where: string, meta: readonly ModelPoint[] | undefined, row: number, S: number, c: number, v: number): InpcaInputError {
  const what = Number.isNaN(v) ? "NaN" : !Number.isFinite(v) ? String(v) : `negative probability ${v}`;
  return new InpcaInputError(`${where}${describePoint(meta, Math.floor(row / S))}, sample ${row % S}, class ${c}: ${what}`);
}

/** Throws InpcaInputError at the first row of `probs` (M·S rows of C) with a bad value or a sum off 1 by more than `tol`. */
export function validateProbabilities(probs: Float32Array, M: number, S: number, C: number, meta: readonly ModelPoint[] | undefined, tol: number, where: string): void {
  const bad = firstBadRow(probs, 0, M * S, C, tol);
  if (!bad) return;
  if (bad.sum === undefined) throw badValue(where, meta, bad.row, S, bad.cls!, bad.value!);
  throw new InpcaInputError(
    `${where}${describePoint(meta, Math.floor(bad.row / S))}, sample ${bad.row % S}: probabilities sum to ${bad.sum.toPrecision(6)}, not 1 (tolerance ${tol}; pass ${fix("renormalize")} to divide by the sum, or ${fix("kind")} if these are logits)`,
  );
}
