/**
 * DistanceMatrix: pairwise divergences between the model-points of two prediction sets (or one set with
 * itself). For the Bhattacharyya distance the entries are d_B (nats per sample), used by InPCA as squared
 * distances (docs/methods.md §3).
 */
import { InpcaInputError } from "./errors.js";
import type { ModelPoint } from "./meta.js";

/** Which divergence a matrix holds. */
export type DivergenceKind = "bhattacharyya" | "hellinger" | "symmetricKL" | "trajectory" | "custom";

/** What a `DistanceMatrix` is made from: its values, shape, divergence and the metadata of its rows and columns. */
export interface DistanceMatrixInit {
  /** rows·cols values, row-major, float64. */
  data: Float64Array;
  /** Number of rows (row model-points). */
  rows: number;
  /** Number of columns (column model-points). */
  cols: number;
  /** Which divergence the values are (default "custom"). */
  kind?: DivergenceKind;
  /** Metadata of the row model-points (length rows). */
  rowMeta?: readonly ModelPoint[];
  /** Metadata of the column model-points (length cols); the row metadata for a square self-distance matrix. */
  colMeta?: readonly ModelPoint[];
  /** True when this is the matrix of one set with itself (square, symmetric, zero diagonal). */
  symmetric?: boolean;
}

/**
 * A matrix of distances between model-points (nats per sample for the divergences of docs/methods.md §2): rows·cols
 * float64 values, row-major, with the metadata of the row and column model-points. `bhattacharyya(a)` gives the
 * square self-distance matrix of a set, `bhattacharyya(a, b)` the a.models × b.models cross matrix.
 */
export class DistanceMatrix {
  /** rows·cols float64 values, row-major: entry (i, j) at i·cols + j. */
  readonly data: Float64Array;
  /** Number of rows (row model-points). */
  readonly rows: number;
  /** Number of columns (column model-points). */
  readonly cols: number;
  /** Which divergence the values are. */
  readonly kind: DivergenceKind;
  /** Metadata of the row model-points (length rows). */
  readonly rowMeta: readonly ModelPoint[];
  /** Metadata of the column model-points (length cols). */
  readonly colMeta: readonly ModelPoint[];
  /** True for a self-distance matrix (square, symmetric, zero diagonal). */
  readonly symmetric: boolean;

  /** Wraps `init.data`; throws InpcaInputError when it is not a Float64Array of rows·cols values. */
  constructor(init: DistanceMatrixInit) {
    const { data, rows, cols } = init;
    if (!(data instanceof Float64Array)) throw new InpcaInputError("DistanceMatrix data must be a Float64Array");
    if (data.length !== rows * cols) throw new InpcaInputError(`DistanceMatrix: ${data.length} values for ${rows}×${cols}`);
    const rowMeta = init.rowMeta ?? Array.from({ length: rows }, (_, i) => ({ run: `m${i}`, step: i }));
    const colMeta = init.colMeta ?? (init.symmetric ? rowMeta : Array.from({ length: cols }, (_, i) => ({ run: `m${i}`, step: i })));
    if (rowMeta.length !== rows) throw new InpcaInputError(`DistanceMatrix: ${rowMeta.length} row metadata for ${rows} rows`);
    if (colMeta.length !== cols) throw new InpcaInputError(`DistanceMatrix: ${colMeta.length} column metadata for ${cols} columns`);
    if (init.symmetric && rows !== cols) throw new InpcaInputError(`DistanceMatrix: a symmetric matrix must be square, got ${rows}×${cols}`);
    this.data = data;
    this.rows = rows;
    this.cols = cols;
    this.kind = init.kind ?? "custom";
    this.rowMeta = rowMeta;
    this.colMeta = colMeta;
    this.symmetric = init.symmetric ?? false;
  }

  /**
   * A square symmetric matrix from raw values (for example one loaded from the authors' HDF5 files). Checks
   * squareness, finiteness, symmetry (within `tolerance`, default 1e-9 relative) and a zero diagonal.
   */
  static fromSquare(data: ArrayLike<number>, size: number, options: { kind?: DivergenceKind; meta?: readonly ModelPoint[]; tolerance?: number; source?: string } = {}): DistanceMatrix {
    const where = options.source ? `${options.source}: ` : "";
    if (data.length !== size * size) throw new InpcaInputError(`${where}${data.length} values are not a ${size}×${size} matrix`);
    const d = data instanceof Float64Array ? data : Float64Array.from(data);
    const tol = options.tolerance ?? 1e-9;
    for (let i = 0; i < size; i++) {
      if (!Number.isFinite(d[i * size + i]!) || Math.abs(d[i * size + i]!) > tol) throw new InpcaInputError(`${where}diagonal entry (${i}, ${i}) is ${d[i * size + i]}, not 0`);
      for (let j = 0; j < i; j++) {
        const a = d[i * size + j]!;
        const b = d[j * size + i]!;
        if (!Number.isFinite(a)) throw new InpcaInputError(`${where}entry (${i}, ${j}) is ${a}`);
        if (Math.abs(a - b) > tol * Math.max(1, Math.abs(a))) throw new InpcaInputError(`${where}not symmetric: (${i}, ${j}) = ${a} but (${j}, ${i}) = ${b}`);
      }
    }
    return new DistanceMatrix({ data: d, rows: size, cols: size, kind: options.kind ?? "custom", rowMeta: options.meta, symmetric: true });
  }

