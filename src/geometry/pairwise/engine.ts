/**
 * The sample-blocked Bhattacharyya engine (docs/methods.md §2), shared by the calling thread and the worker threads so
 * that both give bit-identical matrices.
 *
 * For each block of B samples it packs the square roots of the probabilities of every model-point, each row
 * divided by its sum first (float64, tiles of four models, see src/kernels/bhattacharyya.ts), then, for each assigned pair of rows, lets the
 * WebAssembly kernel form the products Π_n clamp(BC) of the block and adds Σ_n -log clamp(BC) into the
 * accumulator `sums` (Ma × Mb, row-major). Memory: the accumulator plus O((Ma + Mb) · B · C) per thread.
 * The caller divides by S and mirrors the upper triangle (see `finishMatrix`).
 */
import { sqrtNormalizedRow } from "../../core/rows.js";

/** Everything a thread needs to compute its share of one distance matrix. */
export interface PairJob {
  /** Probabilities of the row set, [Ma, S, C] row-major. */
  rows: Float32Array;
  /** Probabilities of the column set, or null when the columns are the rows (a self-distance matrix). */
  cols: Float32Array | null;
  /** Ma, Mb: model-points in the row and column sets. */
  rowCount: number;
  colCount: number;
  /** S samples, C classes. */
  samples: number;
  classes: number;
  /** Samples per block. */
  block: number;
  /**
   * Arithmetic of the per-sample coefficients: "f64" (square roots and sums in float64) or "f32" (square roots
   * stored and summed in float32 lanes, twice as many per vector; clamp, products and logs stay float64).
   */
  precision: Precision;
  /** Accumulator [Ma, Mb] of Σ_n -log clamp(BC_ijn); only i < j is written for a self matrix. */
  sums: Float64Array;
}

/**
 * A one-row cross job against a fixed set of M model-points (`cols`, [M, S, C] probabilities), all S samples in
 * one block: what `packColumns` and `distancesOfRow` need (`bhattacharyyaTo`, and its worker-thread form).
 */
export function basisJob(cols: Float32Array, M: number, S: number, C: number, precision: Precision): PairJob {
  return { rows: new Float32Array(S * C), cols, rowCount: 1, colCount: M, samples: S, classes: C, block: S, precision, sums: new Float64Array(M) };
}

/** Arithmetic of the Bhattacharyya coefficients (see PairJob.precision). */
export type Precision = "f64" | "f32";

/** Bytes per packed value: float64 or float32 lanes. */
function laneBytes(precision: Precision): number {
  return precision === "f32" ? 4 : 8;
}

/** ln 2 · 500: the value of one exact rescaling by 2^500 inside the kernel. */
const SHIFT_LOG = 500 * Math.LN2;

interface KernelExports {
  strip(rowBase: number, colBase: number, i0: number, rows: number, jt0: number, jt1: number, B: number, C: number, outP: number, outK: number): void;
  strip32(rowBase: number, colBase: number, i0: number, rows: number, jt0: number, jt1: number, B: number, C: number, outP: number, outK: number): void;
}

/** Bytes of WebAssembly memory a thread needs for blocks of `block` samples. */
export function engineBytes(rowCount: number, colCount: number, classes: number, block: number, self: boolean, precision: Precision = "f64"): number {
  const tiles = (m: number) => Math.ceil(m / 4);
  const tileBytes = block * classes * 4 * laneBytes(precision);
  const out = 2 * 2 * tiles(colCount) * 4 * 8;
  return tiles(rowCount) * tileBytes + (self ? 0 : tiles(colCount) * tileBytes) + out;
}

/**
 * Samples per block. Every row pair sweeps the packed columns of the block, so the block is sized for the
 * columns to stay in cache (~8 MiB, measured best at M = 2000: 3.7 s with 64 samples against 5.7 s with 512),
 * between 16 and 256 samples, and never more than `budget` bytes per thread (default 96 MiB).
 */
