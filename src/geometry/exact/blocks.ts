/**
 * Exact InPCA past memory (docs/methods.md §3–4 on the full matrix, in blocks): the M×M Bhattacharyya matrix is computed
 * as the blocks of its upper triangle (B×B model-points each, stored as float32, accumulated in float64 by the
 * kernel), and W = −½ J D J is never formed: its row means and grand mean come from one pass over the blocks, and
 * thick-restart Lanczos (`lanczos`) multiplies by W by streaming the blocks, of which as many as the memory
 * budget holds stay resident. The result is `inpca(bhattacharyya(set))` up to the float32 storage of D (relative
 * 6e-8 per entry): at 8,000 points, coordinates and eigenvalues within 1e-6 (`test/geometry/exact.test.ts`).
 *
 * Where the blocks live is a `BlockStore`: in memory, or a folder of checksummed files (`blockStore` in
 * io/stores/block-store.ts), which is what `inpca plan --exact` / `inpca distances --task` write as a job array and
 * `exactInpca(source, { work })` writes and resumes in one process.
 */
import { totalmem } from "node:os";
import { InpcaAbortError, InpcaInputError } from "../../core/errors.js";
import { failpoint } from "../../core/failpoint.js";
import { setDigest } from "../../core/fingerprint.js";
import { any, integer, memory, number, oneOf, validate, validateOptions, type Rule } from "../../core/options.js";
import { reporter, type ProgressOptions } from "../../core/progress.js";
import { PredictionSet } from "../../core/prediction-set.js";
import { defaultMemoryBudget, sourceOf, type PredictionSource } from "../../core/source.js";
import type { BlockOrigin, BlockStore } from "../../core/stores.js";
import { lanczos, type SymmetricOperator } from "../../linalg/lanczos.js";
import { bhattacharyya } from "../distances.js";
import { Embedding } from "../../core/embedding.js";
import { coordinatesOf, explainedStress } from "../inpca.js";
import type { Precision } from "../pairwise/engine.js";

/** The block grid of the upper triangle of an M×M matrix in blocks of B: blocks (I, J) with I ≤ J, row-major. */
export interface BlockGrid {
  /** Model-points M. */
  size: number;
  /** Block edge B (the last row and column of blocks may be shorter). */
  block: number;
  /** Blocks along each side, ⌈M / B⌉. */
  count: number;
  /** Every block (I, J), I ≤ J, in row-major order. */
  blocks: [number, number][];
}

/** The grid of `M` model-points in blocks of `B`. */
export function blockGrid(M: number, B: number): BlockGrid {
  validate(M, integer(2), "model-points", { source: "exact InPCA" });
  validate(B, integer(1), "block", { source: "exact InPCA" });
  const count = Math.ceil(M / B);
  const blocks: [number, number][] = [];
  for (let I = 0; I < count; I++) for (let J = I; J < count; J++) blocks.push([I, J]);
  return { size: M, block: B, count, blocks };
}

/** Rows [start, end) of block index I. */
export function blockRange(grid: BlockGrid, I: number): [number, number] {
  return [I * grid.block, Math.min(grid.size, (I + 1) * grid.block)];
}

/** Pairs a block costs the kernel (a diagonal block is a self matrix: half). */
function blockCost(grid: BlockGrid, [I, J]: [number, number]): number {
  const [a0, a1] = blockRange(grid, I), [b0, b1] = blockRange(grid, J);
  return I === J ? ((a1 - a0) * (a1 - a0 - 1)) / 2 + 1 : (a1 - a0) * (b1 - b0);
}

/**
 * The blocks split into `tasks` contiguous runs of the row-major order with about equal kernel cost (so that a task
 * reads the rows of one block-row once for many blocks). Returns, per task, indices into `grid.blocks`.
 */
export function blockTasks(grid: BlockGrid, tasks: number): number[][] {
  validate(tasks, integer(1), "tasks", { source: "exact InPCA" });
  if (tasks > grid.blocks.length) throw new InpcaInputError(`exact InPCA: ${tasks} tasks for ${grid.blocks.length} blocks; use at most one task per block (or a smaller --block)`);
  const cost = grid.blocks.map((b) => blockCost(grid, b));
  const total = cost.reduce((a, b) => a + b, 0);
  const out: number[][] = Array.from({ length: tasks }, () => []);
  let acc = 0;
  let t = 0;
  for (let k = 0; k < cost.length; k++) {
    // move on when this task has its share, leaving at least one block for each later task
    while (t < tasks - 1 && out[t]!.length > 0 && (acc >= ((t + 1) * total) / tasks || cost.length - k <= tasks - 1 - t)) t++;
    out[t]!.push(k);
    acc += cost[k]!;
  }
  return out;
}

