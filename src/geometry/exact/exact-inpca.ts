/**
 * `exactInpca(source, { dims, memory, work })`: exact InPCA of every model-point, in one process, with the blocks
 * of the distance matrix in memory or, past memory, in the folder `work` (resumable: a run stopped at any point
 * goes on from the blocks already written; see blocks.ts for the method).
 *
 * The folder is bound to what its blocks were computed from. exact.json records the matrix (kernel, precision,
 * sample subset, block geometry, the source's shape, its model-points and labels); every block's record holds the
 * content digests of the predictions of its rows and columns and the source's stamp. A later call trusts a block
 * only when all of that matches: with other options or another source the blocks are computed again, and when
 * the source's files changed since (a zoo retrained in place) the predictions are read once and every block whose
 * rows changed is computed again. Either way it says so (console.warn and `report.recomputed`).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { InpcaInputError } from "../../core/errors.js";
import { digestIndices, sourceStamp } from "../../core/fingerprint.js";
import { digest, integer, nullable, object, oneOf, validate } from "../../core/options.js";
import type { PredictionSet } from "../../core/prediction-set.js";
import { sourceOf, type PredictionSource } from "../../core/source.js";
import type { Embedding } from "../../core/embedding.js";
import { blockGrid, blockRange, checkExactOptions, exactInpcaOfSource, staleBlocks, type BlockGrid, type ExactOptions, type ExactSolveReport } from "./blocks.js";
import { removeStaleTemps, writeFileAtomic } from "../../io/stores/atomic.js";
import { blockStore, type BlockIdentity } from "../../io/stores/block-store.js";

/** Options of `exactInpca`: those of the method, and `work`, a folder for the blocks. */
export interface ExactInpcaOptions extends Omit<ExactOptions, "store" | "stamp" | "recompute"> {
  /**
   * A folder for the blocks (created; B×B float32 files with records, M·(M+B)·2 bytes in all), needed when they do
   * not fit `memory`. Blocks computed from other predictions or with other options are computed again.
   */
  work?: string;
}

/** What `exactInpcaWithReport` says besides the solve: blocks computed, found, and found stale (with why). */
export interface ExactInpcaReport extends ExactSolveReport {
  /** Blocks computed by this call. */
  computed: number;
  /** Blocks already stored and reused (they read back whole and match their checksum). */
  skipped: number;
  /** Stored blocks that were computed again because they no longer matched, with the reason. */
  recomputed: string[];
}

/** Format of exact.json. */
export const EXACT_WORK_FORMAT = "inpca-exact-work";

/**
 * What every block of the matrix of `src` must have been computed for: kernel, precision, sample subset, block
 * geometry and the source's shape (`BlockIdentity`, recorded in each block and in exact.json / an exact plan).
 */
export function exactIdentity(src: PredictionSource, grid: BlockGrid, precision: string, samples: ArrayLike<number> | null | undefined): BlockIdentity {
  return {
    kernel: "bhattacharyya", precision, models: src.models, samples: src.samples, classes: src.classes,
    subset: digestIndices(samples), block: grid.block,
  };
}

const WORK_RECORD = object({
  format: oneOf(EXACT_WORK_FORMAT), version: oneOf(2),
  identity: object({ kernel: oneOf("bhattacharyya"), precision: oneOf("f32", "f64"), models: integer(2), samples: integer(1), classes: integer(2), subset: nullable(digest()), block: integer(1) }),
});

/**
 * Exact InPCA of a source or a set (M model-points): the Embedding of `inpca(bhattacharyya(set))` (to the float32
 * storage of D: 1e-6), computed out of core. `report` says how many blocks were computed, found, or found stale
 * and computed again, and how the eigen-solver went (products with W, bytes kept in memory and read from disk,
 * seconds). Every option is checked before anything is computed or written.
 */
