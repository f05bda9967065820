/**
 * Distance matrices between model-points (docs/methods.md §2): the intensive Bhattacharyya distance
 *   d_B(u, v) = -(1/S) Σ_n log Σ_c sqrt(p_u(c|x_n) · p_v(c|x_n)),
 * each per-sample term capped at 100 and clamped at 0, accumulated in float64, every row of C probabilities
 * divided by its sum first (stored float16/float32 rows sum to 1 only up to rounding); and the two alternatives of the
 * authors' code, a Hellinger-type squared Euclidean distance on square-root probabilities and the symmetric KL
 * divergence. Units: nats per sample. InPCA uses these values as squared distances.
 *
 * `bhattacharyya` spreads the work over worker threads (one per core) and shows progress; `bhattacharyyaSync`
 * runs the same kernel on the calling thread. Both give bit-identical matrices.
 */
import { Worker } from "node:worker_threads";
import { DistanceMatrix, type DivergenceKind } from "../core/distance-matrix.js";
import { InpcaAbortError, InpcaInputError } from "../core/errors.js";
import { assertSameSamples, type PredictionSet } from "../core/prediction-set.js";
import { operationSignal, reporter, type ProgressOptions } from "../core/progress.js";
import { BlockEngine, assignPairs, basisJob, chooseBlock, engineBytes, finishMatrix, rowPairs, type PairJob, type Precision } from "./pairwise/engine.js";
import { defaultThreads, runOnWorkers } from "./pairwise/pool.js";
import { kernelModule, workerFile } from "./pairwise/runtime.js";
import { integer, oneOf, validate } from "../core/options.js";

/** Options of the distance functions. */
export interface DistanceOptions extends ProgressOptions {
  /** Worker threads (default: one per core). 0 computes on the calling thread. Small jobs always do. */
  threads?: number;
  /** Samples per block (default: as many as keep a thread's buffers under ~96 MiB, at most 512). */
  block?: number;
  /**
   * Arithmetic of the per-sample Bhattacharyya coefficients (default "f64"). "f32" stores the square roots and
   * sums each coefficient in float32 lanes (about twice as fast; the clamp, the products over samples and the
   * logs stay float64): each distance differs from the "f64" one by ~1e-7 nats (docs/benchmarks.md), far
   * below the float16 rounding of stored predictions. Both are bit-identical across thread counts.
   */
  precision?: Precision;
}

/** Work (pairs × samples) below which threads cost more than they save. */
const THREAD_THRESHOLD = 4e6;

/**
 * The Bhattacharyya distance matrix of one set with itself (M × M, symmetric, zero diagonal), or between the
 * model-points of `a` (rows) and `b` (columns): Ma × Mb. Float64, nats per sample.
 * Runs on all cores; long runs draw a progress bar and stop with InpcaAbortError on `signal` or the kernel's
 * interrupt. Throws InpcaInputError when `a` and `b` are not on the same samples.
 */
export async function bhattacharyya(a: PredictionSet, b?: PredictionSet | DistanceOptions, options: DistanceOptions = {}): Promise<DistanceMatrix> {
  const [other, opts] = splitArgs(b, options);
  const threads = Math.min(opts.threads ?? defaultThreads(), rowPairs(a.models));
  const work = (a.models * (other ?? a).models * a.samples) / (other ? 1 : 2);
  if (threads <= 0 || work < THREAD_THRESHOLD) return bhattacharyyaSync(a, other ?? undefined, opts);
  const job = makeJob(a, other, opts);
  const blocks = Math.ceil(job.samples / job.block);
  const total = blocks * rowPairs(job.rowCount);
  const bar = reporter("bhattacharyya", total, opts);
  const control = new Int32Array(new SharedArrayBuffer(8));
  const op = operationSignal(opts.signal);
  const stop = () => Atomics.store(control, 0, 1);
  op.signal.addEventListener("abort", stop);
  if (op.signal.aborted) stop();
  const timer = setInterval(() => bar.update(Atomics.load(control, 1)), 200);
  try {
    const complete = await runOnWorkers(kernelModule(), job, assignPairs(job, threads), control);
    // the work units finished when it stopped (onProgress sees them: how far it got, not how long it took)
    if (!complete) {
      bar.update(Atomics.load(control, 1));
      throw new InpcaAbortError("bhattacharyya");
    }
  } finally {
    clearInterval(timer);
    op.signal.removeEventListener("abort", stop);
    op.release();
  }
  bar.done();
  return wrap(job, a, other, "bhattacharyya");
}

