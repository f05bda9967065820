/**
 * Sample subsampling (docs/methods.md §13): d_B is a mean of S per-sample terms, so a seeded, class-stratified subset of n
 * samples estimates it without bias, with standard error sd(terms)/√n.
 */
import { uniform } from "../linalg/random.js";
import { integer, validate } from "../core/options.js";

/**
 * A seeded, class-stratified subset of `n` of the S samples (ascending indices): each class keeps its share of n
 * (largest remainders), drawn uniformly within the class. Without labels, a uniform draw. n ≥ S keeps all.
 */
export function sampleSubset(S: number, n: number, labels: Int32Array | null, seed = 1): Int32Array {
  validate(n, integer(1), "samples", { source: "sampleSubset" });
  if (n >= S) return Int32Array.from({ length: S }, (_, i) => i);
  const random = uniform(seed * 2654435761 + 7);
  const groups = new Map<number, number[]>();
  for (let i = 0; i < S; i++) {
    const y = labels ? labels[i]! : 0;
    let g = groups.get(y);
    if (!g) groups.set(y, (g = []));
    g.push(i);
  }
  const keys = [...groups.keys()].sort((a, b) => a - b);
  const exact = keys.map((k) => (groups.get(k)!.length * n) / S);
  const take = exact.map(Math.floor);
  let left = n - take.reduce((a, b) => a + b, 0);
  const order = keys.map((_, i) => i).sort((a, b) => exact[b]! - take[b]! - (exact[a]! - take[a]!) || a - b);
  for (const i of order) {
    if (left <= 0) break;
    take[i]!++;
    left--;
  }
  const out: number[] = [];
  keys.forEach((k, i) => {
    const g = groups.get(k)!.slice();
    for (let j = 0; j < take[i]!; j++) {
      const r = j + Math.floor(random() * (g.length - j));
      [g[j], g[r]] = [g[r]!, g[j]!];
      out.push(g[j]!);
    }
  });
  return Int32Array.from(out.sort((a, b) => a - b));
}
