/**
 * Paired Bhattacharyya distances (docs/methods.md §8): each model-point against its partner at the same position of
 * another set, or against the next point of the same trajectory, computed like `bhattacharyya` does (rows divided
 * by their sums, float64, each per-sample term kept in [0, 100]). Nats per sample.
 */
import { InpcaInputError } from "../../core/errors.js";
import { assertSameSamples, type PredictionSet } from "../../core/prediction-set.js";
import { TERM_CAP } from "../../core/rows.js";

/**
 * d_B(a_m, b_m) for m = 0..M-1: the distance of each model-point of `a` to the model-point of `b` at the same
 * position (not the full matrix). Float64Array of length M, nats per sample. Same samples required.
 */
export function pairedBhattacharyya(a: PredictionSet, b: PredictionSet): Float64Array {
  assertSameSamples(a, b, "pairedBhattacharyya: the two sets");
  if (a.models !== b.models) throw new InpcaInputError(`pairedBhattacharyya: ${a.models} model-points against ${b.models}; pairs need the same number`);
  const W = a.samples * a.classes;
  return Float64Array.from({ length: a.models }, (_, m) => rowBhattacharyya(a.probs, m * W, b.probs, m * W, a.samples, a.classes));
}

/** d_B between the S·C probabilities of `p` at offset `po` and of `q` at `qo` (rows normalised, terms in [0, 100]). */
function rowBhattacharyya(p: Float32Array, po: number, q: Float32Array, qo: number, S: number, C: number): number {
  let total = 0;
  for (let n = 0; n < S; n++) {
    const a = po + n * C;
    const b = qo + n * C;
    let sp = 0, sq = 0, bc = 0;
    for (let c = 0; c < C; c++) {
      sp += p[a + c]!;
      sq += q[b + c]!;
      bc += Math.sqrt(p[a + c]! * q[b + c]!);
    }
    const term = -Math.log(bc / Math.sqrt(sp * sq));
    total += term > TERM_CAP || Number.isNaN(term) ? TERM_CAP : term > 0 ? term : 0;
  }
  return total / S;
}

/** d_B between consecutive points of a set: length M-1. */
export function consecutive(set: PredictionSet): Float64Array {
  const W = set.samples * set.classes;
  return Float64Array.from({ length: Math.max(0, set.models - 1) }, (_, t) => rowBhattacharyya(set.probs, t * W, set.probs, (t + 1) * W, set.samples, set.classes));
}