/** A BlockStore in memory (for sets whose full matrix fits the budget). */
export function memoryBlockStore(): BlockStore {
  const blocks = new Map<string, { values: Float32Array; origin: BlockOrigin | null }>();
  const key = (I: number, J: number) => `${I},${J}`;
  return {
    read: (I, J) => blocks.get(key(I, J))?.values ?? "missing",
    write: (I, J, values, origin) => void blocks.set(key(I, J), { values, origin: origin ?? null }),
    origin: (I, J) => blocks.get(key(I, J))?.origin ?? null,
    name: (I, J) => `block (${I}, ${J})`,
  };
}

/** Options of `computeBlocks`. */
export interface BlockComputeOptions extends ProgressOptions {
  /** Only the sample subset (ascending indices); default all. */
  samples?: Int32Array;
  /** Arithmetic of the kernel (default "f64"; the values are stored as float32 either way). */
  precision?: Precision;
  /** Worker threads (default all cores). */
  threads?: number;
  signal?: AbortSignal;
  /** The source's stamp, recorded with each block written (`sourceStamp` in io/). */
  stamp?: string | null;
  /** Blocks (indices into `grid.blocks`) to compute again even though they read back whole (found stale). */
  recompute?: ReadonlySet<number>;
}

/**
 * The content digest of each block-row range as the stored blocks record it (from their origins), or throws an
 * InpcaInputError naming the blocks when two of them were computed from different predictions of the same
 * model-points (the source changed between tasks). Ranges no usable block records are absent.
 */
export function recordedDigests(grid: BlockGrid, store: BlockStore, exclude?: ReadonlySet<number>): Map<number, { digest: string; from: string }> {
  const seen = new Map<number, { digest: string; from: string }>();
  const conflicts: string[] = [];
  for (const [k, [I, J]] of grid.blocks.entries()) {
    if (exclude?.has(k)) continue;
    const o = store.origin(I, J);
    if (!o) continue;
    for (const [R, d] of [[I, o.rows], [J, o.cols]] as const) {
      const had = seen.get(R);
      if (!had) seen.set(R, { digest: d, from: store.name(I, J) });
      else if (had.digest !== d) {
        const [a, b] = blockRange(grid, R);
        conflicts.push(`${store.name(I, J)} and ${had.from} were computed from different predictions of model-points ${a}–${b - 1}`);
      }
    }
  }
  if (conflicts.length) {
    throw new InpcaInputError(`the stored blocks were computed from two versions of the source (it changed between tasks):\n  ${conflicts.slice(0, 10).join("\n  ")}${conflicts.length > 10 ? `\n  … and ${conflicts.length - 10} more` : ""}\nplan again with --fresh (or empty the work folder) and run every task again`);
  }
  return seen;
}

/**
 * Reads the source's block-row ranges that the stored blocks `which` record (one pass over those rows) and
 * compares their content digests with the blocks' origins. Returns the blocks computed from other predictions,
 * with the model-points that differ, and the digest of every range read.
 */
export async function staleBlocks(src: PredictionSource, grid: BlockGrid, store: BlockStore, which: readonly number[], options: { samples?: Int32Array; signal?: AbortSignal } & ProgressOptions = {}): Promise<{ stale: { block: number; reason: string }[]; digests: Map<number, string> }> {
  const ranges = new Set<number>();
  const origins = new Map<number, BlockOrigin>();
  for (const k of which) {
    const o = store.origin(...grid.blocks[k]!);
    if (!o) continue;
    origins.set(k, o);
    ranges.add(grid.blocks[k]![0]).add(grid.blocks[k]![1]);
  }
  const digests = new Map<number, string>();
  const bar = reporter("exact: checking the source against the blocks", ranges.size, options);
  for (const R of [...ranges].sort((a, b) => a - b)) {
    if (options.signal?.aborted) throw new InpcaAbortError("exactInpca");
    const [a, b] = blockRange(grid, R);
    digests.set(R, setDigest(await src.read(Array.from({ length: b - a }, (_, i) => a + i), options.samples)));
    bar.update(digests.size);
  }
  bar.done();
  const stale: { block: number; reason: string }[] = [];
  for (const [k, o] of origins) {
    const [I, J] = grid.blocks[k]!;
    const changed = (I === J ? [[I, o.rows]] : [[I, o.rows], [J, o.cols]]).filter(([R, d]) => digests.get(R as number) !== d).map(([R]) => blockRange(grid, R as number));
    if (changed.length) stale.push({ block: k, reason: `computed from other predictions of model-points ${changed.map(([a, b]) => `${a}–${b - 1}`).join(" and ")} than the source holds now` });
  }
  return { stale, digests };
}

