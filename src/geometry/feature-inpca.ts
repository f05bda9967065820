/**
 * InPCA from features (docs/methods.md §15): for the Hellinger distance and the symmetric KL divergence the
 * intensive distance matrix is a squared distance between per-model feature vectors, Euclidean for Hellinger
 * (√p) and Minkowski for symmetric KL (T± = (p ± log p)/√2), so the double-centred matrix is W = c Z̃ η Z̃ᵀ and
 * its eigenpairs come from the features alone, streamed from any PredictionSource in chunks, without the M×M
 * matrix. The result equals `inpca(hellinger(set))` / `inpca(symmetricKL(set))` (eigenvalues with their signs,
 * coordinates, explained stress) up to rounding.
 */
import { InpcaAbortError, InpcaInputError } from "../core/errors.js";
import type { ModelPoint } from "../core/meta.js";
import { any, integer, memory, number, oneOf, validateOptions, type Rule } from "../core/options.js";
import type { PredictionSet } from "../core/prediction-set.js";
import { operationSignal, reporter, type ProgressOptions } from "../core/progress.js";
import { chunkFloats, defaultMemoryBudget, rowsPerChunk, sourceOf, type PredictionSource } from "../core/source.js";
import { gramEigen, subspaceEigen, type FactoredEigenResult, type FactoredOperator, type RowStream } from "../linalg/factored-eigen.js";
import { KL_FLOOR } from "./distances.js";
import { Embedding, type EmbeddingInit } from "../core/embedding.js";
import { explainedStress } from "./inpca.js";

/** The divergences whose matrix is a squared (Euclidean or Minkowski) distance between features. */
export type FeatureDivergence = "hellinger" | "symmetricKL";

/** Options of `featureInpca` (checked by FEATURE_OPTION_RULES); `divergence` is required. */
export interface FeatureInpcaOptions extends ProgressOptions {
  /** "hellinger" (features √p, w = S·C) or "symmetricKL" (features (p ± log p)/√2, w = 2·S·C, p floored at KL_FLOOR). Required. */
  divergence: FeatureDivergence;
  /** Axes to keep (default 3). */
  dims?: number;
  /** Eigenvalues by |λ| reported in `spectrum` and `explainedStress` (default 50, at least dims), as `inpca`. */
  spectrum?: number;
  /**
   * Bytes resident at once (default: an eighth of the machine's memory, at most 2 GiB): a number or a string
   * such as "256M". Holds a chunk of probabilities and features, the w×w Gram (route "gram"), or the M×block
   * iteration vectors (route "stream").
   */
  memory?: number | string;
  /** Total memory of the machine in bytes (default: os.totalmem()), for the default budget. */
  totalMemory?: number;
  /**
   * "gram": the w×w Gram of the features in one pass and a dense eigenproblem (exact; w up to a few thousand);
   * "stream": block subspace iteration, one pass per iteration (any w); "auto" (default): "gram" when its
   * 3·w² doubles fit a quarter of the budget and it costs fewer multiply-adds than ~25 passes of the iteration
   * (M·w²/2 + w³/3 ≤ 50·M·w·b), else "stream".
   */
  route?: "auto" | "gram" | "stream";
  /** Route "stream": relative residual ‖Wx − λx‖/max|λ| of the first `dims` pairs (default 1e-9). */
  tol?: number;
  /** Route "stream": relative residual of the spectrum's other pairs (default 1e-5). */
  spectrumTol?: number;
  /** Route "stream": maximum passes over the source (default 300). */
  maxPasses?: number;
  /** Route "stream": block size (default spectrum + max(8, spectrum/2)). */
  block?: number;
  /** Route "stream": seed of the random start block (default 1). */
  seed?: number;
}

/** The option rules of `featureInpca` (core/options.ts). */
export const FEATURE_OPTION_RULES: Readonly<Record<string, Rule>> = {
  divergence: oneOf("hellinger", "symmetricKL"), dims: integer(1), spectrum: integer(1), memory: memory(),
  totalMemory: number(0, Number.MAX_VALUE, true), route: oneOf("auto", "gram", "stream"), tol: number(0, 1, true),
  spectrumTol: number(0, 1, true), maxPasses: integer(2), block: integer(1), seed: integer(0),
  showProgress: oneOf(true, false, "auto"), signal: any(), onProgress: any(),
};

