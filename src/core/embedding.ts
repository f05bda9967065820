/**
 * Embedding: the result of InPCA (docs/methods.md §3–5). Coordinates of every embedded point on the leading axes, the
 * signed eigenvalues (an axis with λ < 0 is time-like), explained stress, the eigenvalue spectrum, and what is
 * needed to place new points into the same axes afterwards.
 */
import { DistanceMatrix } from "./distance-matrix.js";
import { InpcaInputError } from "./errors.js";
import type { ModelPoint } from "./meta.js";
import { integer, validate } from "./options.js";

/** Everything that defines an embedding (see the fields of `Embedding`). */
export interface EmbeddingInit {
  /** N×dims row-major coordinates x_ik = v_ik · sqrt|λ_k|. */
  coords: Float64Array;
  /** N, the embedded points. */
  points: number;
  /** Axes kept. */
  dims: number;
  /** The kept axes' eigenvalues, signed (negative: time-like), ordered by |λ| (length dims). */
  eigenvalues: Float64Array;
  /** Every eigenvalue computed, signed, ordered by |λ| (length ≥ dims). */
  spectrum: Float64Array;
  /** ES(k) for k = 1..spectrum.length (docs/methods.md §4). */
  explainedStress: Float64Array;
  /** ‖W‖²_F of the double-centred matrix, from W itself. */
  frobenius2: number;
  /** One metadata row per embedded point (length N). */
  meta: readonly ModelPoint[];
  /** What out-of-sample placement needs from the fit. */
  basis: EmbeddingBasis;
  /** Set by `landmarkInpca`: how the embedding was made and what it traded. */
  landmark?: LandmarkSummary;
}

/** An estimate with its 95 % interval. */
export interface Estimate {
  /** The point estimate (noisy). */
  estimate: number;
  /** Lower end of the 95 % bootstrap interval. */
  low: number;
  /** Upper end of the 95 % bootstrap interval: the number to read. */
  high: number;
}

/** The landmark embedding's estimated distance from exact InPCA (geometry/landmark/check.ts). */
export interface LandmarkCheck {
  /** Exact columns of D drawn (with repetition) and distinct columns computed. */
  columns: number;
  /** Distinct columns computed. */
  distinct: number;
  /** Per kept axis: ‖x_landmark − x_exact‖ / ‖x_exact‖, estimated. */
  axisError: Estimate[];
  /** Relative error of the k-D signed squared distances between model-points (k = dims), estimated on random pairs. */
  distanceError: Estimate;
  /** Per kept axis: (λ_exact − λ_landmark) / |λ_landmark|, estimated. */
  eigenvalueError: Estimate[];
}

/** The standard error of d_B over landmark pairs (`LandmarkSummary.distanceError`; docs/methods.md §13). */
export interface SamplingError {
  /** Median standard error over the pairs (nats per sample). */
  median: number;
  /** 90th percentile of the standard error (nats per sample). */
  p90: number;
  /** Median of the standard error relative to d_B (dimensionless). */
  relative: number;
  /** Landmark pairs measured (at most 200). */
  pairs: number;
}

