/**
 * The "pivoted" selection of landmark InPCA, the default (docs/methods.md §13): randomly pivoted Cholesky
 * (`pivotedPick`) over every model-point when their predictions fit half the budget, else over a pool made of the
 * points a small probe reaches worst and points spread over runs and progress.
 */
import { streamChunks } from "../../core/chunks.js";
import { InpcaAbortError, InpcaInputError } from "../../core/errors.js";
import { PredictionSet } from "../../core/prediction-set.js";
import { reporter } from "../../core/progress.js";
import { sharedFloats } from "../../core/source.js";
import { denseEigen, doubleCenter } from "../../linalg/dense.js";
import { bhattacharyya } from "../distances.js";
import { ignorance, truth } from "../geodesic.js";
import { pivotedPick } from "../pivoted.js";
import { progressOf } from "./progress.js";
import { randomPick } from "./select-random.js";
import { spreadPick } from "./select-spread.js";
import type { SelectionContext } from "./selection-context.js";

/**
 * "pivoted": `pivotedPick` over every model-point when their predictions fit half of the context's budget, else over
 * a pool of as many as fit, spread over runs and progress (`spreadPick`). Returns L source rows; null when not even
 * L model-points fit and the selection was not asked for (`explicit` false: the caller falls back to "spread"),
 * InpcaInputError when it was.
 */
export async function pivotedLandmarks(context: SelectionContext, explicit: boolean): Promise<number[] | null> {
  const { src, count: L, seed, samples, budget } = context;
  const S = samples ? samples.length : src.samples;
  const M = src.models;
  const fits = Math.floor(budget / 2 / (S * src.classes * 4 + 8 * L + 64));
  if (fits < L && !explicit) return null;
  if (fits < L) throw new InpcaInputError(`landmarkInpca: the pivoted selection needs the predictions of at least ${L} model-points in half the memory budget (${(budget / 2 ** 21).toFixed(0)} MiB holds ${fits}); raise \`memory\`, or lower \`landmarks\` or \`samples\`, or use select: "spread"`);
  if (fits >= M) return pivotPool(context, Array.from({ length: M }, (_, i) => i), L, seed);
  // The pool is a part of the source, and the points that carry an axis may lie outside any part chosen blind. A
  // probe of (up to) 100 pivots of a small pool spread over the runs; one pass over every point measures its
  // residual against the probe (and its progress); the pool is made of the points the probe reaches worst (half)
  // and points spread over runs and progress (half), and pivoted once. On data/zoo with a 64 MiB budget a spread
  // pool alone gave 7.3 % in 3-D.
  const probeSize = Math.min(100, L);
  const probePool = spreadPick(src.meta, Math.min(fits, M, 4 * probeSize), null).sort((a, b) => a - b);
  const probe = (await pivotPool(context, probePool, probeSize, seed + 7)).map((i) => probePool[i]!).sort((a, b) => a - b);
  const { residual, progress } = await poolResiduals(context, probe);
  const worst = Array.from({ length: M }, (_, i) => i).sort((a, b) => Math.abs(residual[b]!) - Math.abs(residual[a]!) || a - b).slice(0, fits >> 1);
  const chosen = new Set(worst);
  for (const i of spreadPick(src.meta, fits, progress)) if (chosen.size < fits) chosen.add(i);
  const pool = [...chosen].sort((a, b) => a - b);
  const picked = await pivotPool(context, pool, L, seed);
  return picked.map((i) => pool[i]!);
}

/**
 * `pivotedPick` of L pivots (seeded by `seed`) over the source rows `pool` (read whole): their indices in `pool`,
 * filled up to L in a seeded order when the pool is spanned early.
 */
async function pivotPool(context: SelectionContext, pool: number[], L: number, seed: number): Promise<number[]> {
  const { src, samples, distance, progress: options } = context;
  // read into shared memory, so that the distance workers use the pool without a copy
  const set = await src.read(pool, samples, sharedFloats(pool.length * (samples ? samples.length : src.samples) * src.classes));
  const bar = reporter("landmarks: pivoted", L, options);
  const picked = await pivotedPick(set, L, { seed, distance, progress: (n) => bar.update(n) });
  bar.done();
  // fewer than L distinct points span the pool (identical model-points): the rest in a seeded order
  if (picked.length < L) {
    const have = new Set(picked);
    for (const i of randomPick(set.models, set.models, seed + 3)) if (picked.length < L && !have.has(i)) picked.push(i);
  }
  return picked;
}

/**
 * Every model-point's residual against the landmarks `probe` (source rows): B(u,u) − Σ_k sign(λ_k) x_uk² over all
 * the probe's axes (landmark-centred Gram, eigenvalues below 1e-10 of the largest dropped), the signed squared
 * distance of u from the probe's affine span (nats per sample); and, with labels, its progress as `progressProxy`
 * measures it (null without). Both of length M. One streaming pass (probe + 2 distances a point).
 */
async function poolResiduals(context: SelectionContext, probe: number[]): Promise<{ residual: Float64Array; progress: Float64Array | null }> {
  const { src, samples, chunk, distance, progress: options } = context;
  const marks = await src.read(probe, samples);
  const n = probe.length;
  const DLL = (await bhattacharyya(marks, distance)).data;
  const { W, columnMeans: m, grandMean: g } = doubleCenter(DLL, n);
  const e = denseEigen(W, n);
  const floor = 1e-10 * Math.max(...Array.from(e.values, Math.abs));
  const axes = Array.from({ length: n }, (_, k) => k).filter((k) => Math.abs(e.values[k]!) > floor);
  // the probe and, with labels, ignorance and truth as columns of one distance call
  const columns = src.labels ? PredictionSet.concat([marks, ignorance(marks), truth(marks)]) : marks;
  const width = columns.models;
  const residual = new Float64Array(src.models);
  const progress = src.labels ? new Float64Array(src.models) : null;
  const w = new Float64Array(n);
  const bar = reporter("landmarks: residuals", src.models, options);
  await streamChunks(src, 0, src.models, chunk, samples, () => null, async (rows, start, end) => {
    if (options.signal?.aborted) throw new InpcaAbortError("landmarkInpca");
    const d = (await bhattacharyya(rows, columns, distance)).data;
    for (let a = 0; a < end - start; a++) {
      const at = a * width;
      let mean = 0;
      for (let j = 0; j < n; j++) mean += d[at + j]! / n;
      for (let j = 0; j < n; j++) w[j] = -0.5 * (d[at + j]! - mean - m[j]! + g);
      let hat = 0;
      for (const k of axes) {
        let s = 0;
        for (let j = 0; j < n; j++) s += w[j]! * e.vectors[j * n + k]!;
        hat += (s * s) / e.values[k]!;
      }
      residual[start + a] = mean - g / 2 - hat;
      if (progress) progress[start + a] = progressOf(d[at + n]!, d[at + n + 1]!);
    }
    bar.update(end);
  });
  bar.done();
  return { residual, progress };
}
