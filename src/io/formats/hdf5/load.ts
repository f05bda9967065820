/**
 * One dataset read in one call (`loadHdf5`), and a precomputed distance matrix as a `DistanceMatrix`
 * (`loadDistanceMatrixH5`): the file opened, read and closed.
 */
import { DistanceMatrix, type DivergenceKind } from "../../../core/distance-matrix.js";
import { InpcaInputError } from "../../../core/errors.js";
import type { ModelPoint } from "../../../core/meta.js";
import { type NdArray } from "../npy.js";
import { openHdf5, type Hdf5ReadOptions } from "./file.js";
import { range, selectionIndices, type RowSelection } from "./selection.js";

/** Reads one dataset (or the selected rows/columns of it) from an HDF5 file, closing the file afterwards. */
export async function loadHdf5(path: string, dataset: string, options: Hdf5ReadOptions = {}): Promise<NdArray> {
  const f = await openHdf5(path);
  try {
    return f.read(dataset, options);
  } finally {
    f.close();
  }
}

/** Options of `loadDistanceMatrixH5`. */
export interface DistanceMatrixH5Options {
  /** Dataset holding the square matrix (default "w", the name the authors use). */
  dataset?: string;
  /** Points to keep: the same rows and columns are selected (indices or a range); all by default. */
  rows?: RowSelection;
  /** What the entries are (default "custom"; the authors' `w` holds Bhattacharyya distances: "bhattacharyya"). */
  kind?: DivergenceKind;
  /**
   * Metadata of the points: one row per point of the whole matrix (selected along with `rows`) or one per
   * selected point. Defaults to `{ run: "m<i>", step: i }` with i the index in the file.
   */
  meta?: readonly ModelPoint[];
  /** Tolerance of the symmetry / zero-diagonal check (default 1e-9 for float64 data, 1e-6 float32, 1e-3 float16). */
  tolerance?: number;
  /** Bytes per read call (see Hdf5ReadOptions). */
  batchBytes?: number;
}

/**
 * Loads a precomputed pairwise distance matrix (N×N) from an HDF5 dataset into a `DistanceMatrix` ready for
 * `inpca`, optionally keeping only some points (rows and columns alike; only those rows are read from disk).
 * Checks that the result is square, finite, symmetric and zero on the diagonal, naming the file and entry.
 */
export async function loadDistanceMatrixH5(path: string, options: DistanceMatrixH5Options = {}): Promise<DistanceMatrix> {
  const name = options.dataset ?? "w";
  const f = await openHdf5(path);
  let a: NdArray;
  let N: number;
  let picked: number[];
  try {
    const info = f.info(name);
    if (info.shape.length !== 2 || info.shape[0] !== info.shape[1]) {
      throw new InpcaInputError(`dataset "${name}" has shape [${info.shape.join(", ")}], not a square distance matrix`, { file: path });
    }
    N = info.shape[0]!;
    picked = options.rows === undefined ? range(N) : selectionIndices(options.rows, N, `${path}: dataset "${name}": rows`);
    a = f.read(name, { rows: options.rows, cols: options.rows, batchBytes: options.batchBytes });
  } finally {
    f.close();
  }
  const k = picked.length;
  let meta: ModelPoint[];
  if (options.meta) {
    if (options.meta.length === N) meta = picked.map((i) => options.meta![i]!);
    else if (options.meta.length === k) meta = [...options.meta];
    else throw new InpcaInputError(`${options.meta.length} metadata rows for a ${N}×${N} matrix (${k} points selected)`, { file: path });
  } else meta = picked.map((i) => ({ run: `m${i}`, step: i }));
  const tolerance = options.tolerance ?? (a.dtype.endsWith("f8") ? 1e-9 : a.dtype.endsWith("f2") ? 1e-3 : 1e-6);
  const data = a.data instanceof Float64Array ? a.data : Float64Array.from(a.data);
  return DistanceMatrix.fromSquare(data, k, { kind: options.kind ?? "custom", meta, tolerance, source: `${path}: dataset "${name}"` });
}