/** How a landmark embedding was made and what it traded (`emb.landmark`; docs/scale.md). */
export interface LandmarkSummary {
  /** Indices (in the source) of the L landmarks, ascending; the basis rows. */
  landmarks: Int32Array;
  /** How they were chosen ("pivoted", "spread", "farthest", "random", or "given"). */
  select: string;
  /** Samples used (S') of the source's S. */
  samples: number;
  /** Samples of the source (the subset is `samples` of them). */
  totalSamples: number;
  /** Arithmetic of the distances. */
  precision: string;
  /**
   * With a sample subset: the standard error of d_B (sd of the per-sample terms / √S', times the finite-population
   * factor √((S − S')/(S − 1))) over 200 landmark pairs, median and 90th percentile in nats, and the median relative
   * to d. Null when every sample is used.
   */
  distanceError: SamplingError | null;
  /** Explained stress ES(dims) of the whole set, estimated, with a 95 % interval, from `points` random model-points. */
  stress: {
    /** ES(dims), estimated. */
    explained: number;
    /** Lower end of the 95 % interval. */
    low: number;
    /** Upper end of the 95 % interval. */
    high: number;
    /** Model-points the estimate used (all M: exact). */
    points: number;
  };
  /**
   * How far the embedding is estimated to be from exact InPCA (sampled exact columns and first-order perturbation,
   * `landmarkCheck`), with 95 % intervals; null when not checked (`checkColumns: 0`, or every point a landmark).
   */
  check?: LandmarkCheck | null;
  /** The warning given when the estimated distance error was above `warnAbove`, else null. */
  warning?: string | null;
  /** Rows whose cross-distances came from the cache (a resumed run). */
  resumedRows: number;
  /** Model-points per streaming chunk. */
  chunkRows: number;
  /** Wall time of each stage (s). */
  seconds: Record<string, number>;
  /** The source's name. */
  source: string;
}

/**
 * The check of a landmark embedding in words: its 95 % upper bounds, which on data/zoo held the measured error in
 * all 20 cases of L = 100…2,000, pivoted and spread, both splits (the point estimates are noisy: 0.3 % against a
 * measured 0.06 %, and 0 against 11 % for spread landmarks, whose estimate's interval reached 62 %).
 */
export function landmarkCheckText(check: LandmarkCheck, dims: number): string {
  const pct = (x: number) => `${(100 * x).toFixed(x < 0.1 ? 2 : 1)} %`;
  const d = check.distanceError;
  return `distance from exact InPCA, estimated from ${check.columns} sampled exact columns: ${dims}-D signed distances at most ${pct(d.high)} (95 % upper bound; estimate ${pct(d.estimate)}), axes at most ${check.axisError.map((a) => pct(a.high)).join(", ")}`;
}

/** What out-of-sample placement needs from the original fit (docs/methods.md §5). */
export interface EmbeddingBasis {
  /** M: points the eigen-decomposition was computed from (rows 0..M-1 of the embedding). */
  size: number;
  /** M×dims row-major unit eigenvectors of W. */
  eigenvectors: Float64Array;
  /** Column means of the original D (length M) and their mean. */
  columnMeans: Float64Array;
  /** Mean of `columnMeans`. */
  grandMean: number;
  /** Eigenvalues of the fit (default: the embedding's; a landmark embedding reports the whole set's instead). */
  eigenvalues?: Float64Array;
  /** Which embedded points the fit was computed from (default rows 0..size-1; a landmark embedding's landmarks). */
  points?: Int32Array;
  /**
   * A landmark embedding's placement, size×dims: a new point's coordinates are w·projection − offset (the
   * out-of-sample formula followed by the whole set's centring and axes), instead of (w·v_k)/(sign(λ_k)√|λ_k|).
   */
  projection?: Float64Array;
  /** A landmark embedding's centring offset (length dims), subtracted after `projection`. */
  offset?: Float64Array;
}

/**
 * An InPCA embedding (docs/methods.md §3–5): N points × dims axes of coordinates with their signed eigenvalues
 * (negative: time-like axes), explained stress and the basis that places new points out of sample. Made by
 * `inpca`, `landmarkInpca`, `exactInpca` or `loadEmbedding`.
 */
