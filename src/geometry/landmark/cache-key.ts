/** The key a landmark run's finished chunks of cross-distances are kept under in a `ChunkCache`. */
import { createHash } from "node:crypto";
import type { PredictionSource } from "../../core/source.js";

/**
 * A key naming the cross-distances of this source, landmark set (source rows), sample subset and precision:
 * "landmark-" and 24 hex digits of a SHA-256. `content` names what the rows hold (the source's fingerprint and the
 * landmarks' predictions), so that a zoo retrained in place is not answered from the cache.
 */
export function cacheKey(src: PredictionSource, landmarks: number[], samples: Int32Array | undefined, precision: string, content: string): string {
  const h = createHash("sha256");
  h.update(`${src.name}|${src.models}|${src.samples}|${src.classes}|${precision}|${content}|`);
  h.update(Buffer.from(Int32Array.from(landmarks).buffer));
  h.update("|");
  if (samples) h.update(Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength));
  for (const p of src.meta) h.update(`${p.run}|${p.step}|`);
  return `landmark-${h.digest("hex").slice(0, 24)}`;
}