/** How a feature embedding was computed. */
export interface FeatureSummary {
  /** The divergence embedded ("hellinger" or "symmetricKL"). */
  divergence: FeatureDivergence;
  /** "gram" or "stream". */
  route: "gram" | "stream";
  /** w: features per model-point (S·C, or 2·S·C for symmetric KL). */
  features: number;
  /** Passes over the source. */
  passes: number;
  /** The probability bytes those passes read. */
  bytesRead: number;
  /** Subspace iterations (0 for "gram"). */
  iterations: number;
  /**
   * ‖W v_k − λ_k v_k‖ / max|λ| of the spectrum's pairs: measured by route "stream"; for "gram" 0 (a dense
   * eigen-decomposition, exact up to rounding) or, above rank 400, the Lanczos solver's largest relative residual.
   */
  residuals: Float64Array;
  /** Model-points per chunk. */
  chunkRows: number;
  /** Wall time (s). */
  seconds: number;
  /** The source's name. */
  source: string;
}

/** What `placeFeatures` needs: the feature mean μ (w), Z̃ᵀv_k (w×dims), the scale c and the signature η. */
export interface FeatureBasis {
  /** The divergence whose features these are. */
  divergence: FeatureDivergence;
  /** S, samples per model-point. */
  samples: number;
  /** C, classes. */
  classes: number;
  /** μ, the features' mean over the fitted model-points (length w). */
  mean: Float64Array;
  /** Z̃ᵀv_k for each kept axis k, row-major w×dims. */
  projected: Float64Array;
  /** c, the divergence's scale (1/S for Hellinger, 1/(4S) for symmetric KL). */
  scale: number;
  /** η, the signature of each feature (+1 or −1, length w). */
  signs: Float64Array;
}

/**
 * An Embedding made from features (`featureInpca`). `addPoints` works as for any embedding (from distances to the
 * M original points); `placeFeatures(set)` places new model-points from their predictions alone, without any
 * distance: x_k = c (z − μ)ᵀ η Z̃ᵀv_k / (sign λ_k √|λ_k|), which is Gower's formula (docs/methods.md §5) for this
 * divergence, so `placeFeatures(set)` equals `addPoints(hellinger(set, original))` (or symmetricKL) up to rounding.
 */
export class FeatureEmbedding extends Embedding {
  /** How it was computed. */
  readonly feature: FeatureSummary;
  private readonly features: FeatureBasis;

  /** An embedding made by `featureInpca` (use that): the fields of any embedding, how it was computed, and the basis `placeFeatures` uses. */
  constructor(init: EmbeddingInit, feature: FeatureSummary, features: FeatureBasis) {
    super(init);
    this.feature = feature;
    this.features = features;
  }

  /**
   * Places the model-points of `set` (same S samples and C classes as the source, in the same order) on these axes
   * from their features; returns a new FeatureEmbedding with them appended (metadata from `meta`, else the set's).
   */
  placeFeatures(set: PredictionSet, meta?: readonly ModelPoint[]): FeatureEmbedding {
    const f = this.features;
    if (set.samples !== f.samples || set.classes !== f.classes) {
      throw new InpcaInputError(`placeFeatures: the new set has ${set.samples} samples × ${set.classes} classes but the embedding was made on ${f.samples} × ${f.classes}; give predictions on the same samples`);
    }
    const rows = meta ?? set.meta;
    if (rows.length !== set.models) throw new InpcaInputError(`placeFeatures: ${rows.length} metadata rows for ${set.models} new points`);
    const K = this.dims, w = f.mean.length, N = set.models;
    const lambda = this.eigenvalues;
    const scale = Float64Array.from(lambda, (l) => (l === 0 ? 0 : f.scale / (Math.sign(l) * Math.sqrt(Math.abs(l)))));
    const z = new Float64Array(w);
    const added = new Float64Array(N * K);
    for (let i = 0; i < N; i++) {
      featureRow(set.model(i), f.divergence, z, 0);
      for (let a = 0; a < w; a++) z[a] = (z[a]! - f.mean[a]!) * f.signs[a]!;
      for (let k = 0; k < K; k++) {
        let s = 0;
        for (let a = 0; a < w; a++) s += z[a]! * f.projected[a * K + k]!;
        added[i * K + k] = s * scale[k]!;
      }
    }
    const coords = new Float64Array((this.points + N) * K);
    coords.set(this.coords);
    coords.set(added, this.points * K);
    return new FeatureEmbedding({ ...this, coords, points: this.points + N, meta: [...this.meta, ...rows] }, this.feature, f);
  }

  override toString(): string {
    const f = this.feature;
    return `${super.toString()}; from ${f.features} ${f.divergence} features (${f.route}, ${f.passes} passes)`;
  }
}

