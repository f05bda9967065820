/**
 * The sampling error of distances measured on a subset of the samples (docs/methods.md §13): the standard error of
 * one d_B, and its summary over landmark pairs that a landmark embedding on `samples` reports.
 */
import type { PredictionSet } from "../../core/prediction-set.js";
import { TERM_CAP } from "../../core/rows.js";
import { uniform } from "../../linalg/random.js";

import type { SamplingError } from "../../core/embedding.js";

export type { SamplingError } from "../../core/embedding.js";

/**
 * Standard error (nats) of d_B(i, j) measured on the n samples of `set` as an estimate of d_B on all `population`
 * samples they were drawn from without replacement: sd/√n of the per-sample terms −log clamp(BC_n), times the
 * finite-population factor √((N − n)/(N − 1)) (1 when N is n or unknown). The class-stratified subsets of
 * `sampleSubset` spread at this value on our test set (400 subsets of 100 of 400 samples: ratio 1.00–1.04).
 */
export function distanceStandardError(set: PredictionSet, i: number, j: number, population = set.samples): {
  /** The standard error of d_B (nats per sample). */
  se: number;
  /** d_B itself (nats per sample). */
  distance: number;
} {
  const { samples: S, classes: C, probs } = set;
  const u = new Float64Array(C), v = new Float64Array(C);
  const sq = (m: number, n: number, out: Float64Array) => {
    let sum = 0;
    for (let c = 0; c < C; c++) sum += probs[(m * S + n) * C + c]!;
    for (let c = 0; c < C; c++) out[c] = Math.sqrt(probs[(m * S + n) * C + c]! / sum);
  };
  let s1 = 0, s2 = 0;
  for (let n = 0; n < S; n++) {
    sq(i, n, u);
    sq(j, n, v);
    let bc = 0;
    for (let c = 0; c < C; c++) bc += u[c]! * v[c]!;
    const term = Math.min(TERM_CAP, -Math.log(Math.min(1, Math.max(bc, Math.exp(-TERM_CAP)))));
    s1 += term;
    s2 += term * term;
  }
  const mean = s1 / S;
  const sd = Math.sqrt(Math.max(0, s2 / S - mean * mean) * (S / Math.max(1, S - 1)));
  const fpc = population > S ? Math.sqrt((population - S) / (population - 1)) : 1;
  return { se: (sd / Math.sqrt(S)) * fpc, distance: mean };
}

/**
 * Standard error of d_B from the sample subset, over 200 seeded pairs of the landmarks `set`
 * (`distanceStandardError`, with the finite-population factor for a subset of `population` samples).
 */
export function samplingError(set: PredictionSet, seed: number, population: number): SamplingError {
  const L = set.models;
  const random = uniform(seed + 17);
  const se: number[] = [];
  const rel: number[] = [];
  const pairs = Math.min(200, (L * (L - 1)) / 2);
  for (let t = 0; t < pairs; t++) {
    const i = Math.floor(random() * L);
    let j = Math.floor(random() * (L - 1));
    if (j >= i) j++;
    const e = distanceStandardError(set, i, j, population);
    se.push(e.se);
    if (e.distance > 0) rel.push(e.se / e.distance);
  }
  const q = (a: number[], p: number) => {
    const s = a.slice().sort((x, y) => x - y);
    return s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))]! : 0;
  };
  return { median: q(se, 0.5), p90: q(se, 0.9), relative: q(rel, 0.5), pairs };
}