/**
 * Computes the blocks `which` (indices into `grid.blocks`) of the source's distance matrix that `store` does not
 * hold whole, and writes each to `store` as soon as it is done (so an interrupted run resumes block by block).
 * Reads the rows of a block-row once for all its blocks. Returns how many were computed and how many skipped.
 */
export async function computeBlocks(src: PredictionSource, grid: BlockGrid, store: BlockStore, which: readonly number[], options: BlockComputeOptions = {}): Promise<{ computed: number; skipped: number }> {
  // a block is done when it reads back whole and matches its checksum; a damaged one is computed again
  const scratch = new Float32Array(grid.block * grid.block);
  const todo = which.filter((k) => options.recompute?.has(k) || typeof store.read(...grid.blocks[k]!, { into: scratch }) === "string");
  // what the other stored blocks say each range's predictions were: a range read now must be the same
  const recorded = todo.length ? recordedDigests(grid, store, options.recompute) : new Map<number, { digest: string; from: string }>();
  const distance = { precision: options.precision ?? "f64", threads: options.threads, showProgress: false as const, signal: options.signal };
  const bar = reporter("exact blocks", todo.length, options);
  let rowsI = -1;
  let rowsSet: PredictionSet | undefined;
  let rowsDigest = "";
  // each range's digest is taken the first time this call reads it (a range is read for many blocks)
  const digested = new Map<number, string>();
  const read = async (I: number): Promise<[PredictionSet, string]> => {
    const [a, b] = blockRange(grid, I);
    const set = await src.read(Array.from({ length: b - a }, (_, i) => a + i), options.samples);
    const d = digested.get(I) ?? setDigest(set);
    digested.set(I, d);
    const had = recorded.get(I);
    if (had && had.digest !== d) {
      throw new InpcaInputError(`the predictions of model-points ${a}–${b - 1} of ${src.name} are not those ${had.from} was computed from: the source changed since; if that is intended, plan again with --fresh (or empty the work folder) and run every task again`);
    }
    return [set, d];
  };
  let done = 0;
  for (const k of todo) {
    if (options.signal?.aborted) throw new InpcaAbortError("exactInpca");
    const [I, J] = grid.blocks[k]!;
    if (rowsI !== I || !rowsSet) {
      [rowsSet, rowsDigest] = await read(I);
      rowsI = I;
    }
    let colsDigest = rowsDigest;
    let d;
    if (I === J) d = await bhattacharyya(rowsSet, distance);
    else {
      const [cols, cd] = await read(J);
      colsDigest = cd;
      d = await bhattacharyya(rowsSet, cols, distance);
    }
    store.write(I, J, Float32Array.from(d.data), { rows: rowsDigest, cols: colsDigest, stamp: options.stamp ?? null });
    bar.update(++done);
    failpoint(`exact-blocks:${done}`);
  }
  bar.done();
  return { computed: todo.length, skipped: which.length - todo.length };
}

/** What one pass over the blocks gives: the row means of D, its grand mean, and ‖W‖²_F of W = −½ J D J. */
export interface BlockMoments {
  rowMeans: Float64Array;
  grandMean: number;
  frobenius2: number;
}

/**
 * One pass over every block: checks each (all bad blocks are named together, in one InpcaInputError; nothing is
 * returned then) and accumulates the row sums and Σ D²; ‖W‖²_F = ¼ (Σ D² − 2M Σ r_i² + M² g²), r the row means
 * and g the grand mean (expand Σ_ij (D_ij − r_i − r_j + g)²).
 */