export class Embedding {
  /** N×dims row-major coordinates x_ik = v_ik · sqrt|λ_k| (out-of-sample points after the original M). */
  readonly coords: Float64Array;
  /** N: number of embedded points (original and added). */
  readonly points: number;
  /** Number of axes kept. */
  readonly dims: number;
  /** Signed eigenvalues of the kept axes, |λ_1| ≥ |λ_2| ≥ ... (nats per sample). */
  readonly eigenvalues: Float64Array;
  /** timelike[k]: axis k has λ_k < 0 (imaginary, Minkowski-like; the authors draw it red). */
  readonly timelike: readonly boolean[];
  /** Signed eigenvalues by |λ| beyond the kept axes (default the first 50), for the eigenvalue ladder. */
  readonly spectrum: Float64Array;
  /** explainedStress[k-1] = ES(k) = 1 - sqrt(1 - Σ_{i≤k} λ_i² / ‖W‖_F²), for k = 1..spectrum.length. */
  readonly explainedStress: Float64Array;
  /** ‖W‖_F², the sum of all squared entries of the double-centred matrix (= Σ of all λ²). */
  readonly frobenius2: number;
  /** Metadata of the N points. */
  readonly meta: readonly ModelPoint[];
  /** The original fit, for `addPoints`. */
  readonly basis: EmbeddingBasis;
  /** How a landmark embedding was made (undefined for exact InPCA). */
  readonly landmark: LandmarkSummary | undefined;

  /** Wraps the coordinates, eigenvalues and basis of a fit (use `inpca`, `landmarkInpca`, `exactInpca` or `loadEmbedding`). */
  constructor(init: EmbeddingInit) {
    if (init.coords.length !== init.points * init.dims) throw new InpcaInputError(`Embedding: ${init.coords.length} coordinates for ${init.points}×${init.dims}`);
    if (init.meta.length !== init.points) throw new InpcaInputError(`Embedding: ${init.meta.length} metadata rows for ${init.points} points`);
    this.coords = init.coords;
    this.points = init.points;
    this.dims = init.dims;
    this.eigenvalues = init.eigenvalues;
    this.timelike = Array.from(init.eigenvalues, (l) => l < 0);
    this.spectrum = init.spectrum;
    this.explainedStress = init.explainedStress;
    this.frobenius2 = init.frobenius2;
    this.meta = init.meta;
    this.basis = init.basis;
    this.landmark = init.landmark;
  }

  /** Coordinate of point i on axis k (0-based). */
  coord(i: number, k: number): number {
    return this.coords[i * this.dims + k]!;
  }

  /** All N coordinates on axis k (0-based), a copy. */
  axis(k: number): Float64Array {
    if (!(Number.isInteger(k) && k >= 0 && k < this.dims)) throw new RangeError(`axis ${k} is not an integer in [0, ${this.dims})`);
    return Float64Array.from({ length: this.points }, (_, i) => this.coords[i * this.dims + k]!);
  }

  /**
   * Places new points into these axes (docs/methods.md §5, Gower's formula): `cross` holds the distances of the new
   * points (rows) to the M original points (columns), e.g. `bhattacharyya(newSet, originalSet)`.
   *   w = -½ (d - mean(d) - m + m̄),   x_k = (w · v_k) / (sign(λ_k) sqrt|λ_k|).
   * An original point placed this way gets its own coordinates back. Returns a new Embedding with the new
   * points appended (metadata from `meta`, else the cross matrix's row metadata); axes with λ = 0 give 0.
   */
  addPoints(cross: DistanceMatrix, meta?: readonly ModelPoint[]): Embedding {
    const { size: M, eigenvectors: V, columnMeans: m, grandMean } = this.basis;
    if (cross.cols !== M) {
      throw new InpcaInputError(
        `addPoints: the cross distances have ${cross.cols} columns but the embedding was fitted on ${M} points; pass the distances from the new points (rows) to the original points (columns)${this.landmark ? " (its landmarks: embedding.landmark.landmarks)" : ""}`,
      );
    }
    const N = cross.rows;
    const rowsMeta = meta ?? cross.rowMeta;
    if (rowsMeta.length !== N) throw new InpcaInputError(`addPoints: ${rowsMeta.length} metadata rows for ${N} new points`);
    const K = this.dims;
    const scale = Float64Array.from(this.basis.eigenvalues ?? this.eigenvalues, (l) => (l === 0 ? 0 : 1 / (Math.sign(l) * Math.sqrt(Math.abs(l)))));
    const added = new Float64Array(N * K);
    const w = new Float64Array(M);
    for (let a = 0; a < N; a++) {
      const d = cross.row(a);
      let mean = 0;
      for (let j = 0; j < M; j++) mean += d[j]!;
      mean /= M;
      for (let j = 0; j < M; j++) w[j] = -0.5 * (d[j]! - mean - m[j]! + grandMean);
      const P = this.basis.projection, off = this.basis.offset;
      for (let k = 0; k < K; k++) {
        let s = 0;
        if (P) {
          for (let j = 0; j < M; j++) s += w[j]! * P[j * K + k]!;
          added[a * K + k] = s - (off ? off[k]! : 0);
        } else {
          for (let j = 0; j < M; j++) s += w[j]! * V[j * K + k]!;
          added[a * K + k] = s * scale[k]!;
        }
      }
    }
    const coords = new Float64Array((this.points + N) * K);
    coords.set(this.coords);
    coords.set(added, this.points * K);
    return new Embedding({ ...this, coords, points: this.points + N, meta: [...this.meta, ...rowsMeta] });
  }

