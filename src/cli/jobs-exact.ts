/**
 * Exact InPCA as a job array (`inpca plan --exact`): the upper triangle of the M×M distance matrix in blocks of
 * B×B model-points, the blocks split into tasks; each `inpca distances --task i` writes its blocks, each bound to
 * the matrix (the plan's identity: kernel, precision, sample subset, block geometry, shape), its position, and the
 * content of the predictions of its rows and columns; `inpca embed` checks every block, that all of them were
 * computed from one version of the source and that it is the version there now, then solves out of core.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { InpcaInputError } from "../core/errors.js";
import { describedBy, sourceStamp } from "../core/fingerprint.js";
import { formatSeconds } from "../core/progress.js";
import type { PredictionSource } from "../core/source.js";
import { blockGrid, blockRange, blockTasks, computeBlocks, exactInpcaOfBlocks, recordedDigests, staleBlocks, type BlockGrid } from "../geometry/exact/blocks.js";
import type { BlockStore } from "../core/stores.js";
import type { Precision } from "../geometry/pairwise/engine.js";
import { sampleSubset } from "../geometry/subsample.js";
import { removeStaleTemps, writeFileAtomic } from "../io/stores/atomic.js";
import { blockStore } from "../io/stores/block-store.js";
import { saveEmbedding } from "../io/stores/embedding-files.js";
import { exactIdentity } from "../geometry/exact/exact-inpca.js";
import { reportPage } from "./job-page.js";
import type { CheckpointFlags } from "./checkpoint-flags.js";
import { checkSameSource, checkWorkFolder, clearWork, openSource, sourceSpec } from "./job-source.js";
import { EXACT_PLAN_FORMAT, exactPlanId, PLAN_VERSION, readPlan, type ExactPlanFile } from "./plan-file.js";

/** Options of `inpca plan --exact`, after the flags were checked. */
export interface ExactPlanOptions {
  tasks: number;
  split?: string;
  dataset?: string;
  /** How a folder of checkpoints is read (the checkpoint flags). */
  flags?: CheckpointFlags;
  block?: number;
  dims?: number;
  samples?: number;
  seed?: number;
  precision?: Precision;
  fresh?: boolean;
}

/** The plan's grid and its block store, after checking that the plan's identity is that of its fields. */
function exactParts(p: ExactPlanFile, src: PredictionSource, work: string): { grid: BlockGrid; store: BlockStore } {
  const grid = blockGrid(p.models, p.block);
  const identity = exactIdentity(src, grid, p.precision, p.sampleSubset);
  if (JSON.stringify(identity) !== JSON.stringify(p.identity)) throw new InpcaInputError("identity does not match the plan's other fields: plan.json was edited after `inpca plan` wrote it; plan again with --fresh", { file: join(work, "plan.json") });
  const edge = (I: number) => blockRange(grid, I)[1] - blockRange(grid, I)[0];
  return { grid, store: blockStore(work, (I, J) => [edge(I), edge(J)], identity) };
}

/**
 * `inpca plan SOURCE --exact --out WORK --tasks N`. A block larger than M plans one block. Into a WORK that holds
 * this same plan, only the split into tasks may change (the blocks stand); another plan is refused, naming what
 * differs, unless `fresh` (which removes the old plan and its blocks first).
 */
export async function planExactJob(source: string, work: string, o: ExactPlanOptions, log: (l: string) => void): Promise<void> {
  checkWorkFolder(work);
  const spec = sourceSpec(source, o.split, o.dataset, o.flags);
  const src = await openSource(spec);
  const grid = blockGrid(src.models, Math.min(src.models, o.block ?? 2000));
  const tasks = blockTasks(grid, o.tasks);
  const seed = o.seed ?? 1;
  const subset = o.samples !== undefined ? sampleSubset(src.samples, o.samples, src.labels, seed) : undefined;
  const sampleSubsetList = subset && subset.length < src.samples ? Array.from(subset) : null;
  const precision = o.precision ?? "f64";
  const body = {
    format: EXACT_PLAN_FORMAT, version: PLAN_VERSION, source: spec, models: src.models, samples: src.samples, classes: src.classes,
    sampleSubset: sampleSubsetList, dims: o.dims ?? 3, seed, precision, describedBy: describedBy(src),
    block: grid.block, identity: exactIdentity(src, grid, precision, sampleSubsetList),
  } satisfies Omit<ExactPlanFile, "id" | "tasks" | "stamp">;
  const file: ExactPlanFile = { ...body, id: exactPlanId(body), stamp: sourceStamp(src), tasks };
  if (!o.fresh) {
    let old: ReturnType<typeof readPlan> | null = null;
    try {
      old = readPlan(work);
    } catch (e) {
      if (!(e instanceof InpcaInputError && /no plan\.json|no such folder/.test(e.message))) throw new InpcaInputError(`${(e as Error).message}\nWORK holds a plan that cannot be used; to start again: inpca plan ${source} --exact --out ${work} --fresh …`);
    }
    if (old) {
      if (old.format !== EXACT_PLAN_FORMAT) refuse(work, "it holds a landmark plan");
      const o2 = old as ExactPlanFile;
      const fields = ["source", "models", "samples", "classes", "sampleSubset", "dims", "seed", "precision", "block", "describedBy"] as const;
      const differs = fields.filter((k) => JSON.stringify(o2[k]) !== JSON.stringify(file[k]));
      if (differs.length) refuse(work, differs.map((k) => k === "sampleSubset" ? `sample subset ${o2.sampleSubset ? `of ${o2.sampleSubset.length}` : "all"} → ${file.sampleSubset ? `of ${file.sampleSubset.length}` : "all"}` : k === "describedBy" ? "the source's model-points or labels changed" : `${k} ${JSON.stringify(o2[k])} → ${JSON.stringify(file[k])}`).join(", "));
      writeFileAtomic(join(work, "plan.json"), JSON.stringify({ ...file, stamp: o2.stamp }));
      log(`${join(work, "plan.json")} already holds this plan; ${JSON.stringify(o2.tasks) === JSON.stringify(tasks) ? "nothing to do" : `split anew into ${tasks.length} tasks`} (its blocks stand)`);
      return;
    }
  } else clearWork(work);
  mkdirSync(work, { recursive: true });
  writeFileAtomic(join(work, "plan.json"), JSON.stringify(file));
  const bytes = (src.models * (src.models + grid.block)) * 2;
  log(`wrote ${join(work, "plan.json")}: exact InPCA of ${src.models} model-points of ${src.name}, ${grid.blocks.length} blocks of ${grid.block} in ${tasks.length} tasks; the blocks will take ${(bytes / 2 ** 30).toFixed(2)} GiB in ${join(work, "blocks")}`);
}