export function blockMoments(grid: BlockGrid, store: BlockStore, options: ProgressOptions & { signal?: AbortSignal } = {}): BlockMoments {
  const M = grid.size;
  const sums = new Float64Array(M);
  let squares = 0;
  const problems: string[] = [];
  const bar = reporter("exact: checking blocks", grid.blocks.length, options);
  let buffer = new Float32Array(0);
  grid.blocks.forEach(([I, J], k) => {
    if (options.signal?.aborted) throw new InpcaAbortError("exactInpca");
    const [a0, a1] = blockRange(grid, I), [b0, b1] = blockRange(grid, J);
    const r = a1 - a0, c = b1 - b0;
    if (buffer.length < r * c) buffer = new Float32Array(r * c);
    const v = store.read(I, J, { into: buffer });
    if (typeof v === "string") return void problems.push(`${store.name(I, J)}: ${v}`);
    if (v.length !== r * c) return void problems.push(`${store.name(I, J)}: corrupt: ${v.length} values, expected ${r} × ${c}`);
    let sq = 0;
    for (let i = 0; i < r; i++) {
      let s = 0;
      const off = i * c;
      for (let j = 0; j < c; j++) {
        const d = v[off + j]!;
        if (!Number.isFinite(d)) {
          problems.push(`${store.name(I, J)}: corrupt: a non-finite distance at model-points ${a0 + i} and ${b0 + j}`);
          return;
        }
        s += d;
        sq += d * d;
        if (I !== J) sums[b0 + j] += d;
      }
      sums[a0 + i] += s;
    }
    squares += I === J ? sq : 2 * sq;
    bar.update(k + 1);
  });
  bar.done();
  if (problems.length) {
    throw new InpcaInputError(`${problems.length} of ${grid.blocks.length} blocks of the distance matrix ${problems.length === 1 ? "is" : "are"} not usable; re-run ${problems.length === 1 ? "its task" : "their tasks"} (nothing was written):\n  ${problems.slice(0, 20).join("\n  ")}${problems.length > 20 ? `\n  … and ${problems.length - 20} more` : ""}`);
  }
  const rowMeans = sums.map((s) => s / M);
  let g = 0, r2 = 0;
  for (let i = 0; i < M; i++) {
    g += rowMeans[i]! / M;
    r2 += rowMeans[i]! ** 2;
  }
  return { rowMeans, grandMean: g, frobenius2: Math.max(0, (squares - 2 * M * r2 + M * M * g * g) / 4) };
}

/**
 * y = W x for W = −½ J D J, streaming D's blocks from `store` (the first ones, up to `resident` bytes, kept in
 * memory after the first product): W x = −½ (D x − r Σx − (rᵀx) 1 + g Σx 1). Each block (I, J), I < J, serves
 * both D_IJ x_J and D_IJᵀ x_I. Blocks are read without re-checking their checksums (`blockMoments` checked them).
 */
export function centredBlockOperator(grid: BlockGrid, store: BlockStore, moments: BlockMoments, resident: number): SymmetricOperator & { streamedBytes: number; residentBytes: number } {
  const M = grid.size;
  const kept = new Map<number, Float32Array>();
  let room = resident;
  const buffer = new Float32Array(grid.block * grid.block);
  const dx = new Float64Array(M);
  const op = {
    size: M,
    /** Bytes read from the store by the products after the first (blocks not kept), and bytes kept. */
    streamedBytes: 0,
    residentBytes: 0,
    apply(x: Float64Array, y: Float64Array): void {
      dx.fill(0);
      grid.blocks.forEach(([I, J], k) => {
        const [a0, a1] = blockRange(grid, I), [b0, b1] = blockRange(grid, J);
        const r = a1 - a0, c = b1 - b0;
        let v = kept.get(k);
        if (!v) {
          const got = store.read(I, J, { verify: false, into: room >= r * c * 4 ? undefined : buffer });
          if (typeof got === "string") throw new InpcaInputError(`${store.name(I, J)}: ${got} (it changed while the eigen-solver ran)`);
          v = got;
          if (room >= r * c * 4) {
            kept.set(k, v);
            room -= r * c * 4;
            op.residentBytes += r * c * 4;
          } else op.streamedBytes += r * c * 4;
        }
        for (let i = 0; i < r; i++) {
          const off = i * c;
          const xi = x[a0 + i]!;
          let s = 0;
          if (I === J) {
            for (let j = 0; j < c; j++) s += v[off + j]! * x[b0 + j]!;
          } else {
            for (let j = 0; j < c; j++) {
              const d = v[off + j]!;
              s += d * x[b0 + j]!;
              dx[b0 + j] += d * xi;
            }
          }
          dx[a0 + i] += s;
        }
      });
      let sx = 0, rx = 0;
      for (let i = 0; i < M; i++) {
        sx += x[i]!;
        rx += moments.rowMeans[i]! * x[i]!;
      }
      const g = moments.grandMean;
      for (let i = 0; i < M; i++) y[i] = -0.5 * (dx[i]! - moments.rowMeans[i]! * sx - rx + g * sx);
    },
  };
  return op;
}