export async function exactInpcaWithReport(input: PredictionSet | PredictionSource, raw: ExactInpcaOptions = {}): Promise<{
  /** The embedding, as `exactInpca` returns it. */
  embedding: Embedding;
  /** What the computation did: blocks computed and reused, products, bytes, seconds. */
  report: ExactInpcaReport;
}> {
  const src = sourceOf(input);
  const options = checkExactOptions(raw, src.samples);
  if (options.work !== undefined && (typeof options.work !== "string" || options.work === "")) throw new InpcaInputError(`exactInpca: work must be the path of a folder, got ${JSON.stringify(options.work)}`);
  if (options.work === undefined) {
    const { embedding, report } = await exactInpcaOfSource(src, options);
    return { embedding, report: { ...report, recomputed: [] } };
  }
  const work = options.work;
  const grid = blockGrid(src.models, Math.min(src.models, options.block ?? 2000));
  const identity = exactIdentity(src, grid, options.precision ?? "f64", options.samples);
  const file = join(work, "exact.json");
  const recomputed: string[] = [];
  openWorkFolder(work, file, identity, recomputed);
  removeStaleTemps(join(work, "blocks"));
  const edge = (I: number) => blockRange(grid, I)[1] - blockRange(grid, I)[0];
  const store = blockStore(work, (I, J) => [edge(I), edge(J)], identity);
  // blocks that read back whole: trusted as they are when the source's files are as they were; otherwise the
  // source is read once and each block's recorded content digests are compared with it
  const stamp = sourceStamp(src);
  const usable = grid.blocks.map((_, k) => k).filter((k) => store.origin(...grid.blocks[k]!) !== null);
  const unstamped = usable.filter((k) => stamp === null || store.origin(...grid.blocks[k]!)!.stamp !== stamp);
  const recompute = new Set<number>();
  if (unstamped.length) {
    const { stale } = await staleBlocks(src, grid, store, unstamped, { samples: options.samples, signal: options.signal, showProgress: options.showProgress });
    for (const { block, reason } of stale) {
      recompute.add(block);
      recomputed.push(`${store.name(...grid.blocks[block]!)}: ${reason}`);
    }
  }
  if (recomputed.length) console.warn(`exactInpca: ${work}: computing again ${recomputed.length === 1 ? "a stored block" : `${recomputed.length} stored blocks`} that no longer match${recomputed.length <= 3 ? `: ${recomputed.join("; ")}` : ` (${recomputed.slice(0, 3).join("; ")}; …)`}`);
  const { embedding, report } = await exactInpcaOfSource(src, { ...options, store, stamp, recompute });
  return { embedding, report: { ...report, recomputed } };
}

/**
 * Creates the work folder or checks that it is one: a folder that exists must hold exact.json (an empty folder
 * is adopted); exact.json for another matrix is replaced, and the reason goes to `recomputed`.
 */
function openWorkFolder(work: string, file: string, identity: BlockIdentity, recomputed: string[]): void {
  const st = statSync(work, { throwIfNoEntry: false });
  if (st && !st.isDirectory()) throw new InpcaInputError("exactInpca: work must be a folder, and this is a file", { file: work });
  if (st && !existsSync(file) && readdirSync(work).some((n) => !n.startsWith("."))) {
    throw new InpcaInputError("exactInpca: this folder is not empty and holds no exact.json, so it is not a work folder of exactInpca; give a new or empty folder", { file: work });
  }
  if (existsSync(file)) {
    let had: { identity: Record<string, unknown> } | null = null;
    try {
      had = validate(JSON.parse(readFileSync(file, "utf8")), WORK_RECORD, "exact.json", { file });
    } catch {
      recomputed.push("exact.json: written by an earlier inpca or damaged; every block is checked against its own record");
    }
    const differs = had ? Object.keys(identity).filter((k) => JSON.stringify(had!.identity[k]) !== JSON.stringify(identity[k])) : [];
    if (had && differs.length === 0) return;
    if (differs.length) recomputed.push(`exact.json: the folder held the blocks of another matrix (${differs.map((k) => `${k} ${JSON.stringify(had!.identity[k])} → ${JSON.stringify(identity[k])}`).join(", ")}); its blocks are computed again`);
  } else {
    try {
      mkdirSync(work, { recursive: true });
    } catch (e) {
      throw new InpcaInputError(`exactInpca: cannot create the work folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { file: work, cause: e });
    }
  }
  writeFileAtomic(file, JSON.stringify({ format: EXACT_WORK_FORMAT, version: 2, identity }));
}

/** See `exactInpcaWithReport`; the Embedding alone. */
export async function exactInpca(input: PredictionSet | PredictionSource, options: ExactInpcaOptions = {}): Promise<Embedding> {
  return (await exactInpcaWithReport(input, options)).embedding;
}