/** Bytes as "12.3 MiB" or "300 KiB". */
function size(bytes: number): string {
  return bytes >= 2 ** 20 ? `${(bytes / 2 ** 20).toFixed(1)} MiB` : `${Math.ceil(bytes / 1024)} KiB`;
}

/** Writes the features of one model-point's S·C probabilities into out[o..]: √p (hellinger) or [(x + log x)/√2 …, (x − log x)/√2 …] with x = max(p, KL_FLOOR) (symmetricKL). */
function featureRow(p: ArrayLike<number>, divergence: FeatureDivergence, out: Float64Array, o: number): void {
  const F = p.length;
  if (divergence === "hellinger") {
    for (let a = 0; a < F; a++) out[o + a] = Math.sqrt(p[a]!);
    return;
  }
  for (let a = 0; a < F; a++) {
    const x = Math.max(p[a]!, KL_FLOOR);
    const l = Math.log(x);
    out[o + a] = (x + l) * Math.SQRT1_2;
    out[o + F + a] = (x - l) * Math.SQRT1_2;
  }
}

/**
 * InPCA of the Hellinger or symmetric-KL matrix of every model-point of `input` (a PredictionSet or any
 * PredictionSource: in memory, zoo, HDF5, checkpoint folder), computed from features streamed in chunks within
 * `memory`, never forming the M×M matrix. Returns a FeatureEmbedding equal to
 * `inpca(hellinger(set))` / `inpca(symmetricKL(set))`: signed eigenvalues, coordinates (same sign convention),
 * spectrum and explained stress (exact ‖W‖²_F on both routes). Cost: route "gram" O(M·w² + w³) time, O(w²)
 * memory, 3 passes; route "stream" O(passes·M·w·b) time, O(M·b + w·b) memory, 1 + iterations passes (+ about
 * M/chunk short passes for ‖W‖²_F when w > M). Throws InpcaInputError on bad options or a budget too small for one
 * chunk; InpcaAbortError on `signal` or an interrupt.
 */
