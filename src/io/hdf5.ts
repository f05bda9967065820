/**
 * HDF5 files through h5wasm (the HDF5 C library compiled to WebAssembly; no native build) with the filter plugins
 * of h5wasm-plugins, so datasets compressed with LZ4, zstd, Blosc (any of its codecs), bitshuffle, bzip2, LZF or
 * ZFP read as well as gzip/szip ones. Float16 datasets are decoded here (h5wasm itself has no Float16 array).
 *
 * h5wasm loads asynchronously once per process, so `openHdf5`, `loadHdf5` and `loadDistanceMatrixH5` return
 * promises; after that an open `Hdf5File` reads synchronously. Reads go through hyperslabs in batches of rows
 * (64 MB of file values by default), so selecting rows never loads the whole dataset and the WebAssembly heap
 * stays small.
 *
 * Returned arrays follow `NdArray` of io/npy: float16/float32 → Float32Array, float64 → Float64Array, integers
 * → Int32Array (values outside the int32 range are an error); `dtype` is the NumPy-style type as stored ("<f2",
 * ">f8", "<i8"). Big-endian data comes back in native order. Strings, compounds and other classes are rejected.
 */
import { accessSync, constants } from "node:fs";
import { resolve } from "node:path";
import { DistanceMatrix, type DivergenceKind } from "../core/distance-matrix.js";
import { InpcaInputError } from "../core/errors.js";
import type { ModelPoint } from "../core/meta.js";
import { fromFloat16Bits, type NdArray } from "./npy.js";
import { integer, validate, validateEach } from "../core/options.js";

// A value-level dynamic import: this file compiles to CommonJS and h5wasm is ESM-only (import() works from CJS).
const importH5wasm = () => import("h5wasm/node");
type H5Lib = Awaited<ReturnType<typeof importH5wasm>>;
type H5Module = Awaited<H5Lib["ready"]>;
type H5File = InstanceType<H5Lib["File"]>;
type H5Dataset = InstanceType<H5Lib["Dataset"]>;
type H5Metadata = H5Dataset["metadata"];

/**
 * Which rows (or columns) to read: explicit indices in any order (duplicates allowed), or a range
 * `{ start = 0, stop = length, step = 1 }` (stop exclusive, like Python's slice).
 */
export type RowSelection = ArrayLike<number> | { start?: number; stop?: number; step?: number };

/** What a dataset holds, without reading it. */
export interface Hdf5DatasetInfo {
  /** Path inside the file without the leading slash ("w", "grp/inner"). */
  name: string;
  /** Dimensions ([] for a scalar). */
  shape: number[];
  /** NumPy-style type as stored ("<f2", "<f4", ">f8", "<i8", "|u1"), or the HDF5 class for non-numbers ("string"). */
  dtype: string;
  /** Chunk shape, or null for contiguous storage. */
  chunks: number[] | null;
  /** The filter pipeline (id and name), e.g. [{ id: 32004, name: "lz4" }]. */
  filters: { id: number; name: string }[];
}

/** Options of `Hdf5File.read` and `loadHdf5`. */
export interface Hdf5ReadOptions {
  /** Rows (indices along the first axis) to read; all by default. */
  rows?: RowSelection;
  /** Columns (indices along the second axis) to read, for datasets of 2 or more dimensions; all by default. */
  cols?: RowSelection;
  /** Upper bound on the bytes of file values fetched per read call (default 64 MB). */
  batchBytes?: number;
}

/** Names of well-known HDF5 filter ids, for messages. */
const FILTER_NAMES: Readonly<Record<number, string>> = {
  1: "gzip (deflate)", 2: "shuffle", 3: "fletcher32", 4: "szip", 5: "nbit", 6: "scale-offset", 307: "bzip2",
  32000: "lzf", 32001: "blosc", 32004: "lz4", 32008: "bitshuffle", 32013: "zfp", 32015: "zstd", 32017: "sz",
  32019: "jpeg", 32022: "bitgroom", 32023: "bitround", 32026: "blosc2",
};
const DEFAULT_BATCH_BYTES = 64 * 2 ** 20;

