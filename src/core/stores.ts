/**
 * Where long computations keep their finished parts, so that a run stopped at any point resumes: the blocks of an
 * exact distance matrix (`BlockStore`, for exact InPCA: geometry/exact/blocks.ts) and the chunks of cross-distances of
 * landmark InPCA (`ChunkCache`). The interfaces live here, below both the methods that use them (geometry) and the
 * folders that implement them on disk (io/stores: `blockStore`, `chunkCache`).
 */

/**
 * Where the blocks of D live. Block (I, J) is rows(I) × rows(J) float32, row-major (a diagonal block whole).
 * `read` returns the block, or why it cannot be used: "missing", or "corrupt: …" (the reason names the file).
 * `verify` (default true) checks the stored checksum; `into`, when long enough, receives the values.
 */
export interface BlockStore {
  /** Block (I, J) as float32 values, or why it cannot be used ("missing", "corrupt: …" naming the file). */
  read(I: number, J: number, options?: { verify?: boolean; into?: Float32Array }): Float32Array | string;
  /** Stores block (I, J) with what it was computed from (`origin`), for the checks of a later read. */
  write(I: number, J: number, values: Float32Array, origin?: BlockOrigin): void;
  /** The recorded origin of a usable block (I, J), or null (none recorded, or the block is not usable). */
  origin(I: number, J: number): BlockOrigin | null;
  /** What to call block (I, J) in messages (its file). */
  name(I: number, J: number): string;
}

/**
 * What a block was computed from: the content digests (`rangeDigest` of the row digests) of the predictions of
 * its rows and of its columns, as read with the matrix's sample subset, and the source's stamp then (null when
 * the source is not on disk).
 */
export interface BlockOrigin {
  /** Content digest of the predictions of the block's rows. */
  rows: string;
  /** Content digest of the predictions of the block's columns. */
  cols: string;
  /** The source's stamp (paths, sizes, mtimes) when the block was computed; null when the source is not on disk. */
  stamp: string | null;
}

/** Finished chunks of cross-distances kept between calls, so that an interrupted run resumes (see io's `chunkCache`). */
export interface ChunkCache {
  /** The stored values under `key` (`length` float64 values), or null when there are none of that length. */
  get(key: string, length: number): Float64Array | null;
  /** Stores `values` under `key` (atomically: a crash leaves the old state or the new one). */
  set(key: string, values: Float64Array): void;
}
