/** The "farthest" selection of landmark InPCA: farthest-point sampling on d_B (docs/methods.md §13). */
import { rowsPerChunk } from "../../core/source.js";
import { bhattacharyya } from "../distances.js";
import { randomPick } from "./select-random.js";
import type { SelectionContext } from "./selection-context.js";

/**
 * Farthest-point sampling on d_B over a seeded pool of up to 4L model-points (as many as the context's budget
 * holds): L source rows, in the order chosen.
 */
export async function farthestPick(context: SelectionContext): Promise<number[]> {
  const { src, count: L, seed, samples, budget, distance } = context;
  const S = samples ? samples.length : src.samples;
  const poolSize = Math.max(L, Math.min(src.models, 4 * L, rowsPerChunk(S, src.classes, budget, 0, "the farthest-point pool")));
  const pool = randomPick(src.models, poolSize, seed + 11).sort((a, b) => a - b);
  const set = await src.read(pool, samples);
  const nearest = new Float64Array(poolSize).fill(Infinity);
  const picked: number[] = [];
  let next = 0;
  for (let t = 0; t < L; t++) {
    picked.push(next);
    nearest[next] = -1;
    const d = (await bhattacharyya(set.select([next]), set, distance)).data;
    let best = -1;
    for (let i = 0; i < poolSize; i++) {
      if (nearest[i]! < 0) continue;
      if (d[i]! < nearest[i]!) nearest[i] = d[i]!;
      if (best < 0 || nearest[i]! > nearest[best]!) best = i;
    }
    next = best;
  }
  return picked.map((i) => pool[i]!);
}