export function chooseBlock(rowCount: number, colCount: number, samples: number, classes: number, self: boolean, budget = 96 * 2 ** 20, precision: Precision = "f64"): number {
  const lane = laneBytes(precision);
  const colBytes = Math.ceil(colCount / 4) * 4 * classes * lane;
  const perSample = (Math.ceil(rowCount / 4) + (self ? 0 : Math.ceil(colCount / 4))) * classes * 4 * lane;
  const cacheFit = Math.floor((8 * 2 ** 20) / Math.max(1, colBytes));
  const memoryFit = Math.floor(budget / Math.max(1, perSample));
  return Math.max(1, Math.min(samples, memoryFit, Math.max(16, Math.min(256, cacheFit))));
}

/** Number of row pairs (rows 2k, 2k+1): the unit of work that threads share. */
export function rowPairs(rowCount: number): number {
  return Math.ceil(rowCount / 2);
}

/** Work of row pair k relative to the others (pairs to its right in a self matrix, all columns otherwise). */
export function pairCost(job: Pick<PairJob, "rowCount" | "colCount" | "cols">, k: number): number {
  return job.cols ? job.colCount : Math.max(1, job.colCount - 2 * k);
}

/** Runs the kernel for the given row pairs over all sample blocks; one instance per thread. */
export class BlockEngine {
  private readonly memory: WebAssembly.Memory;
  private readonly kernel: KernelExports;
  private readonly rowBase = 0;
  private colBase = 0;
  private outP = 0;
  private outK = 0;

  constructor(module: WebAssembly.Module, private readonly job: PairJob) {
    const bytes = engineBytes(job.rowCount, job.colCount, job.classes, job.block, job.cols === null, job.precision);
    this.memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(bytes / 65536)) });
    const instance = new WebAssembly.Instance(module, {
      env: { memory: this.memory, abort: () => { throw new Error("inpca kernel aborted"); } },
    });
    this.kernel = instance.exports as unknown as KernelExports;
  }

  /**
   * Accumulates Σ_n -log clamp(BC) into `job.sums` for the row pairs `pairs` (sorted), over every block.
   * `shouldStop` is polled before each row pair; `onUnit` is called after each (pair, block).
   * Returns false when stopped early (the accumulator is then incomplete).
   */
  run(pairs: readonly number[], shouldStop: () => boolean = () => false, onUnit: () => void = () => {}): boolean {
    const { samples: S, block } = this.job;
    for (let n0 = 0; n0 < S; n0 += block) {
      const B = Math.min(block, S - n0);
      this.pack(n0, B);
      for (const k of pairs) {
        if (shouldStop()) return false;
        this.pair(k, B);
        onUnit();
      }
    }
    return true;
  }

  /**
   * For a cross job of one block (block = S): packs the rows and the columns once. Then `crossRows()` repacks
   * only the rows (after the caller has overwritten `job.rows`) and accumulates every (row, column) pair into
   * `job.sums`, so a fixed column set is square-rooted once for many rows (`bhattacharyyaTo`).
   */
  packColumns(): void {
    if (this.job.block !== this.job.samples || this.job.cols === null) throw new Error("packColumns: needs a cross job of one block (block = samples)");
    this.pack(0, this.job.samples);
  }

  /**
   * For a job of `basisJob` after `packColumns`: the distances of one model-point (`row`, S·C probabilities) to
   * every column, nats per sample. Returns `job.sums`, overwritten by the next call (copy it to keep it).
   */
  distancesOfRow(row: Float32Array): Float64Array {
    const job = this.job;
    job.rows.set(row);
    job.sums.fill(0);
    this.crossRows();
    finishMatrix(job.sums, 1, job.colCount, job.samples, false);
    return job.sums;
  }

  /** See `packColumns`. */
  crossRows(): void {
    const { rows, rowCount, samples: S, classes: C, precision } = this.job;
    const lane = laneBytes(precision);
    const view = precision === "f32" ? new Float32Array(this.memory.buffer) : new Float64Array(this.memory.buffer);
    packInto(view, this.rowBase / lane, rows, rowCount, S, C, 0, S);
    for (let k = 0; k < rowPairs(rowCount); k++) this.pair(k, S);
  }

  private pack(n0: number, B: number): void {
    const { rows, cols, rowCount, colCount, samples: S, classes: C, precision } = this.job;
    const lane = laneBytes(precision);
    const tileBytes = B * C * 4 * lane;
    const view = precision === "f32" ? new Float32Array(this.memory.buffer) : new Float64Array(this.memory.buffer);
    packInto(view, this.rowBase / lane, rows, rowCount, S, C, n0, B);
    if (cols) {
      this.colBase = this.rowBase + Math.ceil(rowCount / 4) * tileBytes;
      packInto(view, this.colBase / lane, cols, colCount, S, C, n0, B);
    } else this.colBase = this.rowBase;
    const colTiles = Math.ceil(colCount / 4);
    this.outP = (cols ? this.colBase + colTiles * tileBytes : this.rowBase + Math.ceil(rowCount / 4) * tileBytes);
    this.outK = this.outP + 2 * colTiles * 4 * 8;
  }

  private pair(k: number, B: number): void {
    const { cols, rowCount, colCount, classes: C, sums } = this.job;
    const self = cols === null;
    const i = 2 * k;
    const nr = Math.min(2, rowCount - i);
    const jt0 = self ? i >> 2 : 0;
    const jt1 = Math.ceil(colCount / 4);
    const strip = this.job.precision === "f32" ? this.kernel.strip32 : this.kernel.strip;
    strip(this.rowBase, this.colBase, i, nr, jt0, jt1, B, C, this.outP, this.outK);
    const width = (jt1 - jt0) * 4;
    // f64 kernel: K counts rescalings by 2^500 (p_true = P·2^-500K); f32 kernel: K is the exponent sum E (P·2^E)
    const kLog = this.job.precision === "f32" ? -Math.LN2 : SHIFT_LOG;
    const P = new Float64Array(this.memory.buffer, this.outP, 2 * width);
    const K = new Float64Array(this.memory.buffer, this.outK, 2 * width);
    for (let r = 0; r < nr; r++) {
      const row = (i + r) * colCount;
      const jStart = self ? i + r + 1 : 0;
      for (let j = Math.max(jt0 * 4, jStart); j < colCount; j++) {
        const q = r * width + (j - jt0 * 4);
        sums[row + j] += K[q]! * kLog - Math.log(P[q]!);
      }
    }
  }
}