function refuse(work: string, why: string): never {
  throw new InpcaInputError(`WORK holds another plan (${why}); its blocks are not reused. To start again, removing the old plan and its blocks, add --fresh; or plan into another --out folder`, { file: join(work, "plan.json") });
}

/**
 * The stored blocks `which` whose recorded stamp is not the source's now, checked by content (the source's rows
 * read once); throws InpcaInputError naming those computed from other predictions and what to do.
 */
async function checkAgainstSource(p: ExactPlanFile, src: PredictionSource, grid: BlockGrid, store: BlockStore, which: readonly number[], stamp: string | null, work: string, progress: boolean): Promise<void> {
  const unstamped = which.filter((k) => {
    const o = store.origin(...grid.blocks[k]!);
    return o !== null && (stamp === null || o.stamp !== stamp);
  });
  if (!unstamped.length) return;
  const { stale } = await staleBlocks(src, grid, store, unstamped, { samples: p.sampleSubset ? Int32Array.from(p.sampleSubset) : undefined, showProgress: progress ? "auto" : false });
  if (!stale.length) return;
  const taskOf = (k: number) => p.tasks.findIndex((t) => t.includes(k));
  const tasks = [...new Set(stale.map((s) => taskOf(s.block)))].sort((a, b) => a - b);
  throw new InpcaInputError(`the source changed since ${stale.length} of the blocks were computed (tasks ${tasks.join(", ")}); nothing was written:\n  ${stale.slice(0, 10).map((s) => `${store.name(...grid.blocks[s.block]!)}: ${s.reason}`).join("\n  ")}${stale.length > 10 ? `\n  … and ${stale.length - 10} more` : ""}\nif the change is intended, plan again with --fresh and run every task again`, { file: work });
}

/** `inpca distances WORK --task i` of an exact plan. */
export async function exactDistances(work: string, task: number, log: (l: string) => void, progress: boolean): Promise<void> {
  const t0 = Date.now();
  const p = readPlan(work) as ExactPlanFile;
  if (task >= p.tasks.length) throw new InpcaInputError(`task ${task} does not exist: the plan has tasks 0–${p.tasks.length - 1}`, { file: join(work, "plan.json") });
  removeStaleTemps(join(work, "blocks"));
  const src = await openSource(p.source);
  checkSameSource(p, src, work);
  const { grid, store } = exactParts(p, src, work);
  const stamp = sourceStamp(src);
  recordedDigests(grid, store);
  await checkAgainstSource(p, src, grid, store, p.tasks[task]!, stamp, work, progress);
  const { computed, skipped } = await computeBlocks(src, grid, store, p.tasks[task]!, {
    samples: p.sampleSubset ? Int32Array.from(p.sampleSubset) : undefined, precision: p.precision, showProgress: progress ? "auto" : false, stamp,
  });
  if (computed === 0) log(`task ${task} is already done (${skipped} blocks); nothing to do`);
  else log(`task ${task}: ${computed} blocks of ${grid.block}${skipped ? ` (${skipped} already done)` : ""} in ${formatSeconds((Date.now() - t0) / 1000)}`);
}

/** `inpca embed WORK --out DIR` of an exact plan. Writes nothing unless every block is usable and of this source. */
export async function exactEmbed(work: string, out: string, log: (l: string) => void, report: string | undefined, memory: number | undefined, progress: boolean): Promise<void> {
  const p = readPlan(work) as ExactPlanFile;
  const src = await openSource(p.source);
  checkSameSource(p, src, work);
  const { grid, store } = exactParts(p, src, work);
  const stamp = sourceStamp(src);
  recordedDigests(grid, store);
  await checkAgainstSource(p, src, grid, store, grid.blocks.map((_, k) => k), stamp, work, progress);
  const { embedding: emb, report: r } = exactInpcaOfBlocks(grid, store, src.meta, { dims: p.dims, memory, seed: p.seed, showProgress: progress ? "auto" : false });
  saveEmbedding(out, emb, { method: "exact", plan: p.id, source: p.source, stamp, describedBy: p.describedBy, identity: p.identity });
  if (report) writeFileAtomic(report, reportPage(emb, src.name, "Exact InPCA"));
  log(`wrote ${out}: ${emb.points} model-points × ${emb.dims} axes, exact; ES(${emb.dims}) = ${emb.explainedStress[emb.dims - 1]!.toFixed(4)}; ${r.matvecs} products with W (${(r.residentBytes / 2 ** 30).toFixed(2)} GiB of blocks kept in memory, ${(r.streamedBytes / 2 ** 30).toFixed(1)} GiB read from disk), largest residual ${r.residual.toExponential(1)} (${formatSeconds(r.seconds)})`);
}
