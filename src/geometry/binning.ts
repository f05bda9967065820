/**
 * Binning a quantity along progress (or any variable in [0, 1]): the numbers behind band plots of distance to the
 * geodesic or tube width against λ*, kept here so that notebooks compute with them and figures draw them.
 */

/**
 * Mean and sample standard deviation of `ys[i]` for the `members` i in each of `bins` equal bins of `xs[i]` over
 * [0, 1] (x = 1 falls in the last bin; non-finite pairs are skipped; empty bins are left out). Returns the bin
 * centres, means, sample standard deviations (0 for a single value) and counts, one entry per non-empty bin.
 */
export function binnedStats(xs: ArrayLike<number>, ys: ArrayLike<number>, members: readonly number[], bins: number): {
  /** Centre of each non-empty bin. */
  center: number[];
  /** Mean of its ys. */
  mean: number[];
  /** Sample standard deviation of its ys (0 for a single value). */
  sd: number[];
  /** Number of values in it. */
  count: number[];
} {
  const sum = new Float64Array(bins), sum2 = new Float64Array(bins), count = new Float64Array(bins);
  for (const i of members) {
    const x = xs[i]!, y = ys[i]!;
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    const b = Math.min(bins - 1, Math.max(0, Math.floor(x * bins)));
    sum[b]! += y; sum2[b]! += y * y; count[b]! += 1;
  }
  const center: number[] = [], mean: number[] = [], sd: number[] = [], n: number[] = [];
  for (let b = 0; b < bins; b++) {
    if (!count[b]) continue;
    const m = sum[b]! / count[b]!;
    center.push((b + 0.5) / bins);
    mean.push(m);
    sd.push(count[b]! > 1 ? Math.sqrt(Math.max(0, (sum2[b]! - count[b]! * m * m) / (count[b]! - 1))) : 0);
    n.push(count[b]!);
  }
  return { center, mean, sd, count: n };
}