/** Options of `exactInpcaOfBlocks` and `exactInpca`. */
export interface ExactSolveOptions extends ProgressOptions {
  /** Axes to keep (default 3). */
  dims?: number;
  /** Eigenvalues by |λ| reported in `spectrum` and the explained stress (default 20, at least dims: each costs matrix passes). */
  spectrum?: number;
  /**
   * Bytes of blocks the eigen-solver keeps in memory (default the memory budget: an eighth of the machine, at most
   * 2 GiB): a number of bytes or a size such as "512M" or "3G".
   */
  memory?: number | string;
  /** Relative residual tolerance of Lanczos (default 1e-10). */
  tol?: number;
  /** Seed of the Lanczos start vector (default 1). */
  seed?: number;
  signal?: AbortSignal;
}

/** How an out-of-core solve went: matrix passes, what stayed resident, what was streamed, seconds. */
export interface ExactSolveReport {
  /** Products with W (matrix passes over the blocks). */
  matvecs: number;
  /** Lanczos restarts. */
  restarts: number;
  /** Largest residual ‖W x − λ x‖ / max|λ| of the kept pairs. */
  residual: number;
  /** Bytes of blocks kept in memory after the first product. */
  residentBytes: number;
  /** Bytes of blocks read from disk over all products. */
  streamedBytes: number;
  /** Wall seconds of the solve. */
  seconds: number;
}

/**
 * Exact InPCA of the matrix stored as `grid`'s blocks: checks every block, computes the moments, and solves for
 * the top |λ| eigenpairs of W out of core. `meta` holds one row per model-point. The Embedding is that of
 * `inpca` (coordinates v √|λ|, signed eigenvalues, ES(k) against ‖W‖²_F), with the basis for `addPoints`.
 */
export function exactInpcaOfBlocks(grid: BlockGrid, store: BlockStore, meta: PredictionSet["meta"], raw: ExactSolveOptions = {}): { embedding: Embedding; report: ExactSolveReport } {
  const t0 = Date.now();
  const options = checkExactOptions(raw, Infinity);
  const M = grid.size;
  const dims = Math.min(options.dims ?? 3, M);
  const K = Math.min(M, Math.max(dims, options.spectrum ?? 20));
  const moments = blockMoments(grid, store, options);
  recordedDigests(grid, store); // every block of one version of the source, or refused naming them
  const budget = (options.memory as number | undefined) ?? defaultMemoryBudget(totalmem());
  // the Krylov basis and its work vectors come first; the rest of the budget holds blocks
  const basisBytes = (Math.max(2 * K + 20, 40) + 4) * M * 8;
  const op = centredBlockOperator(grid, store, moments, Math.max(0, budget - basisBytes));
  const signal = options.signal;
  const bar = reporter("exact: eigen-solver (converged pairs)", K, options);
  let pairs;
  try {
    pairs = lanczos(op, K, { tol: options.tol, seed: options.seed, shouldStop: () => signal?.aborted === true, onRestart: (_, converged) => bar.update(converged) });
  } catch (e) {
    if (signal?.aborted) throw new InpcaAbortError("exactInpca");
    throw e;
  }
  bar.done();
  const { eigenvalues, eigenvectors, coords } = coordinatesOf(pairs, M, dims);
  const embedding = new Embedding({
    coords, points: M, dims, eigenvalues,
    spectrum: pairs.values.slice(0, K),
    explainedStress: explainedStress(pairs.values.slice(0, K), moments.frobenius2),
    frobenius2: moments.frobenius2,
    meta,
    basis: { size: M, eigenvectors, columnMeans: moments.rowMeans, grandMean: moments.grandMean },
  });
  return {
    embedding,
    report: { matvecs: pairs.matvecs, restarts: pairs.restarts, residual: pairs.residual, residentBytes: op.residentBytes, streamedBytes: op.streamedBytes, seconds: (Date.now() - t0) / 1000 },
  };
}


