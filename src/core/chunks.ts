/**
 * Reading a PredictionSource in chunks of rows: one streaming pass that overlaps the reading of the next chunk
 * with the computation on this one (`streamChunks`), and the store of finished chunks a long pass resumes from
 * (`ChunkCache`; io's `chunkCache` keeps one in a folder).
 */
import type { PredictionSet } from "./prediction-set.js";
import type { PredictionSource } from "./source.js";

import type { ChunkCache } from "./stores.js";

export type { ChunkCache } from "./stores.js";

/**
 * Decides, before a chunk is read, whether it is already done: called with the chunk's rows [start, end); any
 * value but null (e.g. true, after placing a cached chunk) skips the chunk without reading it.
 */
export type ChunkSkip = (start: number, end: number) => unknown;

/**
 * Computes on one chunk: `rows` holds the source rows [start, end) as a PredictionSet of (end − start) × S' × C
 * (S' the samples read). Must start its worker job before its first await, must not keep `rows` after it resolves
 * (the buffer is reused for the chunk after next), and checks for cancellation itself.
 */
export type ChunkCompute = (rows: PredictionSet, start: number, end: number) => Promise<void>;

/** The indices start, start + 1, …, end − 1. */
function range(start: number, end: number): Int32Array {
  return Int32Array.from({ length: end - start }, (_, i) => start + i);
}

/**
 * One pass over rows [from, to) of `src` in chunks of `chunk` rows, in order, reading chunk k+1 on this thread while
 * chunk k is computed on the worker threads (`compute` starts its worker job before its first await; the sources
 * decode synchronously), so the decoding of float16 rows overlaps the kernel instead of leaving the cores idle.
 * `skip(start, end)` is called first for each chunk: non-null means the chunk is done without reading it (a cached
 * one). `samples` (ascending sample indices, or undefined for all) is passed to every read. Two chunks are resident
 * at a time, in two buffers reused from chunk to chunk (a new array per chunk left dead chunks of 660 MB each
 * waiting for the garbage collector: 4.5 GB peak at 150,000 × 5,000); the caller's chunk size must allow for two.
 */
export async function streamChunks(
  src: PredictionSource, from: number, to: number, chunk: number, samples: Int32Array | undefined, skip: ChunkSkip, compute: ChunkCompute,
): Promise<void> {
  const todo: [number, number][] = [];
  for (let start = from; start < to; start += chunk) {
    const end = Math.min(to, start + chunk);
    if (skip(start, end) === null) todo.push([start, end]);
  }
  // two buffers, alternating: chunk k+1 is read into the one whose chunk (k-1) is done
  const buffers: (Float32Array | undefined)[] = [undefined, undefined];
  const read = (k: number) => src.read(range(todo[k]![0], todo[k]![1]), samples, buffers[k % 2]);
  let next = todo.length > 0 ? read(0) : null;
  for (let k = 0; k < todo.length; k++) {
    const [start, end] = todo[k]!;
    const rows = await next!;
    if (!buffers[k % 2] || buffers[k % 2]!.length < rows.probs.length) buffers[k % 2] = rows.probs;
    const work = compute(rows, start, end);
    next = k + 1 < todo.length ? read(k + 1) : null;
    next?.catch(() => undefined); // handled here, reported when awaited (after this chunk's workers are done)
    await work;
  }
}
