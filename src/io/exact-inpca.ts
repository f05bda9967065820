/**
 * `exactInpca(source, { dims, memory, work })`: exact InPCA of every model-point, in one process, with the blocks
 * of the distance matrix in memory or, past memory, in the folder `work` (resumable: a run stopped at any point
 * goes on from the blocks already written; see geometry/exact.ts for the method).
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { InpcaInputError } from "../core/errors.js";
import type { PredictionSet } from "../core/prediction-set.js";
import { sourceOf, type PredictionSource } from "../core/source.js";
import type { Embedding } from "../geometry/embedding.js";
import { blockGrid, blockRange, exactInpcaOfSource, type ExactOptions, type ExactSolveReport } from "../geometry/exact.js";
import { writeFileAtomic } from "./atomic.js";
import { blockStore } from "./block-store.js";

/** Options of `exactInpca`: those of the method, and `work`, a folder for the blocks. */
export interface ExactInpcaOptions extends Omit<ExactOptions, "store"> {
  /**
   * A folder for the blocks (created; B×B float32 files with SHA-256 records, M·(M+B)·2 bytes in all), needed when
   * they do not fit `memory`. A folder made for other model-points, samples, block or precision is refused.
   */
  work?: string;
}

/**
 * Exact InPCA of a source or a set (M model-points): the Embedding of `inpca(bhattacharyya(set))` (to the float32
 * storage of D: 1e-6), computed out of core. `report` says how many blocks were computed or found, and how the
 * eigen-solver went (products with W, bytes kept in memory and read from disk, seconds).
 */
export async function exactInpcaWithReport(input: PredictionSet | PredictionSource, options: ExactInpcaOptions = {}): Promise<{ embedding: Embedding; report: ExactSolveReport & { computed: number; skipped: number } }> {
  const src = sourceOf(input);
  if (options.work === undefined) return exactInpcaOfSource(src, options);
  const grid = blockGrid(src.models, options.block ?? 2000);
  const fingerprint = {
    format: "inpca-exact-work", models: src.models, samples: src.samples, classes: src.classes, block: grid.block,
    precision: options.precision ?? "f64", sampleSubset: options.samples ? hash(options.samples) : null,
    meta: hash(new TextEncoder().encode(JSON.stringify(src.meta.map((m) => [m.run, m.step])))),
  };
  const file = join(options.work, "exact.json");
  if (existsSync(file)) {
    const had = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    for (const [k, v] of Object.entries(fingerprint)) {
      if (JSON.stringify(had[k]) !== JSON.stringify(v)) throw new InpcaInputError(`this folder holds the blocks of another matrix (its ${k} is ${JSON.stringify(had[k])}, this one's ${JSON.stringify(v)}); use another folder, or empty this one`, { file });
    }
  } else {
    mkdirSync(options.work, { recursive: true });
    writeFileAtomic(file, JSON.stringify(fingerprint));
  }
  const edge = (I: number) => blockRange(grid, I)[1] - blockRange(grid, I)[0];
  return exactInpcaOfSource(src, { ...options, store: blockStore(options.work, (I, J) => [edge(I), edge(J)]) });
}

/** See `exactInpcaWithReport`; the Embedding alone. */
export async function exactInpca(input: PredictionSet | PredictionSource, options: ExactInpcaOptions = {}): Promise<Embedding> {
  return (await exactInpcaWithReport(input, options)).embedding;
}

function hash(a: ArrayBufferView): string {
  return createHash("sha256").update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).digest("hex").slice(0, 16);
}