/**
 * The Bhattacharyya distance matrix computed on the calling thread (same kernel, same result bit for bit as
 * `bhattacharyya`). For small sets, scripts and tests; blocks the thread for large ones.
 */
export function bhattacharyyaSync(a: PredictionSet, b?: PredictionSet | DistanceOptions, options: DistanceOptions = {}): DistanceMatrix {
  const [other, opts] = splitArgs(b, options);
  const job = makeJob(a, other, opts);
  const engine = new BlockEngine(kernelModule(), job);
  const pairs = Array.from({ length: rowPairs(job.rowCount) }, (_, k) => k);
  const signal = opts.signal;
  if (!engine.run(pairs, () => signal?.aborted === true)) throw new InpcaAbortError("bhattacharyya");
  return wrap(job, a, other, "bhattacharyya");
}

/** Largest basis whose packed square roots `bhattacharyyaTo` keeps (M·S·C float64, 256 MB); above it, each call packs anew. */
export const BASIS_CACHE_BYTES = 256 * 2 ** 20;

/**
 * Distances from new model-points to a fixed set `basis`, for placing checkpoints one at a time (the live map):
 * the basis's square-rooted normalised rows are packed into the WebAssembly kernel's memory once (M·S·C float64,
 * if within BASIS_CACHE_BYTES), so each call packs only the new rows and runs the kernel on the calling thread.
 * The numbers are those of `bhattacharyyaSync(a, basis)` (the same kernel): intensive (mean over samples), the
 * per-sample term −log BC with BC clamped to [e^−TERM_CAP, 1]. Returns a function of a set on the basis's
 * samples → DistanceMatrix [a.models, basis.models] (nats per sample). `precision: "f32"` (as for `bhattacharyya`)
 * halves the memory and the time, at ~1e-7 relative error.
 */
export function bhattacharyyaTo(basis: PredictionSet, options: { precision?: Precision } = {}): (a: PredictionSet) => DistanceMatrix {
  const { models: M, samples: S, classes: C } = basis;
  const precision = options.precision ?? "f64";
  if (engineBytes(1, M, C, S, false, precision) > BASIS_CACHE_BYTES) return (a) => bhattacharyyaSync(a, basis, { showProgress: false, precision });
  const job = basisJob(basis.probs, M, S, C, precision);
  let engine: BlockEngine;
  try {
    engine = new BlockEngine(kernelModule(), job);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    return (a) => bhattacharyyaSync(a, basis, { showProgress: false, precision }); // no room for the packed basis: pack per call
  }
  engine.packColumns();
  return (a) => {
    assertSameSamples(a, basis, "bhattacharyyaTo: the new model-points and the basis");
    const out = new Float64Array(a.models * M);
    for (let i = 0; i < a.models; i++) out.set(engine.distancesOfRow(a.probs.subarray(i * S * C, (i + 1) * S * C)), i * M);
    return new DistanceMatrix({ data: out, rows: a.models, cols: M, kind: "bhattacharyya", rowMeta: a.meta, colMeta: basis.meta, symmetric: false });
  };
}

/**
 * `bhattacharyyaTo` on a worker thread of its own, for a caller that must not wait: the basis (M model-points,
 * S samples, C classes) is copied to the worker and packed there once; `distances(row)` sends one model-point's
 * S·C probabilities (row-major [sample][class], on the basis's samples) and resolves with its M distances to the
 * basis (Float64Array, nats per sample, bit-identical to `bhattacharyyaTo`), answering requests in the order they
 * were made. The calling thread only copies the row (S·C floats) and receives M doubles, so a training loop on it
 * goes on while the worker computes. `ready` resolves when the basis is packed; `close()` ends the worker (pending
 * requests reject). An idle worker does not keep Node or a notebook kernel from exiting. Throws InpcaInputError on
 * a row of the wrong length; rejects when the basis does not fit the worker's kernel memory.
 */