let loading: Promise<H5Lib> | null = null;
let lib: H5Lib | null = null;
let pluginsInstalled = false;

/**
 * Loads h5wasm (and its filter plugins) once; every other function here awaits it. Resolves to whether the
 * compression plugins were found (gzip and szip work either way).
 */
export async function hdf5Ready(): Promise<boolean> {
  await loadLibrary();
  return pluginsInstalled;
}

async function loadLibrary(): Promise<H5Lib> {
  loading ??= (async () => {
    let mod: H5Lib;
    try {
      mod = await importH5wasm();
    } catch (e) {
      throw new InpcaInputError(`reading HDF5 needs the h5wasm package, which did not load: ${(e as Error).message}`, { cause: e });
    }
    const Module = await mod.ready;
    // HDF5 errors become exceptions carrying the library's error stack (otherwise they print and return < 0)
    Module.activate_throwing_error_handler();
    try {
      const plugins = await import("h5wasm-plugins");
      plugins.install_local_plugins(Module);
      pluginsInstalled = true;
    } catch {
      pluginsInstalled = false;
    }
    lib = mod;
    return mod;
  })();
  try {
    return await loading;
  } catch (e) {
    loading = null;
    throw e;
  }
}

/** Opens an HDF5 file read-only. Close it with `close()` (or use `loadHdf5` for one dataset). */
export async function openHdf5(path: string): Promise<Hdf5File> {
  await loadLibrary();
  return openHdf5Sync(path);
}

/** Like `openHdf5`, once `hdf5Ready()` has resolved (throws otherwise). */
export function openHdf5Sync(path: string): Hdf5File {
  if (!lib) throw new InpcaInputError("openHdf5Sync: call `await hdf5Ready()` first (h5wasm loads asynchronously)", { file: path });
  const abs = resolve(path);
  try {
    accessSync(abs, constants.R_OK);
  } catch (e) {
    throw new InpcaInputError(`cannot read: ${(e as Error).message}`, { file: path, cause: e });
  }
  let file: H5File;
  try {
    file = new lib.File(abs, "r");
  } catch (e) {
    throw new InpcaInputError(describeHdf5Error(e), { file: path, cause: e });
  }
  return new Hdf5File(path, file, lib);
}

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

/** An open HDF5 file (read-only). Methods are synchronous; `close()` releases the file. */
export class Hdf5File {
  /** @internal use openHdf5 */
  constructor(
    /** The path the file was opened with (as given). */
    readonly path: string,
    private file: H5File | null,
    private readonly h5: H5Lib,
  ) {}

