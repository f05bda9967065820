/** A trajectory distance matrix averaged over seed pairs, to compare configurations (docs/methods.md §8). */
import { DistanceMatrix } from "../../core/distance-matrix.js";
import { InpcaInputError } from "../../core/errors.js";
import type { ModelPoint } from "../../core/meta.js";
import { groupIndices, sharedConfig, type GroupBy } from "../averaging.js";

/** Options of `groupDistances`. */
export interface GroupDistanceOptions {
  /**
   * What goes on the diagonal: "within" (default) the mean distance over distinct pairs of runs inside the
   * group (0 for a group of one run); "zero" a proper zero diagonal (for InPCA of configurations).
   */
  diagonal?: "within" | "zero";
}

/**
 * Averages a trajectory distance matrix over seed pairs to compare configurations (docs/methods.md §8): entry (A, B)
 * is the mean of D(u, v) over all runs u of group A and v of group B; on the diagonal, the mean over distinct
 * pairs u ≠ v of the group (see `diagonal`). `by` groups the rows (default: the configuration without its seed).
 * Returns a G×G DistanceMatrix (kind of D) whose metadata rows are { run: group key, step: 0, config: the
 * fields the group's runs share, runs: number of runs }; `symmetric` is true only with a zero diagonal.
 */
export function groupDistances(D: DistanceMatrix, by?: GroupBy, options: GroupDistanceOptions = {}): DistanceMatrix {
  if (D.rows !== D.cols) throw new InpcaInputError(`groupDistances: the distance matrix must be square, got ${D.rows}×${D.cols}`);
  const groups = [...groupIndices(D.rowMeta, by)];
  const G = groups.length;
  const out = new Float64Array(G * G);
  const zero = options.diagonal === "zero";
  for (let a = 0; a < G; a++) {
    const ia = groups[a]![1];
    for (let b = a; b < G; b++) {
      const ib = groups[b]![1];
      let s = 0, count = 0;
      for (const i of ia) {
        for (const j of ib) {
          if (a === b && i === j) continue;
          s += D.get(i, j);
          count++;
        }
      }
      const v = a === b && zero ? 0 : count ? s / count : 0;
      out[a * G + b] = v;
      out[b * G + a] = v;
    }
  }
  const meta: ModelPoint[] = groups.map(([key, idx]) => {
    const pts = idx.map((i) => D.rowMeta[i]!);
    return { run: key === "" ? "(all)" : key, step: 0, config: sharedConfig(pts), runs: idx.length, members: pts.map((p) => p.run) };
  });
  return new DistanceMatrix({ data: out, rows: G, cols: G, kind: D.kind, rowMeta: meta, symmetric: zero });
}