export interface OffThreadDistances {
  /** Resolves when the basis is packed on the worker. */
  readonly ready: Promise<void>;
  /** One model-point's S·C probabilities (row-major [sample][class]) → its M distances to the basis, nats per sample. */
  distances(row: Float32Array): Promise<Float64Array>;
  /** Ends the worker; pending requests reject. */
  close(): Promise<void>;
}

/** See `OffThreadDistances`. */
export function bhattacharyyaToOffThread(basis: PredictionSet, options: { precision?: Precision } = {}): OffThreadDistances {
  const { models: M, samples: S, classes: C } = basis;
  // a view into a larger (ordinary) buffer would be cloned whole: send exactly the basis's probabilities; a view
  // of a SharedArrayBuffer is shared with the worker, not copied
  const whole = basis.probs.byteLength === basis.probs.buffer.byteLength || basis.probs.buffer instanceof SharedArrayBuffer;
  const cols = whole ? basis.probs : basis.probs.slice();
  const job = basisJob(cols, M, S, C, options.precision ?? "f64");
  const worker = new Worker(workerFile());
  worker.unref();
  const waiting = new Map<number, { resolve: (d: Float64Array) => void; reject: (e: Error) => void }>();
  let next = 0;
  let closed = false;
  let settleReady: { resolve: () => void; reject: (e: Error) => void };
  const ready = new Promise<void>((resolve, reject) => (settleReady = { resolve, reject }));
  ready.catch(() => { /* reported through distances() */ });
  const failAll = (e: Error) => {
    for (const w of waiting.values()) w.reject(e);
    waiting.clear();
    worker.unref();
  };
  worker.on("message", (m: { ready?: boolean; id?: number; distances?: Float64Array; error?: string }) => {
    if (m.ready) return settleReady.resolve();
    if (m.id === undefined) {
      const e = new Error(`inpca: the distance worker failed: ${m.error}`);
      settleReady.reject(e);
      return failAll(e);
    }
    const w = waiting.get(m.id);
    waiting.delete(m.id);
    if (waiting.size === 0) worker.unref();
    if (!w) return;
    if (m.error !== undefined) w.reject(new Error(`inpca: the distance worker failed: ${m.error}`));
    else w.resolve(m.distances!);
  });
  worker.on("error", (e) => {
    settleReady.reject(e);
    failAll(e);
  });
  worker.postMessage({ basis: { module: kernelModule(), job } });
  return {
    ready,
    distances(row: Float32Array): Promise<Float64Array> {
      if (row.length !== S * C) throw new InpcaInputError(`bhattacharyyaToOffThread: a row has ${row.length} probabilities; the basis's samples need ${S} samples × ${C} classes = ${S * C}`);
      if (closed) return Promise.reject(new Error("bhattacharyyaToOffThread: closed"));
      const id = next++;
      return new Promise<Float64Array>((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        worker.ref();
        worker.postMessage({ id, row });
      });
    },
    async close(): Promise<void> {
      closed = true;
      failAll(new Error("bhattacharyyaToOffThread: closed"));
      await worker.terminate();
    },
  };
}

/**
 * Distances from a few model-points at a time to a fixed set `basis` (M model-points) that stays packed on the
 * worker threads: the basis is split into one contiguous slice per thread, each slice square-rooted once on its
 * worker (`bhattacharyyaToOffThread`), and every call sends only the new rows. For algorithms that ask for many
 * narrow column blocks of one pool (the pivoted landmark selection): `bhattacharyya(pool, few)` would square-root
 * the whole pool on every call, which at 3,000 × 500 × 10 took 5× the pairs' own time. Shares the basis's
 * probabilities with the workers when they are on a SharedArrayBuffer (else copies each slice once); the packed
 * copy is M·S·C float32 or float64 values in all. `distances(a)` → Float64Array [a.models, M] row-major, nats
 * per sample (the numbers of `bhattacharyya(a, basis)`, summed in one block of samples); `close()` ends the workers.
 */