  /** Entry (i, j). */
  get(i: number, j: number): number {
    return this.data[i * this.cols + j]!;
  }

  /** Row i as a view (length cols). */
  row(i: number): Float64Array {
    return this.data.subarray(i * this.cols, (i + 1) * this.cols);
  }

  /** The sub-matrix of rows `rowIdx` and columns `colIdx` (a copy; symmetric when both index lists are equal). */
  submatrix(rowIdx: ArrayLike<number>, colIdx: ArrayLike<number> = rowIdx): DistanceMatrix {
    const R = rowIdx.length;
    const K = colIdx.length;
    const data = new Float64Array(R * K);
    for (let a = 0; a < R; a++) {
      const o = rowIdx[a]! * this.cols;
      for (let b = 0; b < K; b++) data[a * K + b] = this.data[o + colIdx[b]!]!;
    }
    const same = this.symmetric && R === K && Array.prototype.every.call(rowIdx, (v: number, k: number) => v === colIdx[k]);
    return new DistanceMatrix({
      data, rows: R, cols: K, kind: this.kind,
      rowMeta: Array.from({ length: R }, (_, a) => this.rowMeta[rowIdx[a]!]!),
      colMeta: Array.from({ length: K }, (_, b) => this.colMeta[colIdx[b]!]!),
      symmetric: same,
    });
  }

  /** The transpose (cols × rows). */
  transpose(): DistanceMatrix {
    const t = new Float64Array(this.data.length);
    for (let i = 0; i < this.rows; i++) for (let j = 0; j < this.cols; j++) t[j * this.rows + i] = this.data[i * this.cols + j]!;
    return new DistanceMatrix({ data: t, rows: this.cols, cols: this.rows, kind: this.kind, rowMeta: this.colMeta, colMeta: this.rowMeta, symmetric: this.symmetric });
  }

  /** One line: divergence, shape, symmetric or not, and the range of the values. */
  toString(): string {
    let min = Infinity;
    let max = -Infinity;
    for (let k = 0; k < this.data.length; k++) {
      const v = this.data[k]!;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const range = this.data.length ? `, values ${min.toPrecision(4)}…${max.toPrecision(4)}` : "";
    return `DistanceMatrix ${this.kind} ${this.rows}×${this.cols}${this.symmetric ? " (symmetric)" : ""}${range}`;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

/**
 * Checks that `D` is a self-distance matrix before an embedding uses it: square, finite, zero on the diagonal,
 * symmetric (|D_ij − D_ji| ≤ 1e-9 · max|D|; a matrix read from a file that is asymmetric by rounding can be
 * symmetrised with (D + Dᵀ)/2 first), and non-negative for divergences (every kind but "custom": signed
 * Minkowski distances of an embedding with time-like axes are negative by right). Throws InpcaInputError naming
 * the first entry that is not. `where` names the caller ("inpca").
 */
export function checkSelfDistances(D: DistanceMatrix, where: string): void {
  const M = D.rows;
  if (D.rows !== D.cols) throw new InpcaInputError(`${where}: the distance matrix must be square, got ${D.rows}×${D.cols}`);
  let max = 0;
  for (let q = 0; q < D.data.length; q++) {
    const v = D.data[q]!;
    if (!Number.isFinite(v)) throw new InpcaInputError(`${where}: distance (${Math.floor(q / M)}, ${q % M}) is ${v}`);
    if (v < 0 && D.kind !== "custom") throw new InpcaInputError(`${where}: distance (${Math.floor(q / M)}, ${q % M}) is ${v}, negative (a ${D.kind} divergence is ≥ 0)`);
    if (Math.abs(v) > max) max = Math.abs(v);
  }
  const tol = 1e-9 * max;
  for (let i = 0; i < M; i++) {
    const d = D.data[i * M + i]!;
    if (Math.abs(d) > tol) throw new InpcaInputError(`${where}: distance (${i}, ${i}) is ${d}, not 0: a self-distance matrix has a zero diagonal (for groupDistances, pass diagonal: "zero")`);
    for (let j = i + 1; j < M; j++) {
      const a = D.data[i * M + j]!;
      const b = D.data[j * M + i]!;
      if (Math.abs(a - b) > tol) throw new InpcaInputError(`${where}: the matrix is not symmetric: distance (${i}, ${j}) is ${a} but (${j}, ${i}) is ${b} (symmetrise it with (D + Dᵀ)/2 if that is rounding)`);
    }
  }
}
