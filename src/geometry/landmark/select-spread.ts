/**
 * The "spread" selection of landmark InPCA (docs/methods.md §13): an equal share of the landmarks per run, spread
 * over each run's progress. Also the pivoted selection's pool when not every model-point fits the memory budget.
 */
import { rowsByRun, type ModelPoint } from "../../core/meta.js";

/** 1/φ: successive multiples mod 1 spread evenly over [0, 1) (a low-discrepancy sequence). */
const GOLDEN = (Math.sqrt(5) - 1) / 2;

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/**
 * "spread": an equal share of L per run (remainders to the longest runs; when there are more runs than L, L runs
 * taken by a golden-ratio stride through their order, one point each), spread within each run evenly over `progress`
 * (one value per model-point of `meta`, e.g. `progressProxy`'s; nearest unused checkpoint to each of q evenly spaced
 * targets between the run's least and greatest progress; a run with one landmark takes the j-th level of the
 * golden-ratio sequence 0.5 + j/φ mod 1 instead of its middle, so that such runs cover ignorance to truth together),
 * or evenly over its checkpoints when progress is null. Returns L rows of `meta`, run by run.
 */
export function spreadPick(meta: readonly ModelPoint[], L: number, progress: Float64Array | null): number[] {
  const runs = rowsByRun(meta);
  const R = runs.length;
  const quota = new Array<number>(R).fill(0);
  if (R >= L) {
    // L runs by a golden-ratio stride through the run order (coprime with R, so all distinct): evenly spaced runs
    // alias with a periodic order (runs cycling through 6 groups, every 4th run taken: 3 of the 6 groups only)
    let stride = Math.max(1, Math.round(R * GOLDEN));
    while (gcd(stride, R) !== 1) stride++;
    for (let k = 0; k < L; k++) quota[(k * stride) % R] = 1;
  }
  else {
    let left = L;
    let open = runs.map((_, k) => k);
    while (left > 0 && open.length > 0) {
      const share = Math.max(1, Math.floor(left / open.length));
      const byLength = open.slice().sort((a, b) => runs[b]!.rows.length - quota[b]! - (runs[a]!.rows.length - quota[a]!) || a - b);
      for (const k of byLength) {
        if (left === 0) break;
        const add = Math.min(share, runs[k]!.rows.length - quota[k]!, left);
        quota[k]! += add;
        left -= add;
      }
      open = open.filter((k) => quota[k]! < runs[k]!.rows.length);
    }
  }
  const out: number[] = [];
  let single = 0; // runs with one landmark so far
  runs.forEach(({ rows }, k) => {
    const q = quota[k]!;
    if (q === 0) return;
    // one landmark: a progress level from the golden-ratio sequence, so that runs with one landmark each still
    // cover the way from ignorance to truth together, whatever order the runs come in (all at the middle of
    // their runs left the ends uncovered: axis errors above 100 % with 100 landmarks on 400 runs)
    const level = q === 1 ? (0.5 + single++ * GOLDEN) % 1 : 0;
    const value = (i: number) => (progress ? progress[rows[i]!]! : i);
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < rows.length; i++) {
      lo = Math.min(lo, value(i));
      hi = Math.max(hi, value(i));
    }
    const used = new Uint8Array(rows.length);
    for (let t = 0; t < q; t++) {
      const target = q === 1 ? lo + (hi - lo) * level : lo + ((hi - lo) * t) / (q - 1);
      let best = -1;
      for (let i = 0; i < rows.length; i++) {
        if (used[i]) continue;
        if (best < 0 || Math.abs(value(i) - target) < Math.abs(value(best) - target)) best = i;
      }
      used[best] = 1;
      out.push(rows[best]!);
    }
  });
  return out;
}