export interface ResidentDistances {
  /** Distances from the model-points of `a` to the basis: Float64Array [a.models, M] row-major, nats per sample. */
  distances(a: PredictionSet): Promise<Float64Array>;
  /** Ends the workers. */
  close(): Promise<void>;
}

/** See `ResidentDistances`. `threads` defaults to the machine's parallelism. */
export function bhattacharyyaResident(basis: PredictionSet, options: { precision?: Precision; threads?: number } = {}): ResidentDistances {
  const { models: M, samples: S, classes: C } = basis;
  const T = Math.max(1, Math.min(options.threads ?? defaultThreads(), M));
  const bounds = Array.from({ length: T + 1 }, (_, t) => Math.round((t * M) / T));
  const parts = Array.from({ length: T }, (_, t) => {
    const [lo, hi] = [bounds[t]! * S * C, bounds[t + 1]! * S * C];
    const probs = basis.probs.buffer instanceof SharedArrayBuffer ? basis.probs.subarray(lo, hi) : basis.probs.slice(lo, hi);
    // bhattacharyyaToOffThread reads only the shape and the probabilities of its basis
    return bhattacharyyaToOffThread({ probs, models: bounds[t + 1]! - bounds[t]!, samples: S, classes: C } as PredictionSet, options);
  });
  return {
    async distances(a: PredictionSet): Promise<Float64Array> {
      assertSameSamples(a, basis, "bhattacharyyaResident: the new model-points and the basis");
      const out = new Float64Array(a.models * M);
      await Promise.all(parts.map(async (part, t) => {
        const lo = bounds[t]!;
        // a view of an ordinary buffer would be cloned whole into each message: send a copy of the row alone
        const row = (i: number) => (a.probs.buffer instanceof SharedArrayBuffer ? a.probs.subarray : a.probs.slice).call(a.probs, i * S * C, (i + 1) * S * C);
        const rows = await Promise.all(Array.from({ length: a.models }, (_, i) => part.distances(row(i))));
        rows.forEach((d, i) => out.set(d, i * M + lo));
      }));
      return out;
    },
    async close(): Promise<void> {
      await Promise.all(parts.map((p) => p.close()));
    },
  };
}

/**
 * Hellinger-type squared Euclidean distance on square-root probabilities, intensive:
 *   d_H(u, v) = (1/S) Σ_n Σ_c (sqrt p_u(c|x_n) - sqrt p_v(c|x_n))²   (= 2 - 2·mean BC for normalised rows).
 * M × M (or Ma × Mb with `b`), float64. Computed on the calling thread.
 */
export function hellinger(a: PredictionSet, b?: PredictionSet, options: ProgressOptions = {}): DistanceMatrix {
  return scalarMatrix(a, b, "hellinger", options, (x) => Math.sqrt(x), (u, uo, v, vo, C) => {
    let s = 0;
    for (let c = 0; c < C; c++) {
      const d = u[uo + c]! - v[vo + c]!;
      s += d * d;
    }
    return s;
  });
}

/** Probabilities below this are treated as this value by `symmetricKL`, so that the divergence stays finite. */
export const KL_FLOOR = 1e-12;

/**
 * Symmetric Kullback–Leibler divergence, intensive: (1/S) Σ_n ½ [KL(p_u‖p_v) + KL(p_v‖p_u)]
 *   = (1/S) Σ_n ½ Σ_c (p_u - p_v)(log p_u - log p_v), with probabilities floored at KL_FLOOR (1e-12).
 * M × M (or Ma × Mb with `b`), float64, nats per sample. Computed on the calling thread.
 */
export function symmetricKL(a: PredictionSet, b?: PredictionSet, options: ProgressOptions = {}): DistanceMatrix {
  const C = a.classes;
  // rows hold [p_0..p_{C-1}, log p_0..log p_{C-1}] per sample
  return scalarMatrix(a, b, "symmetricKL", options, null, (u, uo, v, vo) => {
    let s = 0;
    for (let c = 0; c < C; c++) s += (u[uo + c]! - v[vo + c]!) * (u[uo + C + c]! - v[vo + C + c]!);
    return 0.5 * s;
  }, (p) => {
    const out = new Float64Array(2 * p.length);
    for (let n = 0; n < p.length / C; n++) {
      for (let c = 0; c < C; c++) {
        const x = Math.max(p[n * C + c]!, KL_FLOOR);
        out[2 * n * C + c] = x;
        out[2 * n * C + C + c] = Math.log(x);
      }
    }
    return out;
  });
}