/** The rules every option of exact InPCA is checked against before anything runs (`validateOptions`). */
export const EXACT_OPTION_RULES: Readonly<Record<string, Rule>> = {
  dims: integer(1), spectrum: integer(1), memory: memory(), tol: number(0, 1, true), seed: integer(0),
  block: integer(1), precision: oneOf("f32", "f64"), threads: integer(1, 1024), samples: any(), store: any(),
  showProgress: oneOf(true, false, "auto"), signal: any(), onProgress: any(), stamp: any(), recompute: any(), work: any(),
};

/** The options of exact InPCA, checked (`EXACT_OPTION_RULES`), with `memory` in bytes and `samples` checked against S. */
export function checkExactOptions<T extends ExactOptions>(options: T | undefined, samples: number, source = "exactInpca"): T & { memory?: number } {
  const o = validateOptions(options, EXACT_OPTION_RULES, source) as T & { memory?: number };
  if (o.samples !== undefined) {
    const s = o.samples as unknown;
    if (!(s instanceof Int32Array)) throw new InpcaInputError(`${source}: samples must be an Int32Array of ascending sample indices`);
    for (let i = 0; i < s.length; i++) {
      if (!(s[i]! >= 0 && s[i]! < samples) || (i > 0 && s[i]! <= s[i - 1]!)) throw new InpcaInputError(`${source}: samples[${i}] is ${s[i]}; expected ascending sample indices in [0, ${samples})`);
    }
    if (s.length === 0) throw new InpcaInputError(`${source}: samples is empty`);
  }
  return o;
}

/** Options of `exactInpca`. */
export interface ExactOptions extends ExactSolveOptions, Omit<BlockComputeOptions, "signal" | keyof ProgressOptions> {
  /** Model-points per block edge (default 2,000: 16 MB a float32 block). */
  block?: number;
  /**
   * Where the blocks go: a BlockStore (`blockStore(dir)` for a folder, which an interrupted run resumes from).
   * Default: in memory when the float32 upper triangle fits `memory`, else an error asking for one.
   */
  store?: BlockStore;
}

/**
 * Exact InPCA of every model-point of a source (or a set), past memory (the public `exactInpca` in
 * exact-inpca.ts adds a folder for the blocks): computes the blocks of the distance
 * matrix the store lacks (resumable), then `exactInpcaOfBlocks`. Returns the Embedding; `report` says how the
 * solve went. Throws InpcaInputError when the matrix does not fit `memory` and no store is given.
 */
export async function exactInpcaOfSource(input: PredictionSet | PredictionSource, raw: ExactOptions = {}): Promise<{ embedding: Embedding; report: ExactSolveReport & { computed: number; skipped: number } }> {
  const src = sourceOf(input);
  const options = checkExactOptions(raw, src.samples);
  const grid = blockGrid(src.models, Math.min(src.models, options.block ?? 2000));
  const budget = options.memory ?? defaultMemoryBudget(totalmem());
  const matrixBytes = (src.models * (src.models + grid.block)) * 2;
  let store = options.store;
  if (!store) {
    if (matrixBytes > budget) throw new InpcaInputError(`exactInpca: the distance matrix of ${src.models} model-points takes ${(matrixBytes / 2 ** 20).toFixed(0)} MiB as float32 blocks, more than the memory budget of ${(budget / 2 ** 20).toFixed(0)} MiB; give a folder for the blocks (ip.exactInpca(source, { work: "…" })), or raise \`memory\``);
    store = memoryBlockStore();
  }
  const all = grid.blocks.map((_, k) => k);
  const { computed, skipped } = await computeBlocks(src, grid, store, all, { ...options, signal: options.signal });
  const { embedding, report } = exactInpcaOfBlocks(grid, store, src.meta, options);
  return { embedding, report: { ...report, computed, skipped } };
}

