/**
 * Landmark InPCA (docs/methods.md §13): InPCA of L landmark model-points, exact, then every model-point of the source
 * placed from its L distances to the landmarks with the out-of-sample formula (§5), in one streaming pass.
 * Cost O(L²·S·C + M·L·S·C) and memory O(L² + L·S·C + chunk) instead of O(M²·S·C) and O(M²): a zoo of 150,000
 * checkpoints is embedded on a laptop. The driver runs the four stages in turn: `planLandmarks`, `fitLandmarks`,
 * `placeRows` on every chunk, `finishLandmarks` (a job array runs them as separate commands: cli/jobs-landmark.ts).
 */
import { streamChunks } from "../../core/chunks.js";
import { InpcaAbortError } from "../../core/errors.js";
import { setDigest, sourceFingerprint } from "../../core/fingerprint.js";
import type { PredictionSet } from "../../core/prediction-set.js";
import { reporter } from "../../core/progress.js";
import { sourceOf, type PredictionSource } from "../../core/source.js";
import { bhattacharyya } from "../distances.js";
import type { Embedding } from "../../core/embedding.js";
import { cacheKey } from "./cache-key.js";
import { finishLandmarks } from "./finish.js";
import { fitLandmarks, placedAxes } from "./fit.js";
import type { LandmarkDistanceOptions, LandmarkOptions } from "./options.js";
import { placeRows } from "./place.js";
import { planLandmarks } from "./plan.js";

/**
 * Landmark InPCA of every model-point of `input` (a PredictionSet or a streaming PredictionSource): an
 * Embedding of all M points in source order (coords, signed eigenvalues, time-like flags) with a `landmark`
 * summary. The sign conventions are those of `inpca`; the result is deterministic for a given seed.
 * - eigenvalues and spectrum: the whole set's leading eigenvalues, from W ≈ X J Xᵀ on the placed axes (up to 128
 *   for pivoted landmarks, 2·dims and at least dims + 7 for the others: `placedAxes`);
 * - explainedStress: ES(k) of the whole set from its eigenvalues and ‖W‖²_F (the placed axes' Σλ² and what they miss,
 *   estimated on `stressPoints` random model-points: `stressEstimate`), with a jackknife 95 % interval for ES(dims)
 *   in `landmark.stress`;
 * - landmark.check: how far the embedding is estimated to be from exact InPCA (docs/methods.md §13).
 * Throws InpcaInputError when L exceeds M or is below dims + 1, or when the memory budget cannot hold the
 * landmarks and one chunk; InpcaAbortError on `signal`.
 */
export async function landmarkInpca(input: PredictionSet | PredictionSource, options: LandmarkOptions = {}): Promise<Embedding> {
  const started = Date.now();
  const src = sourceOf(input);
  const plan = await planLandmarks(src, options);
  const { landmarks: chosen, samples, chunk, precision } = plan;
  const M = src.models;
  const L = chosen.length;
  const distance: LandmarkDistanceOptions = { precision, threads: options.threads, showProgress: false, signal: options.signal };
  const stopIfAborted = () => {
    if (options.signal?.aborted) throw new InpcaAbortError("landmarkInpca");
  };
  stopIfAborted();

  // 2. exact InPCA of the landmarks
  let t0 = Date.now();
  const marks = await src.read(chosen, samples);
  const basis = fitLandmarks(await bhattacharyya(marks, distance), plan.dims, options.signal, placedAxes(plan.select, L, plan.dims, M));
  const seconds: Record<string, number> = { select: plan.seconds, landmarks: (Date.now() - t0) / 1000 };

  // 3. one streaming pass: cross-distances to the landmarks, then the out-of-sample formula on Kp ≥ dims axes
  t0 = Date.now();
  const raw = new Float64Array(M * basis.axes);
  // the cache's key names what the cross-distances are of: the source's files as they are (or its content), the
  // landmarks' predictions, the subset and the arithmetic, so a zoo retrained in place is not answered from it
  const key = options.cache ? cacheKey(src, chosen, samples, precision, `${await sourceFingerprint(src, samples, chunk)}|${setDigest(marks)}`) : "";
  const bar = reporter("landmark inpca", M, options);
  let resumed = 0;
  await streamChunks(src, 0, M, chunk, samples, (start, end) => {
    const cross = options.cache?.get(`${key}-${start}-${end}`, (end - start) * L) ?? null;
    if (!cross) return null;
    resumed += end - start;
    placeRows(basis, cross, end - start, raw, start);
    bar.update(end);
    return true;
  }, async (rows, start, end) => {
    stopIfAborted();
    const cross = (await bhattacharyya(rows, marks, distance)).data;
    options.cache?.set(`${key}-${start}-${end}`, cross);
    placeRows(basis, cross, end - start, raw, start);
    bar.update(end);
  });
  bar.done();
  seconds.placement = (Date.now() - t0) / 1000;

  // 4. the whole set's axes, the stress estimate, the check, the summary
  return finishLandmarks(src, plan, basis, raw, { distance, marks, resumed, seconds, started, checkColumns: options.checkColumns, warnAbove: options.warnAbove });
}