function splitArgs(b: PredictionSet | DistanceOptions | undefined, options: DistanceOptions): [PredictionSet | null, DistanceOptions] {
  if (b && typeof (b as PredictionSet).probs === "object" && (b as PredictionSet).probs instanceof Float32Array) return [b as PredictionSet, options];
  return [null, { ...(b as DistanceOptions | undefined), ...options }];
}

function shared(x: Float32Array): Float32Array {
  if (x.buffer instanceof SharedArrayBuffer) return x;
  const s = new Float32Array(new SharedArrayBuffer(x.byteLength));
  s.set(x);
  return s;
}

function makeJob(a: PredictionSet, b: PredictionSet | null, options: DistanceOptions): PairJob {
  if (b) assertSameSamples(a, b, "bhattacharyya(a, b): a and b");
  const self = b === null;
  const colCount = b ? b.models : a.models;
  if (a.samples === 0) throw new InpcaInputError("bhattacharyya: the prediction set has no samples");
  const precision = options.precision ?? "f64";
  validate(precision, oneOf("f64", "f32"), "precision", { source: "bhattacharyya" });
  const block = options.block ?? chooseBlock(a.models, colCount, a.samples, a.classes, self, undefined, precision);
  validate(block, integer(1), "block", { source: "bhattacharyya" });
  return {
    rows: shared(a.probs),
    cols: b ? shared(b.probs) : null,
    rowCount: a.models,
    colCount,
    samples: a.samples,
    classes: a.classes,
    block: Math.min(block, a.samples),
    precision,
    sums: new Float64Array(new SharedArrayBuffer(8 * Math.max(1, a.models * colCount))).subarray(0, a.models * colCount),
  };
}

function wrap(job: PairJob, a: PredictionSet, b: PredictionSet | null, kind: DivergenceKind): DistanceMatrix {
  finishMatrix(job.sums, job.rowCount, job.colCount, job.samples, b === null);
  return new DistanceMatrix({ data: job.sums, rows: job.rowCount, cols: job.colCount, kind, rowMeta: a.meta, colMeta: b ? b.meta : a.meta, symmetric: b === null });
}

/** A plain-JS pairwise matrix for the alternative divergences: `term(u, v, C)` per sample, averaged over S. */
function scalarMatrix(
  a: PredictionSet, b: PredictionSet | undefined, kind: DivergenceKind, options: ProgressOptions,
  map: ((x: number) => number) | null, term: (u: Float64Array, uo: number, v: Float64Array, vo: number, C: number) => number,
  transform?: (p: Float32Array) => Float64Array,
): DistanceMatrix {
  if (b) assertSameSamples(a, b, `${kind}(a, b): a and b`);
  const other = b ?? a;
  const { samples: S, classes: C } = a;
  const prep = (set: PredictionSet) => Array.from({ length: set.models }, (_, m) => {
    const p = set.model(m);
    return transform ? transform(p) : Float64Array.from(p, map ?? ((x) => x));
  });
  const A = prep(a);
  const B = b ? prep(b) : A;
  const W = transform ? 2 * C : C;
  const out = new Float64Array(a.models * other.models);
  const bar = reporter(kind, a.models, options);
  for (let i = 0; i < a.models; i++) {
    if (options.signal?.aborted) throw new InpcaAbortError(kind);
    for (let j = b ? 0 : i + 1; j < other.models; j++) {
      let s = 0;
      for (let n = 0; n < S; n++) s += term(A[i]!, n * W, B[j]!, n * W, C);
      out[i * other.models + j] = s / S;
      if (!b) out[j * other.models + i] = s / S;
    }
    bar.update(i + 1);
  }
  bar.done();
  return new DistanceMatrix({ data: out, rows: a.models, cols: other.models, kind, rowMeta: a.meta, colMeta: other.meta, symmetric: !b });
}
