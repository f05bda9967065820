/**
 * Complete-linkage hierarchical clustering over a square distance matrix, with the output conventions of
 * SciPy's `scipy.cluster.hierarchy.linkage(y, method="complete")`: the nearest-neighbour-chain algorithm
 * (O(n²) time and memory), merges sorted by height (stable), cluster ids relabelled with a union-find so that
 * merge i creates cluster n + i.
 */
import type { DistanceMatrix } from "../core/distance-matrix.js";
import { InpcaInputError } from "../core/errors.js";

/** One merge: clusters `a` < `b` (ids < n are leaves, n + i is the cluster made by merge i), their distance and size. */
export interface Merge {
  /** The smaller id of the two clusters merged: a leaf index < leaves, or leaves + i for the cluster of merge i. */
  a: number;
  /** The larger id of the two clusters merged, numbered as `a`. */
  b: number;
  /** Distance at which the two merge (complete linkage: the largest pairwise distance). */
  height: number;
  /** Leaves in the merged cluster. */
  size: number;
}

/** A linkage: n leaves and n - 1 merges (rows of SciPy's Z matrix). */
export interface Linkage {
  /** Number of leaves (items clustered). */
  leaves: number;
  /** The leaves − 1 merges, in order of height. */
  merges: Merge[];
}

/**
 * Complete linkage (farthest-point distance between clusters) of the n points of a square, symmetric matrix
 * `D` (a DistanceMatrix, or row-major values with `size`). Distances are taken as given (no square root).
 */
export function completeLinkage(D: DistanceMatrix | ArrayLike<number>, size?: number): Linkage {
  let n: number;
  let get: (i: number, j: number) => number;
  if (typeof (D as DistanceMatrix).rows === "number" && (D as DistanceMatrix).data) {
    const M = D as DistanceMatrix;
    if (M.rows !== M.cols) throw new InpcaInputError(`completeLinkage: the distance matrix must be square, got ${M.rows}×${M.cols}`);
    n = M.rows;
    get = (i, j) => M.data[i * n + j]!;
  } else {
    const a = D as ArrayLike<number>;
    n = size ?? Math.round(Math.sqrt(a.length));
    if (n * n !== a.length) throw new InpcaInputError(`completeLinkage: ${a.length} values are not an n×n matrix`);
    get = (i, j) => a[i * n + j]!;
  }
  if (n < 2) throw new InpcaInputError(`completeLinkage: needs at least 2 points, got ${n}`);
  // working copy (full square for simple indexing); symmetrised by the upper triangle
  const d = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const v = get(i, j);
      if (!Number.isFinite(v)) throw new InpcaInputError(`completeLinkage: distance (${i}, ${j}) is ${v}`);
      d[i * n + j] = v;
      d[j * n + i] = v;
    }
  }
  const sizes = new Int32Array(n).fill(1);
  const chain = new Int32Array(n);
  let chainLength = 0;
  const raw: { x: number; y: number; h: number; size: number }[] = [];
  for (let k = 0; k < n - 1; k++) {
    if (chainLength === 0) {
      chainLength = 1;
      for (let i = 0; i < n; i++) if (sizes[i]! > 0) { chain[0] = i; break; }
    }
    let x = 0, y = 0, current = Infinity;
    for (;;) {
      x = chain[chainLength - 1]!;
      if (chainLength > 1) {
        y = chain[chainLength - 2]!;
        current = d[x * n + y]!;
      } else current = Infinity;
      for (let i = 0; i < n; i++) {
        if (sizes[i] === 0 || i === x) continue;
        const v = d[x * n + i]!;
        if (v < current) { current = v; y = i; }
      }
      if (chainLength > 1 && y === chain[chainLength - 2]) break;
      chain[chainLength++] = y;
    }
    chainLength -= 2;
    if (x > y) [x, y] = [y, x];
    const nx = sizes[x]!, ny = sizes[y]!;
    raw.push({ x, y, h: current, size: nx + ny });
    sizes[x] = 0;
    sizes[y] = nx + ny;
    for (let i = 0; i < n; i++) {
      if (sizes[i] === 0 || i === y) continue;
      const v = Math.max(d[i * n + x]!, d[i * n + y]!);
      d[i * n + y] = v;
      d[y * n + i] = v;
    }
  }
  // stable sort by height, then relabel with a union-find (SciPy's `label`)
  const order = raw.map((_, i) => i).sort((p, q) => raw[p]!.h - raw[q]!.h || p - q);
  const parent = new Int32Array(2 * n - 1).map((_, i) => i);
  const csize = new Int32Array(2 * n - 1).fill(1);
  const find = (v: number): number => {
    let r = v;
    while (parent[r] !== r) r = parent[r]!;
    while (parent[v] !== r) { const nx = parent[v]!; parent[v] = r; v = nx; }
    return r;
  };
  let next = n;
  const merges: Merge[] = order.map((p) => {
    const { x, y, h } = raw[p]!;
    const rx = find(x), ry = find(y);
    const a = Math.min(rx, ry), b = Math.max(rx, ry);
    parent[rx] = next; parent[ry] = next;
    csize[next] = csize[rx]! + csize[ry]!;
    const m = { a, b, height: h, size: csize[next]! };
    next += 1;
    return m;
  });
  return { leaves: n, merges };
}

/**
 * Leaves in dendrogram order (as SciPy's `dendrogram(Z)["leaves"]`): depth-first from the root, the first
 * cluster of each merge before the second.
 */
export function leafOrder(link: Linkage): number[] {
  const n = link.leaves;
  const out: number[] = [];
  const stack = [2 * n - 2];
  while (stack.length) {
    const c = stack.pop()!;
    if (c < n) { out.push(c); continue; }
    const m = link.merges[c - n]!;
    stack.push(m.b, m.a);
  }
  return out;
}
