/**
 * Row and column selections of an HDF5 read (indices or a range) planned as hyperslab reads in batches.
 */
import { InpcaInputError } from "../../../core/errors.js";
import { integer, validate, validateEach } from "../../../core/options.js";

/**
 * Which rows (or columns) to read: explicit indices in any order (duplicates allowed), or a range
 * `{ start = 0, stop = length, step = 1 }` (stop exclusive, like Python's slice).
 */
export type RowSelection = ArrayLike<number> | {
  /** First row (default 0). */
  start?: number;
  /** One past the last row (default all rows). */
  stop?: number;
  /** Stride (default 1). */
  step?: number;
};

/** A selection: its indices in output order, and when they form one arithmetic progression, that segment. */
export interface Plan {
  total: number;
  /** True when the indices are start, start + step, ... (one strided hyperslab). */
  arithmetic: boolean;
  /** The progression (one segment) when arithmetic; empty otherwise. */
  segments: { out: number; start: number; count: number; step: number }[];
  /** The selected indices in output order. */
  indices: number[];
}

/** Rows to fetch in one read: `count` rows from `start` by `step`, going to output rows `out + k`, or to `dest[k]`. */
export interface RowBlock {
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
export function rowBlocks(plan: Plan, batch: number, chunkRows: number | null): RowBlock[] {
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

/** The plan of selection `sel` (all when undefined) of an axis of `length`; `what` names it in errors. */
export function planSelection(sel: RowSelection | undefined, length: number, what: string): Plan {
  if (sel === undefined) return { total: length, arithmetic: true, segments: length ? [{ out: 0, start: 0, count: length, step: 1 }] : [], indices: range(length) };
  const indices = selectionIndices(sel, length, what);
  const k = indices.length;
  if (k === 0) return { total: 0, arithmetic: true, segments: [], indices };
  const step = k > 1 ? indices[1]! - indices[0]! : 1;
  if (step >= 1 && indices.every((v, j) => v === indices[0]! + j * step)) return { total: k, arithmetic: true, segments: [{ out: 0, start: indices[0]!, count: k, step }], indices };
  return { total: k, arithmetic: false, segments: [], indices };
}

/** The indices a selection stands for, validated against `length`. */
export function selectionIndices(sel: RowSelection, length: number, what: string): number[] {
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

/** 0, 1, …, n − 1. */
export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** [first, last + 1) of the indices. */
export function spanOf(indices: number[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of indices) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}