  /** Paths of every dataset in the file (recursively), without the leading slash, sorted. */
  datasets(): string[] {
    const f = this.handle();
    const out: string[] = [];
    let names: string[];
    try {
      names = f.paths();
    } catch (e) {
      throw new InpcaInputError(describeHdf5Error(e), { file: this.path, cause: e });
    }
    for (const p of names) {
      const e = safeGet(f, p);
      if (e instanceof this.h5.Dataset) out.push(p.replace(/^\//, ""));
    }
    return out.sort();
  }

  /** Shape, stored type, chunking and filters of a dataset. */
  info(name: string): Hdf5DatasetInfo {
    const ds = this.dataset(name);
    const m = this.metadataOf(ds, name);
    let filters: { id: number; name: string }[] = [];
    try {
      filters = ds.filters.map((x) => ({ id: x.id, name: FILTER_NAMES[x.id] ?? (x.name || `filter ${x.id}`) }));
    } catch {
      // filters are informative only
    }
    return { name: ds.path.replace(/^\//, ""), shape: m.shape ?? [], dtype: this.dtypeOf(m), chunks: m.chunks ?? null, filters };
  }

  /**
   * Reads a numeric dataset, or the selected rows (first axis) and columns (second axis) of it, into a flat
   * C-order array. A range (or arithmetic list) is one strided hyperslab, read in batches of rows; other row
   * lists are read chunk by chunk (see rowBlocks); non-arithmetic column lists through the span they cover.
   */
  read(name: string, options: Hdf5ReadOptions = {}): NdArray {
    const ds = this.dataset(name);
    const m = this.metadataOf(ds, name);
    const where = `dataset "${name}"`;
    const dtype = this.dtypeOf(m);
    const M = this.h5.Module as H5Module;
    const isFloat = m.type === M.H5T_class_t.H5T_FLOAT.value;
    const isInt = m.type === M.H5T_class_t.H5T_INTEGER.value;
    if (!(isFloat && [2, 4, 8].includes(m.size)) && !(isInt && [1, 2, 4, 8].includes(m.size))) {
      throw new InpcaInputError(`${where}: unsupported type ${dtype} (numbers only: float16/32/64 and integers)`, { file: this.path });
    }
    if (!m.shape) throw new InpcaInputError(`${where} has no data (empty dataspace)`, { file: this.path });
    const shape = m.shape;
    const out0 = (n: number): NdArray["data"] => (isInt ? new Int32Array(n) : m.size === 8 ? new Float64Array(n) : new Float32Array(n));
    if (shape.length === 0) {
      if (options.rows !== undefined || options.cols !== undefined) throw new InpcaInputError(`${where} is a scalar; it has no rows to select`, { file: this.path });
      const out = out0(1);
      this.readBlock(ds, m, null, null, null, out, 0, name);
      return { data: out, shape: [], dtype };
    }
    if (options.cols !== undefined && shape.length < 2) throw new InpcaInputError(`${where} has 1 dimension; it has no columns to select`, { file: this.path });
    const rowPlan = planSelection(options.rows, shape[0]!, `${this.path}: ${where}: rows`);
    const colPlan = shape.length >= 2 ? planSelection(options.cols, shape[1]!, `${this.path}: ${where}: cols`) : null;
    const tail = shape.slice(2);
    const inner = tail.reduce((a, b) => a * b, 1);
    const outCols = colPlan ? colPlan.total : 1;
    const outShape = [rowPlan.total, ...(colPlan ? [colPlan.total] : []), ...tail];
    const rowOut = outCols * inner;
    const out = out0(rowPlan.total * rowOut);
    if (rowPlan.total === 0 || outCols === 0) return { data: out, shape: outShape, dtype };
    // Columns: one strided hyperslab when the selection is arithmetic; otherwise the span they cover, then gathered.
    const directCols = !colPlan || colPlan.arithmetic;
    const span: [number, number] = colPlan ? (directCols ? [colPlan.segments[0]!.start, colPlan.segments[0]!.step] : spanOf(colPlan.indices)) : [0, 1];
    const readCols = !colPlan ? 1 : directCols ? colPlan.total : span[1] - span[0] + 1;
    const rowBytes = Math.max(1, readCols * inner * m.size);
    const batch = Math.max(1, Math.floor((options.batchBytes ?? DEFAULT_BATCH_BYTES) / rowBytes));
    const blocks = rowBlocks(rowPlan, batch, m.chunks?.[0] ?? null);
    const needTemp = blocks.filter((b) => b.dest !== null || !directCols);
    const temp = needTemp.length ? out0(Math.max(...needTemp.map((b) => b.count)) * readCols * inner) : null;
    for (const b of blocks) {
      const offset = colPlan ? [b.start, span[0], ...tail.map(() => 0)] : [b.start];
      const count = colPlan ? [b.count, readCols, ...tail] : [b.count];
      const stride = colPlan ? [b.step, directCols ? span[1] : 1, ...tail.map(() => 1)] : [b.step];
      if (b.dest === null && directCols) {
        this.readBlock(ds, m, offset, count, stride, out, b.out * rowOut, name);
        continue;
      }
      this.readBlock(ds, m, offset, count, stride, temp!, 0, name);
      const idx = colPlan?.indices ?? [];
      for (let k = 0; k < b.count; k++) {
        const src = k * readCols * inner;
        for (const t of b.dest ? b.dest[k]! : [b.out + k]) {
          const dst = t * rowOut;
          if (directCols) out.set(temp!.subarray(src, src + rowOut), dst);
          else {
            for (let j = 0; j < idx.length; j++) {
              const s2 = src + (idx[j]! - span[0]) * inner;
              if (inner === 1) out[dst + j] = temp![s2]!;
              else out.set(temp!.subarray(s2, s2 + inner), dst + j * inner);
            }
          }
        }
      }
    }
    return { data: out, shape: outShape, dtype };
  }

  /** Releases the file (further calls throw). Safe to call twice. */
  close(): void {
    if (this.file) {
      try {
        this.file.close();
      } finally {
        this.file = null;
      }
    }
  }

  toString(): string {
    return `Hdf5File ${this.path}${this.file ? "" : " (closed)"}`;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }

  private handle(): H5File {
    if (!this.file) throw new InpcaInputError("the HDF5 file is closed", { file: this.path });
    return this.file;
  }

  private dataset(name: string): H5Dataset {
    const f = this.handle();
    const e = safeGet(f, name.startsWith("/") ? name : `/${name}`);
    if (e instanceof this.h5.Dataset) return e;
    if (e instanceof this.h5.Group) throw new InpcaInputError(`"${name}" is a group, not a dataset (datasets: ${this.listForMessage()})`, { file: this.path });
    throw new InpcaInputError(`no dataset "${name}" (datasets: ${this.listForMessage()})`, { file: this.path });
  }

  private listForMessage(): string {
    try {
      const all = this.datasets();
      return all.length === 0 ? "none" : all.length > 20 ? `${all.slice(0, 20).join(", ")}, … ${all.length - 20} more` : all.join(", ");
    } catch {
      return "unreadable";
    }
  }

  private metadataOf(ds: H5Dataset, name: string): H5Metadata {
    try {
      return ds.metadata;
    } catch (e) {
      throw new InpcaInputError(`dataset "${name}": ${describeHdf5Error(e)}`, { file: this.path, cause: e });
    }
  }

  private dtypeOf(m: H5Metadata): string {
    const C = (this.h5.Module as H5Module).H5T_class_t;
    const order = m.size === 1 ? "|" : m.littleEndian ? "<" : ">";
    if (m.type === C.H5T_FLOAT.value) return `${order}f${m.size}`;
    if (m.type === C.H5T_INTEGER.value) return `${order}${m.signed ? "i" : "u"}${m.size}`;
    const names: Record<number, string> = {
      [C.H5T_STRING.value]: "string", [C.H5T_COMPOUND.value]: "compound", [C.H5T_ENUM.value]: "enum (h5py stores booleans as enums)",
      [C.H5T_VLEN.value]: "variable-length", [C.H5T_ARRAY.value]: "array", [C.H5T_REFERENCE.value]: "reference",
      [C.H5T_OPAQUE.value]: "opaque", [C.H5T_BITFIELD.value]: "bitfield", [C.H5T_TIME.value]: "time",
    };
    return names[m.type] ?? `HDF5 class ${m.type}`;
  }

  /** One hyperslab (null = everything) decoded into `out` at `at`, through a buffer on the WebAssembly heap. */
  private readBlock(ds: H5Dataset, m: H5Metadata, offset: number[] | null, count: number[] | null, stride: number[] | null, out: NdArray["data"], at: number, name: string): void {
    const Module = this.h5.Module as H5Module;
    const n = count ? count.reduce((a, b) => a * b, 1) : (m.shape ?? []).reduce((a, b) => a * b, 1);
    if (n === 0) return;
    const nbytes = n * m.size;
    const ptr = Module._malloc(nbytes);
    if (!ptr) throw new InpcaInputError(`dataset "${name}": cannot allocate ${nbytes} bytes in the WebAssembly heap (pass a smaller batchBytes)`, { file: this.path });
    try {
      try {
        Module.get_dataset_data(ds.file_id, ds.path, count?.map(BigInt) ?? null, offset?.map(BigInt) ?? null, stride?.map(BigInt) ?? null, BigInt(ptr));
      } catch (e) {
        throw new InpcaInputError(`dataset "${name}": ${describeHdf5Error(e, this.filterIds(ds))}`, { file: this.path, cause: e });
      }
      decodeInto(Module.HEAPU8, ptr, n, m, out, at, this.path, name);
    } finally {
      Module._free(ptr);
    }
  }

  private filterIds(ds: H5Dataset): number[] {
    try {
      return ds.filters.map((x) => x.id);
    } catch {
      return [];
    }
  }
}

/** Values at `ptr` (little-endian, as h5wasm converts them) → `out[at..at+n)`. */
function decodeInto(heap: Uint8Array, ptr: number, n: number, m: H5Metadata, out: NdArray["data"], at: number, path: string, name: string): void {
  if (out instanceof Float64Array) {
    out.set(new Float64Array(heap.buffer, heap.byteOffset + ptr, n), at); // malloc'd memory is 8-aligned
    return;
  }
  if (out instanceof Float32Array && m.size === 4) {
    out.set(new Float32Array(heap.buffer, heap.byteOffset + ptr, n), at);
    return;
  }
  const view = new DataView(heap.buffer, heap.byteOffset + ptr, n * m.size);
  if (out instanceof Float32Array) {
    for (let i = 0; i < n; i++) out[at + i] = fromFloat16Bits(view.getUint16(2 * i, true));
    return;
  }
  for (let i = 0; i < n; i++) {
    let v: number | bigint;
    switch (m.size) {
      case 1: v = m.signed ? view.getInt8(i) : view.getUint8(i); break;
      case 2: v = m.signed ? view.getInt16(2 * i, true) : view.getUint16(2 * i, true); break;
      case 4: v = m.signed ? view.getInt32(4 * i, true) : view.getUint32(4 * i, true); break;
      default: v = m.signed ? view.getBigInt64(8 * i, true) : view.getBigUint64(8 * i, true);
    }
    const x = Number(v);
    if (x > 2147483647 || x < -2147483648) throw new InpcaInputError(`dataset "${name}": integer ${v} does not fit in 32 bits`, { file: path });
    out[at + i] = x;
  }
}

/** A selection: its indices in output order, and when they form one arithmetic progression, that segment. */
interface Plan {
  total: number;
  /** True when the indices are start, start + step, ... (one strided hyperslab). */
  arithmetic: boolean;
  /** The progression (one segment) when arithmetic; empty otherwise. */
  segments: { out: number; start: number; count: number; step: number }[];
  /** The selected indices in output order. */
  indices: number[];
}

/** Rows to fetch in one read: `count` rows from `start` by `step`, going to output rows `out + k`, or to `dest[k]`. */
interface RowBlock {
  start: number;
  count: number;
  step: number;
  out: number;
  /** Output rows of each fetched row (several for duplicates, none for rows read only to fill a window). */
  dest: number[][] | null;
}

/**
 * Splits a row selection into reads. An arithmetic selection becomes strided hyperslabs of at most `batch`
 * rows. Any other list is read window by window over its sorted distinct rows: a window covers the selected
 * rows of one chunk (so a compressed chunk is decompressed once, not once per row; HDF5's chunk cache is only
 * 1 MB), or a run of consecutive rows when the dataset is contiguous.
 */
function rowBlocks(plan: Plan, batch: number, chunkRows: number | null): RowBlock[] {
  const blocks: RowBlock[] = [];
  if (plan.arithmetic) {
    for (const seg of plan.segments) {
      for (let done = 0; done < seg.count; done += batch) {
        blocks.push({ start: seg.start + done * seg.step, count: Math.min(batch, seg.count - done), step: seg.step, out: seg.out + done, dest: null });
      }
    }
    return blocks;
  }
  const where = new Map<number, number[]>();
  plan.indices.forEach((r, j) => {
    const w = where.get(r);
    if (w) w.push(j);
    else where.set(r, [j]);
  });
  const rows = [...where.keys()].sort((a, b) => a - b);
  let lo = rows[0]!;
  let prev = lo;
  const flush = (hi: number) => {
    const dest: number[][] = [];
    for (let r = lo; r <= hi; r++) dest.push(where.get(r) ?? []);
    blocks.push({ start: lo, count: hi - lo + 1, step: 1, out: 0, dest });
  };
  for (const r of rows.slice(1)) {
    const sameWindow = chunkRows ? Math.floor(r / chunkRows) === Math.floor(lo / chunkRows) : r === prev + 1;
    if (!sameWindow || r - lo + 1 > batch) {
      flush(prev);
      lo = r;
    }
    prev = r;
  }
  flush(prev);
  return blocks;
}

function planSelection(sel: RowSelection | undefined, length: number, what: string): Plan {
  if (sel === undefined) return { total: length, arithmetic: true, segments: length ? [{ out: 0, start: 0, count: length, step: 1 }] : [], indices: range(length) };
  const indices = selectionIndices(sel, length, what);
  const k = indices.length;
  if (k === 0) return { total: 0, arithmetic: true, segments: [], indices };
  const step = k > 1 ? indices[1]! - indices[0]! : 1;
  if (step >= 1 && indices.every((v, j) => v === indices[0]! + j * step)) return { total: k, arithmetic: true, segments: [{ out: 0, start: indices[0]!, count: k, step }], indices };
  return { total: k, arithmetic: false, segments: [], indices };
}

/** The indices a selection stands for, validated against `length`. */
function selectionIndices(sel: RowSelection, length: number, what: string): number[] {
  if (isRange(sel)) {
    const step = sel.step ?? 1;
    const start = sel.start ?? 0;
    const stop = Math.min(sel.stop ?? length, length);
    validate(step, integer(1), "step", { source: what });
    validate(start, integer(0, length), "start", { source: what });
    validate(stop, integer(0), "stop", { source: what });
    const out: number[] = [];
    for (let i = start; i < stop; i += step) out.push(i);
    return out;
  }
  const out = Array.from(sel as ArrayLike<number>);
  validateEach(out, integer(0, length - 1), "indices", { source: what });
  return out;
}

function isRange(sel: RowSelection): sel is { start?: number; stop?: number; step?: number } {
  return typeof (sel as ArrayLike<number>).length !== "number";
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function spanOf(indices: number[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of indices) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

function safeGet(f: H5File, path: string): ReturnType<H5File["get"]> {
  try {
    return f.get(path);
  } catch {
    return null;
  }
}

/**
 * A one-line reason from an HDF5 error stack: "not an HDF5 file", "truncated file: eof = ...", a missing filter
 * plugin (with the dataset's filter ids), or the innermost library message.
 */
function describeHdf5Error(e: unknown, filters: number[] = []): string {
  const text = e instanceof Error ? e.message : String(e);
  if (/file signature not found|Not an HDF5 file/i.test(text)) return "not an HDF5 file (no HDF5 signature found)";
  const truncated = /truncated file: eof = (\d+).*?stored_eof = (\d+)/.exec(text);
  if (truncated) return `truncated HDF5 file (${truncated[1]} of ${truncated[2]} bytes present)`;
  if (/required filter .* is not registered|can't find plugin/i.test(text)) {
    const known = filters.filter((id) => id > 6);
    const names = known.map((id) => `${id}${FILTER_NAMES[id] ? ` (${FILTER_NAMES[id]})` : ""}`).join(", ");
    return `compressed with filter ${names || "(unknown)"}, which no installed HDF5 plugin provides` +
      (pluginsInstalled ? " (h5wasm-plugins covers blosc, blosc2, bitshuffle, bzip2, jpeg, lz4, lzf, zfp, zstd, bitgroom, bitround)" : " (install the h5wasm-plugins package for LZ4, zstd, Blosc and others)");
  }
  const messages = [...text.matchAll(/#\d+: .*? in [\w:]+\(\): ([^\n]*)/g)].map((m) => m[1]!.trim())
    .filter((s) => !/plugin|search in path|can't open directory/i.test(s));
  return messages.length ? messages[messages.length - 1]! : text.split("\n")[0]!;
}