export async function featureInpca(input: PredictionSet | PredictionSource, raw: FeatureInpcaOptions): Promise<FeatureEmbedding> {
  const started = Date.now();
  const options = validateOptions(raw, FEATURE_OPTION_RULES, "featureInpca") as FeatureInpcaOptions & { memory?: number };
  if (options.divergence === undefined) throw new InpcaInputError(`featureInpca: divergence is missing; give divergence: "hellinger" or "symmetricKL" (for the Bhattacharyya distance use inpca, landmarkInpca or exactInpca)`);
  const src = sourceOf(input);
  const { models: M, samples: S, classes: C } = src;
  if (M < 2) throw new InpcaInputError(`featureInpca: ${src.name} has ${M} model-point(s); InPCA needs at least 2`);
  const divergence = options.divergence;
  const dims = Math.min(options.dims ?? 3, M);
  const K = Math.min(M, Math.max(dims, options.spectrum ?? 50));
  const F = S * C;
  const w = divergence === "hellinger" ? F : 2 * F;
  const budget = options.memory ?? defaultMemoryBudget(options.totalMemory ?? (await import("node:os")).totalmem());
  const block = Math.max(1, Math.min(options.block ?? K + Math.max(8, Math.ceil(K / 2)), M, w));
  const gramBytes = 3 * w * w * 8;
  // "auto": the Gram when it fits a quarter of the budget and costs less than ~25 passes of the block iteration
  // (M·w²/2 + w³/3 multiply-adds against 25·2·M·w·b)
  const gramCheaper = M * w * w / 2 + w ** 3 / 3 <= 50 * M * w * block;
  const route = options.route === "gram" || options.route === "stream" ? options.route : gramBytes <= budget / 4 && gramCheaper ? "gram" : "stream";
  const byGram = route === "stream" && w <= M && w * w * 8 <= budget / 4;
  const fixed = route === "gram" ? gramBytes + 2 * w * K * 8 + M * K * 8 : 3 * M * block * 8 + 4 * w * block * 8 + (byGram ? w * w * 8 : 0);
  if (fixed >= budget) {
    throw new InpcaInputError(`featureInpca: route "${route}" needs ${size(fixed)} resident (${route === "gram" ? `the ${w}×${w} Gram of the features` : `${M} model-points × a block of ${block} vectors`}) besides its chunks, more than the memory budget of ${size(budget)}; raise \`memory\`${route === "gram" ? ', or use route: "stream"' : ", or lower `spectrum`"}`);
  }
  // per row: its probabilities (float32) and features (float64); ‖W‖²_F by pairs of chunks holds two of each and a copy
  const pairs = route === "stream" && !byGram;
  const chunkRows = Math.min(M, rowsPerChunk(S, C, budget - fixed, pairs ? S * C * 4 + w * 8 * 3 : w * 8, "feature InPCA"));
  const op = operationSignal(options.signal);
  const stop = () => {
    if (op.signal.aborted) throw new InpcaAbortError("featureInpca");
  };
  const expected = route === "gram" ? 3 : options.maxPasses ?? 300;
  const bar = reporter("featureInpca", expected * M, options);
  let rowsRead = 0;
  let into: Float32Array | undefined;
  const stream: RowStream = {
    rows: M,
    width: w,
    async pass(visit, from = 0) {
      const Z = new Float64Array(chunkRows * w);
      for (let start = from; start < M; start += chunkRows) {
        stop();
        const count = Math.min(chunkRows, M - start);
        const rows = Int32Array.from({ length: count }, (_, i) => start + i);
        const set = await src.read(rows, undefined, from === 0 ? (into ??= chunkFloats(chunkRows * S * C)) : undefined);
        const p = set.probs;
        for (let i = 0; i < count; i++) featureRow(p.subarray(i * F, (i + 1) * F), divergence, Z, i * w);
        rowsRead += count;
        if (from === 0) bar.update(Math.min(rowsRead, expected * M));
        await visit(start, count, Z);
      }
    },
  };
  const scale = divergence === "hellinger" ? 1 / S : 1 / (4 * S);
  const signs = new Float64Array(w).fill(1);
  if (divergence === "symmetricKL") signs.fill(-1, F);
  const factored: FactoredOperator = { stream, signs, scale };
  // W_ii = c z̃_iᵀ η z̃_i: the diagonal, for the column means of D (addPoints)
  const diag = new Float64Array(M);
  const onRows = (start: number, count: number, Zc: Float64Array) => {
    for (let i = 0; i < count; i++) {
      let s = 0;
      for (let a = 0; a < w; a++) s += signs[a]! * Zc[i * w + a]! * Zc[i * w + a]!;
      diag[start + i] = scale * s;
    }
  };
  let result: FactoredEigenResult;
  try {
    result = route === "gram"
      ? await gramEigen(factored, K, { onRows })
      : await subspaceEigen(factored, K, {
        wanted: dims, tol: options.tol, spectrumTol: options.spectrumTol, maxPasses: options.maxPasses, block, seed: options.seed,
        frobeniusByGram: byGram, onRows,
      });
  } catch (e) {
    if (op.signal.aborted) throw new InpcaAbortError("featureInpca");
    throw e;
  } finally {
    op.release();
  }
  bar.done();
  // coordinates x_ik = v_ik √|λ_k| on the first dims axes; D's column means m_j = W_jj + mean_i W_ii
  const eigenvalues = result.values.slice(0, dims);
  const eigenvectors = new Float64Array(M * dims);
  const coords = new Float64Array(M * dims);
  for (let i = 0; i < M; i++) {
    for (let k = 0; k < dims; k++) {
      const v = result.vectors[i * K + k]!;
      eigenvectors[i * dims + k] = v;
      coords[i * dims + k] = v * Math.sqrt(Math.abs(eigenvalues[k]!));
    }
  }
  let meanDiag = 0;
  for (let i = 0; i < M; i++) meanDiag += diag[i]!;
  meanDiag /= M;
  const columnMeans = Float64Array.from(diag, (d) => d + meanDiag);
  const projected = new Float64Array(w * dims);
  for (let a = 0; a < w; a++) for (let k = 0; k < dims; k++) projected[a * dims + k] = result.projected[a * K + k]!;
  const spectrum = result.values.slice(0, K);
  return new FeatureEmbedding(
    {
      coords, points: M, dims, eigenvalues, spectrum,
      explainedStress: explainedStress(spectrum, result.frobenius2),
      frobenius2: result.frobenius2,
      meta: src.meta,
      basis: { size: M, eigenvectors, columnMeans, grandMean: 2 * meanDiag },
    },
    {
      divergence, route, features: w, passes: result.passes, bytesRead: rowsRead * F * 4, iterations: result.iterations, residuals: result.residuals,
      chunkRows, seconds: (Date.now() - started) / 1000, source: src.name,
    },
    { divergence, samples: S, classes: C, mean: result.mean, projected, scale, signs },
  );
}