  /**
   * Signed (Minkowski) squared distances between all embedded points on the first k axes:
   *   d̂²_ij = Σ_{a<k} sign(λ_a) (x_ia - x_ja)².
   * With all axes of an exact embedding this reproduces D. Returns an N×N DistanceMatrix.
   */
  signedDistances(k = this.dims): DistanceMatrix {
    validate(k, integer(1, this.dims), "k (axes)", { source: "signedDistances" });
    const N = this.points;
    const K = this.dims;
    const out = new Float64Array(N * N);
    for (let i = 0; i < N; i++) {
      for (let j = i + 1; j < N; j++) {
        let s = 0;
        for (let a = 0; a < k; a++) {
          const d = this.coords[i * K + a]! - this.coords[j * K + a]!;
          s += this.eigenvalues[a]! < 0 ? -d * d : d * d;
        }
        out[i * N + j] = s;
        out[j * N + i] = s;
      }
    }
    return new DistanceMatrix({ data: out, rows: N, cols: N, kind: "custom", rowMeta: this.meta, symmetric: true });
  }

  /** One line: points, axes and eigenvalues, explained stress, and for a landmark embedding its check and warning. */
  toString(): string {
    const axes = Array.from(this.eigenvalues, (l, k) => `λ${k + 1}=${l.toPrecision(4)}${l < 0 ? " (time-like)" : ""}`).join(", ");
    const es = this.explainedStress[this.dims - 1];
    const lm = this.landmark;
    if (lm) {
      const se = lm.distanceError ? `; ${lm.samples} of ${lm.totalSamples} samples: d_B standard error ${lm.distanceError.median.toExponential(2)} nats (median, ${(100 * lm.distanceError.relative).toFixed(2)} % of d)` : "";
      return `Embedding ${this.points} points × ${this.dims} axes by landmark InPCA (${lm.landmarks.length} landmarks, ${lm.select}, ${lm.precision}): ${axes}; ${lm.stress.points >= this.points ? `explained stress ${lm.stress.explained.toFixed(4)} (from all ${lm.stress.points} points)` : `explained stress ≈ ${lm.stress.explained.toFixed(4)} (95 % ${lm.stress.low.toFixed(4)}–${lm.stress.high.toFixed(4)}, from ${lm.stress.points} points)`}${se}${lm.check ? `; ${landmarkCheckText(lm.check, this.dims)}` : ""}${lm.warning ? `; WARNING: ${lm.warning}` : ""}; ${lm.seconds.total!.toFixed(1)} s`;
    }
    const added = this.points - this.basis.size;
    return `Embedding ${this.points} points${added ? ` (${added} placed out of sample)` : ""} × ${this.dims} axes: ${axes}; explained stress ${es === undefined ? "?" : es.toFixed(4)}`;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}
