/**
 * Each model-point's progress as the "spread" selection measures it: the share of the way from ignorance to truth,
 * d_B(P0, u) / (d_B(P0, u) + d_B(u, P*)), from two distances a point (docs/methods.md §13).
 */
import { streamChunks } from "../../core/chunks.js";
import { InpcaAbortError } from "../../core/errors.js";
import { reporter } from "../../core/progress.js";
import { bhattacharyya } from "../distances.js";
import { ignorance, truth } from "../geodesic.js";
import type { SelectionContext } from "./selection-context.js";

/** The share of the way from ignorance to truth, d_B(P0, u) / (d_B(P0, u) + d_B(u, P*)); 0 when both are 0. */
export function progressOf(toIgnorance: number, toTruth: number): number {
  const s = toIgnorance + toTruth;
  return s > 0 ? toIgnorance / s : 0;
}

/**
 * Share of the way from ignorance to truth of every model-point of the source (length M, in [0, 1]), in one
 * streaming pass (2 distances per point); null without labels.
 */
export async function progressProxy(context: SelectionContext): Promise<Float64Array | null> {
  const { src, samples, chunk, distance, progress: options } = context;
  if (!src.labels) return null;
  const first = await src.read([0], samples);
  const ends = ignorance(first).concat(truth(first));
  const out = new Float64Array(src.models);
  const bar = reporter("landmarks: progress", src.models, options);
  await streamChunks(src, 0, src.models, chunk, samples, () => null, async (rows, start, end) => {
    if (options.signal?.aborted) throw new InpcaAbortError("landmarkInpca");
    const d = (await bhattacharyya(rows, ends, distance)).data;
    for (let a = 0; a < end - start; a++) out[start + a] = progressOf(d[2 * a]!, d[2 * a + 1]!);
    bar.update(end);
  });
  bar.done();
  return out;
}
