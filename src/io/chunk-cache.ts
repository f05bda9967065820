/**
 * A folder of finished chunks of cross-distances (float64, one file per chunk, written atomically), so that a
 * long `landmarkInpca` interrupted at 80 % resumes from there: `landmarkInpca(source, { cache: chunkCache(dir) })`.
 * A file of the wrong size (another run's, or damaged) is ignored and recomputed.
 */
import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { ChunkCache } from "../core/chunks.js";
import { writeFileAtomic } from "./atomic.js";

/** A ChunkCache in the folder `dir` (created when needed). */
export function chunkCache(dir: string): ChunkCache {
  const file = (key: string) => join(dir, `${key}.f64`);
  return {
    get(key, length) {
      const f = file(key);
      if (!existsSync(f) || statSync(f).size !== length * 8) return null;
      const b = readFileSync(f);
      const out = new Float64Array(length);
      new Uint8Array(out.buffer).set(b);
      return out;
    },
    set(key, values) {
      mkdirSync(dir, { recursive: true });
      writeFileAtomic(file(key), new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    },
  };
}