/** Packs sqrt(p / Σ_c p) of samples n0..n0+B-1 of all M model-points into tiles of four (float64 or float32, zero padding). */
function packInto(f64: Float64Array | Float32Array, base: number, probs: Float32Array, M: number, S: number, C: number, n0: number, B: number): void {
  const tiles = Math.ceil(M / 4);
  for (let m = 0; m < tiles * 4; m++) {
    const t = m >> 2;
    const lane = m & 3;
    const tileBase = base + t * B * C * 4 + lane;
    if (m >= M) {
      for (let q = 0; q < B * C; q++) f64[tileBase + q * 4] = 0;
      continue;
    }
    const src = (m * S + n0) * C;
    for (let n = 0; n < B; n++) sqrtNormalizedRow(probs, src + n * C, C, f64, tileBase + n * C * 4, 4);
  }
}

/**
 * Splits row pairs among `threads` so that each gets about the same work: pairs are dealt in order of cost
 * (largest first) to the thread with the least work so far. Deterministic.
 */
export function assignPairs(job: Pick<PairJob, "rowCount" | "colCount" | "cols">, threads: number): number[][] {
  const K = rowPairs(job.rowCount);
  const out: number[][] = Array.from({ length: threads }, () => []);
  const load = new Float64Array(threads);
  for (let k = 0; k < K; k++) {
    let best = 0;
    for (let t = 1; t < threads; t++) if (load[t]! < load[best]!) best = t;
    out[best]!.push(k);
    load[best]! += pairCost(job, k);
  }
  return out;
}

/**
 * Turns the accumulator into distances in place: divides by S; for a self matrix mirrors the upper triangle
 * and sets the diagonal to exactly 0.
 */
export function finishMatrix(sums: Float64Array, rowCount: number, colCount: number, samples: number, self: boolean): void {
  const inv = 1 / samples;
  if (!self) {
    for (let q = 0; q < sums.length; q++) sums[q] = sums[q]! * inv;
    return;
  }
  for (let i = 0; i < rowCount; i++) {
    sums[i * colCount + i] = 0;
    for (let j = i + 1; j < colCount; j++) {
      const v = sums[i * colCount + j]! * inv;
      sums[i * colCount + j] = v;
      sums[j * colCount + i] = v;
    }
  }
}
