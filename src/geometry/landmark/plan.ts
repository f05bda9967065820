/**
 * Stage 1 of landmark InPCA (docs/methods.md §13): the options checked against the source and the memory budget,
 * the streaming chunk size, and the landmarks chosen. Everything the later stages need, in this process or in a
 * job array (`inpca plan`).
 */
import { InpcaInputError } from "../../core/errors.js";
import { validateOptions } from "../../core/options.js";
import { defaultMemoryBudget, rowsPerChunk, type PredictionSource } from "../../core/source.js";
import type { Precision } from "../pairwise/engine.js";
import { sampleSubset } from "../subsample.js";
import { LANDMARK_OPTION_RULES, type LandmarkDistanceOptions, type LandmarkPlanOptions } from "./options.js";
import { selectLandmarks } from "./selection.js";

/** What `planLandmarks` decides: everything the later stages (in this process or in a job array) need. */
export interface LandmarkPlan {
  /** Source rows of the landmarks, ascending. */
  landmarks: number[];
  /** The sample subset (ascending indices), or undefined for all samples. */
  samples: Int32Array | undefined;
  /** Axes to keep. */
  dims: number;
  /** Seed of every random choice. */
  seed: number;
  /** Arithmetic of the distances. */
  precision: Precision;
  /** "pivoted", "spread", "farthest", "random" or "given". */
  select: string;
  /** Model-points per streaming chunk within the memory budget. */
  chunk: number;
  /** Model-points drawn for the explained stress estimate (at most M). */
  stressPoints: number;
  /** Seconds spent choosing. */
  seconds: number;
}

/**
 * Stage 1 of landmark InPCA: checks the options against `LANDMARK_OPTION_RULES`, the source and the memory budget,
 * and chooses the landmarks (with "spread", one streaming pass for each model-point's progress). Deterministic for a
 * seed. Throws InpcaInputError when L exceeds M or is below dims + 1, or when the budget cannot hold the landmarks
 * and one chunk.
 */
export async function planLandmarks(src: PredictionSource, raw: LandmarkPlanOptions = {}): Promise<LandmarkPlan> {
  const t0 = Date.now();
  const options = validateOptions(raw, LANDMARK_OPTION_RULES, "landmarkInpca") as LandmarkPlanOptions & { memory?: number };
  if (options.landmarks !== undefined && typeof options.landmarks !== "number" && !(typeof options.landmarks === "object" && options.landmarks !== null && typeof options.landmarks.length === "number")) {
    throw new InpcaInputError(`landmarkInpca: landmarks must be a number of landmarks or a list of model-point indices, got ${typeof options.landmarks}`);
  }
  const M = src.models;
  const { classes: C } = src;
  const dims = options.dims ?? 3;
  const seed = options.seed ?? 1;
  const precision = options.precision ?? "f32";
  const requested = typeof options.landmarks === "number" || options.landmarks === undefined ? (options.landmarks ?? Math.min(2000, M)) : options.landmarks.length;
  if (!(Number.isInteger(requested) && requested >= dims + 1)) throw new InpcaInputError(`landmarkInpca: needs at least dims + 1 = ${dims + 1} landmarks, got ${requested}`);
  if (requested > M) throw new InpcaInputError(`landmarkInpca: ${requested} landmarks but the source has only ${M} model-points; lower \`landmarks\` (or use inpca on the exact matrix)`);
  const samples = options.samples !== undefined ? sampleSubset(src.samples, options.samples, src.labels, seed) : undefined;
  const S = samples ? samples.length : src.samples;
  const budget = options.memory ?? defaultMemoryBudget(options.totalMemory ?? (await import("node:os")).totalmem());
  const L = requested;
  const landmarkBytes = L * S * C * 4 + 3 * L * L * 8;
  if (landmarkBytes >= budget) {
    throw new InpcaInputError(`landmarkInpca: ${L} landmarks on ${S} samples need ${(landmarkBytes / 2 ** 20).toFixed(0)} MiB resident, more than the memory budget of ${(budget / 2 ** 20).toFixed(0)} MiB; raise \`memory\`, or lower \`landmarks\` or \`samples\``);
  }
  // two chunks are resident while streaming (one computed, the next read), hence half the remaining budget each
  const chunk = Math.min(M, rowsPerChunk(S, C, (budget - landmarkBytes) / 2, L * 8 * 2, "landmark InPCA after its landmarks"), 4096);
  const distance: LandmarkDistanceOptions = { precision, threads: options.threads, showProgress: false, signal: options.signal };
  const given = typeof options.landmarks === "object" ? options.landmarks : undefined;
  const chosen = await selectLandmarks(
    { src, count: L, seed, samples, budget: budget - landmarkBytes, chunk, distance, progress: options },
    options.select ?? "pivoted", given, options.select === "pivoted",
  );
  return {
    landmarks: chosen.landmarks, samples, dims, seed, precision, select: chosen.select, chunk,
    stressPoints: Math.min(M, options.stressPoints ?? 400), seconds: (Date.now() - t0) / 1000,
  };
}
