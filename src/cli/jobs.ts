/**
 * Landmark InPCA as a job array (`inpca plan`, `inpca distances --task i`, `inpca embed`): the scheduler (Slurm,
 * a Kubernetes Indexed Job) distributes the tasks, each task computes its model-points' distances to the
 * landmarks, and shared storage (the WORK folder) carries the results; no coordinator of our own.
 *
 * WORK holds plan.json (the source, the options, the landmarks, the split into tasks), landmarks.f64 and
 * landmarks.json (the L×L matrix, written by task 0), tasks/task-<i>.f64 and tasks/task-<i>.json (task i's
 * cross-distances, rows × L float64, and their SHA-256). Every file is written atomically and each .json after
 * its data, so a killed task leaves nothing half-written; a task whose .json and data agree is done and skipped.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { DistanceMatrix } from "../core/distance-matrix.js";
import { InpcaInputError } from "../core/errors.js";
import { formatSeconds, reporter } from "../core/progress.js";
import type { PredictionSource } from "../core/source.js";
import { bhattacharyya } from "../geometry/distances.js";
import { finishLandmarks, fitLandmarks, placedAxes, placeRows, planLandmarks, streamChunks, type LandmarkPlan, type LandmarkSelection } from "../geometry/landmark.js";
import type { Precision } from "../geometry/pairwise/engine.js";
import { writeFileAtomic } from "../io/atomic.js";
import { saveEmbedding } from "../io/embedding-files.js";
import { parseJsonChecked } from "../io/json-depth.js";
import { zooSource } from "../io/zoo-source.js";
import { arrayFormatOf } from "../io/formats.js";
import { hdf5Source } from "../io/hdf5-source.js";
import { checkpointSource } from "../io/checkpoint-source.js";
import { forCommandLine } from "../core/fixes.js";
import { CHECKPOINT_FLAG_OPTIONS, CHECKPOINT_FLAGS_USAGE, checkpointFlags, givenFlags, loaderOptions, type CheckpointFlags } from "./checkpoint-flags.js";
import { landmarkCheckText, type Embedding } from "../geometry/embedding.js";
import { explainedStress } from "../plot/explained-stress.js";
import { escapeHtml, htmlPage, outputHtml } from "../plot/html.js";
import { trajectories3d } from "../plot/trajectories3d.js";
import { triplot } from "../plot/triplot.js";
import { blockGrid, blockRange, blockTasks, computeBlocks, exactInpcaOfBlocks, type BlockGrid, type BlockStore } from "../geometry/exact.js";
import { sampleSubset } from "../geometry/subsample.js";
import { blockStore } from "../io/block-store.js";

export const PLAN_FORMAT = "inpca-landmark-plan";

/** plan.json: the landmark plan (its sample subset as a JSON list), the source, and the tasks' rows. */
interface PlanFile extends Omit<LandmarkPlan, "samples" | "seconds"> {
  format: string;
  version: 1;
  /** A zoo folder (one split), a folder of checkpoints (`loadCheckpoints` layouts), or an HDF5 dataset. */
  source: { kind: "zoo"; dir: string; split: string } | { kind: "checkpoints"; dir: string; split?: string; flags?: CheckpointFlags } | { kind: "hdf5"; file: string; dataset: string };
  models: number;
  samples: number;
  classes: number;
  sampleSubset: number[] | null;
  /** [start, end) rows of each task. */
  tasks: [number, number][];
}

export const JOBS_USAGE = `inpca plan SOURCE --out WORK --tasks N [--split train] [--dataset NAME] [--landmarks L]
           [--dims K] [--samples n] [--seed s] [--select pivoted|spread|farthest|random] [--precision f32|f64]
inpca plan SOURCE --exact [--block B] --out WORK --tasks N [--split …] [--dataset …] [--dims K] [--samples n]
           [--seed s] [--precision f64|f32]
inpca distances WORK --task i        (i = $SLURM_ARRAY_TASK_ID or $JOB_COMPLETION_INDEX)
inpca embed WORK --out DIR [--report FILE.html] [--memory BYTES]  (BYTES may end in K, M or G)

plan reads a folder of checkpoints as inpca report does, with the same flags (kept in the plan, so
every task reads the same way):
${CHECKPOINT_FLAGS_USAGE}
  --labels FILE         labels of the samples

Landmark InPCA as a job array on a shared filesystem. plan chooses the landmarks exactly as
ip.landmarkInpca does and splits the model-points of SOURCE into N tasks (SOURCE: a zoo folder, a
folder of checkpoints as ip.loadCheckpoints reads it, or an .h5 file with --dataset); each
distances task computes its model-points' distances to the landmarks (task 0 also the landmarks'
own matrix), skips itself when already done and writes atomically; embed checks every task, runs
the landmark InPCA and writes DIR/coords.npy and DIR/embedding.json (ip.loadEmbedding reads them),
and with --report a self-contained HTML page of the 3-D embedding and its explained stress.

With --exact, plan splits the upper triangle of the full M×M distance matrix into blocks of
B×B model-points (default 2000) and the blocks into N tasks; each distances task writes its
blocks (float32, with a SHA-256 record each); embed checks every block and solves exact InPCA
out of core (Lanczos streaming the blocks from disk, as many kept in memory as --memory holds).`;

class JobUsageError extends Error {}

const int = (v: string | undefined, name: string, min = 0): number | undefined => {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min) throw new JobUsageError(`--${name} must be an integer ≥ ${min}, got "${v}"`);
  return Number(v);
};

/** Runs `inpca plan|distances|embed …`; resolves to the exit code. */
export async function jobsMain(argv: readonly string[], err: (line: string) => void): Promise<number> {
  const [command, ...rest] = argv;
  let parsed;
  try {
    parsed = parseArgs({
      args: rest, allowPositionals: true, strict: true,
      options: {
        out: { type: "string", short: "o" }, tasks: { type: "string" }, task: { type: "string" }, split: { type: "string" },
        landmarks: { type: "string" }, dims: { type: "string" }, samples: { type: "string" }, seed: { type: "string" },
        select: { type: "string" }, precision: { type: "string" }, dataset: { type: "string" }, report: { type: "string" },
        exact: { type: "boolean" }, block: { type: "string" }, memory: { type: "string" },
        quiet: { type: "boolean", short: "q" }, ...CHECKPOINT_FLAG_OPTIONS,
      },
    });
  } catch (e) {
    err(`inpca ${command}: ${(e as Error).message}\n\n${JOBS_USAGE}`);
    return 2;
  }
  const { values: o, positionals } = parsed;
  const log = o.quiet ? () => {} : (line: string) => err(`inpca ${command}: ${line}`);
  try {
    if (positionals.length !== 1) throw new JobUsageError(`needs one folder, got ${positionals.length}`);
    const folder = resolve(positionals[0]!);
    if (command === "plan") {
      if (!o.out) throw new JobUsageError("--out WORK is required");
      const flags = checkpointFlags(o);
      if (typeof flags === "string") throw new JobUsageError(flags);
      const tasks = int(o.tasks, "tasks", 1);
      if (tasks === undefined) throw new JobUsageError("--tasks N is required");
      if (o.precision !== undefined && o.precision !== "f32" && o.precision !== "f64") throw new JobUsageError(`--precision must be f32 or f64, got "${o.precision}"`);
      if (o.exact) {
        if (o.landmarks !== undefined || o.select !== undefined) throw new JobUsageError("--exact computes the full matrix: it takes no --landmarks or --select");
        await planExact(folder, resolve(o.out), {
          tasks, split: o.split, dataset: o.dataset, flags, block: int(o.block, "block", 1), dims: int(o.dims, "dims", 1), samples: int(o.samples, "samples", 1),
          seed: int(o.seed, "seed"), precision: o.precision as Precision | undefined,
        }, log);
        return 0;
      }
      if (o.block !== undefined) throw new JobUsageError("--block is for --exact plans");
      await plan(folder, resolve(o.out), {
        tasks, split: o.split, dataset: o.dataset, flags, landmarks: int(o.landmarks, "landmarks", 2), dims: int(o.dims, "dims", 1), samples: int(o.samples, "samples", 1),
        seed: int(o.seed, "seed"), select: o.select as LandmarkSelection | undefined, precision: o.precision as Precision | undefined,
      }, log);
      return 0;
    }
    if (command === "distances") {
      const task = int(o.task, "task");
      if (task === undefined) throw new JobUsageError("--task i is required (i from 0; $SLURM_ARRAY_TASK_ID, $JOB_COMPLETION_INDEX)");
      if (readAnyPlan(folder).format === EXACT_PLAN_FORMAT) await exactDistances(folder, task, log, !o.quiet);
      else await distances(folder, task, log, !o.quiet);
      return 0;
    }
    if (command === "embed") {
      if (!o.out) throw new JobUsageError("--out DIR is required");
      const memory = bytesOption(o.memory, "memory");
      if (readAnyPlan(folder).format === EXACT_PLAN_FORMAT) await exactEmbed(folder, resolve(o.out), log, o.report ? resolve(o.report) : undefined, memory, !o.quiet);
      else await embed(folder, resolve(o.out), log, o.report ? resolve(o.report) : undefined);
      return 0;
    }
    throw new JobUsageError(`unknown command ${command}`);
  } catch (e) {
    if (e instanceof JobUsageError) {
      err(`inpca ${command}: ${e.message}\n\n${JOBS_USAGE}`);
      return 2;
    }
    if (e instanceof InpcaInputError) {
      err(`inpca ${command}: ${forCommandLine(e.message)}`);
      return 1;
    }
    throw e;
  }
}

/** Opens the plan's source (the same kind of source, with the same options, in every task). */
async function openSource(source: PlanFile["source"]): Promise<PredictionSource> {
  if (source.kind === "zoo") return zooSource(source.dir, source.split);
  if (source.kind === "hdf5") return hdf5Source(source.file, source.dataset);
  return checkpointSource(source.dir, { ...loaderOptions(source.flags ?? {}), split: source.split, log: false });
}

/** What SOURCE on the command line is: a zoo (manifest.json), an HDF5 file (needs --dataset), or checkpoints. */
function sourceSpec(path: string, split: string | undefined, dataset: string | undefined, flags: CheckpointFlags = {}): PlanFile["source"] {
  const given = givenFlags(flags);
  const checkpoints = !(arrayFormatOf(path)?.name === "hdf5" && statSync(path, { throwIfNoEntry: false })?.isFile()) && !existsSync(join(path, "manifest.json"));
  if (given.length && !checkpoints) throw new JobUsageError(`${given.join(", ")}: for a folder of checkpoints only; ${path} is ${existsSync(join(path, "manifest.json")) ? "a zoo" : "an HDF5 file (name its dataset with --dataset)"}`);
  if (arrayFormatOf(path)?.name === "hdf5" && statSync(path, { throwIfNoEntry: false })?.isFile()) {
    if (!dataset) throw new JobUsageError(`${path} is an HDF5 file: name the dataset [model-points, samples, classes] with --dataset`);
    return { kind: "hdf5", file: path, dataset };
  }
  if (existsSync(join(path, "manifest.json"))) return { kind: "zoo", dir: path, split: split ?? "train" };
  return { kind: "checkpoints", dir: path, ...(split ? { split } : {}), ...(given.length ? { flags } : {}) };
}

function readAnyPlan(work: string): PlanFile | ExactPlanFile {
  const file = join(work, "plan.json");
  if (!existsSync(file)) throw new InpcaInputError("no plan.json (run `inpca plan SOURCE --out WORK --tasks N` first)", { file: work });
  const p = parseJsonChecked(readFileSync(file, "utf8"), file) as PlanFile | ExactPlanFile;
  if ((p?.format !== PLAN_FORMAT && p?.format !== EXACT_PLAN_FORMAT) || p.version !== 1) throw new InpcaInputError(`not an inpca plan (format ${JSON.stringify(p?.format)})`, { file });
  return p;
}

function readPlan(work: string): PlanFile {
  const p = readAnyPlan(work);
  if (p.format !== PLAN_FORMAT) throw new InpcaInputError("an exact plan, not a landmark one", { file: join(work, "plan.json") });
  return p as PlanFile;
}

/** "3G", "512M", "800000K" or a plain number of bytes. */
function bytesOption(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)([KMG]?)$/i.exec(v);
  if (!m) throw new JobUsageError(`--${name} must be a number of bytes, optionally ending in K, M or G; got "${v}"`);
  return Math.floor(Number(m[1]) * 1024 ** ["", "K", "M", "G"].indexOf(m[2]!.toUpperCase()));
}

function sha256(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

function bytesOf(a: Float64Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Writes `values` as WORK/<name>.f64 and then its record WORK/<name>.json, both atomically. */
function writeResult(work: string, name: string, values: Float64Array, record: Record<string, unknown>): void {
  const bytes = bytesOf(values);
  writeFileAtomic(join(work, `${name}.f64`), bytes);
  writeFileAtomic(join(work, `${name}.json`), JSON.stringify({ ...record, values: values.length, sha256: sha256(bytes) }));
}

/** The stored values of WORK/<name>, or a reason they are not usable ("missing", "corrupt: …"). */
function readResult(work: string, name: string, length: number): Float64Array | string {
  const rec = join(work, `${name}.json`);
  const data = join(work, `${name}.f64`);
  if (!existsSync(rec)) return "missing";
  if (!existsSync(data)) return `corrupt: ${name}.f64 is missing`;
  if (statSync(data).size !== length * 8) return `corrupt: ${name}.f64 has ${statSync(data).size} bytes, expected ${length * 8}`;
  const bytes = readFileSync(data);
  let r: { sha256?: string };
  try {
    r = JSON.parse(readFileSync(rec, "utf8")) as { sha256?: string };
  } catch {
    return `corrupt: ${name}.json is not JSON`;
  }
  if (r.sha256 !== sha256(bytes)) return `corrupt: ${name}.f64 does not match its SHA-256`;
  const out = new Float64Array(length);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

const taskName = (i: number) => join("tasks", `task-${String(i).padStart(5, "0")}`);

async function plan(source: string, work: string, o: { tasks: number; split?: string; dataset?: string; flags?: CheckpointFlags; landmarks?: number; dims?: number; samples?: number; seed?: number; select?: LandmarkSelection; precision?: Precision }, log: (l: string) => void): Promise<void> {
  const t0 = Date.now();
  const spec = sourceSpec(source, o.split, o.dataset, o.flags);
  const src = await openSource(spec);
  if (o.tasks > src.models) throw new InpcaInputError(`${o.tasks} tasks for ${src.models} model-points; use at most one task per model-point`);
  log(`${src.models} model-points of ${src.name}: choosing ${o.landmarks ?? Math.min(2000, src.models)} landmarks (${o.select ?? "pivoted"})`);
  const p = await planLandmarks(src, { landmarks: o.landmarks, dims: o.dims, samples: o.samples, seed: o.seed, select: o.select, precision: o.precision, showProgress: false });
  const tasks: [number, number][] = [];
  for (let t = 0; t < o.tasks; t++) tasks.push([Math.floor((t * src.models) / o.tasks), Math.floor(((t + 1) * src.models) / o.tasks)]);
  const file: PlanFile = {
    format: PLAN_FORMAT, version: 1, source: spec, models: src.models, samples: src.samples, classes: src.classes,
    landmarks: p.landmarks, sampleSubset: p.samples ? Array.from(p.samples) : null, dims: p.dims, seed: p.seed, precision: p.precision, select: p.select,
    chunk: p.chunk, stressPoints: p.stressPoints, tasks,
  };
  mkdirSync(join(work, "tasks"), { recursive: true });
  writeFileAtomic(join(work, "plan.json"), JSON.stringify(file));
  log(`wrote ${join(work, "plan.json")}: ${tasks.length} tasks of ~${Math.ceil(src.models / tasks.length)} model-points (${formatSeconds((Date.now() - t0) / 1000)})`);
}

function planOf(p: PlanFile): LandmarkPlan {
  return { landmarks: p.landmarks, samples: p.sampleSubset ? Int32Array.from(p.sampleSubset) : undefined, dims: p.dims, seed: p.seed, precision: p.precision, select: p.select, chunk: p.chunk, stressPoints: p.stressPoints, seconds: 0 };
}

async function distances(work: string, task: number, log: (l: string) => void, progress: boolean): Promise<void> {
  const t0 = Date.now();
  const p = readPlan(work);
  if (task >= p.tasks.length) throw new InpcaInputError(`task ${task} does not exist: the plan has tasks 0–${p.tasks.length - 1}`, { file: join(work, "plan.json") });
  const [start, end] = p.tasks[task]!;
  const L = p.landmarks.length;
  const name = taskName(task);
  const ownsLandmarks = task === 0;
  const done = typeof readResult(work, name, (end - start) * L) !== "string" && (!ownsLandmarks || typeof readResult(work, "landmarks", L * L) !== "string");
  if (done) {
    log(`task ${task} is already done (rows ${start}–${end - 1}); nothing to do`);
    return;
  }
  const src = await openSource(p.source);
  const lp = planOf(p);
  const marks = await src.read(lp.landmarks, lp.samples);
  const options = { precision: p.precision, showProgress: false as const };
  if (ownsLandmarks && typeof readResult(work, "landmarks", L * L) === "string") {
    log(`landmarks: ${L} × ${L} distances`);
    writeResult(work, "landmarks", (await bhattacharyya(marks, options)).data, { landmarks: L });
  }
  const cross = new Float64Array((end - start) * L);
  const bar = reporter(`task ${task}`, end - start, { showProgress: progress ? "auto" : false });
  await streamChunks(src, start, end, p.chunk, lp.samples, () => null, async (rows, a, b) => {
    cross.set((await bhattacharyya(rows, marks, options)).data, (a - start) * L);
    bar.update(b - start);
  });
  bar.done();
  writeResult(work, name, cross, { task, start, end, landmarks: L });
  log(`task ${task}: rows ${start}–${end - 1} × ${L} landmarks in ${formatSeconds((Date.now() - t0) / 1000)}`);
}

async function embed(work: string, out: string, log: (l: string) => void, report?: string): Promise<void> {
  const t0 = Date.now();
  const p = readPlan(work);
  const L = p.landmarks.length;
  const problems: string[] = [];
  const DLL = readResult(work, "landmarks", L * L);
  if (typeof DLL === "string") problems.push(`landmarks (task 0): ${DLL}`);
  const parts = p.tasks.map(([s, e], i) => {
    const r = readResult(work, taskName(i), (e - s) * L);
    if (typeof r === "string") problems.push(`task ${i}: ${r}`);
    return r;
  });
  if (problems.length) throw new InpcaInputError(`${problems.length} task output${problems.length === 1 ? " is" : "s are"} not usable; re-run them (nothing was written):\n  ${problems.join("\n  ")}`, { file: work });
  const src = await openSource(p.source);
  const lp = planOf(p);
  const basis = fitLandmarks(new DistanceMatrix({ data: DLL as Float64Array, rows: L, cols: L, kind: "bhattacharyya", symmetric: true }), p.dims, undefined, placedAxes(p.select, L, p.dims, p.models));
  const raw = new Float64Array(p.models * basis.axes);
  p.tasks.forEach(([s, e], i) => placeRows(basis, parts[i] as Float64Array, e - s, raw, s));
  const emb = await finishLandmarks(src, lp, basis, raw, { distance: { precision: p.precision, showProgress: false }, marks: null, resumed: 0, seconds: {}, started: t0 });
  saveEmbedding(out, emb);
  if (report) writeFileAtomic(report, reportPage(emb, src.name));
  log(`wrote ${out}: ${emb.points} model-points × ${emb.dims} axes, ES(3) ≈ ${emb.landmark!.stress.explained.toFixed(4)}${emb.landmark!.check ? `; ${landmarkCheckText(emb.landmark!.check, emb.dims)}` : ""} (${formatSeconds((Date.now() - t0) / 1000)})`);
}

export const EXACT_PLAN_FORMAT = "inpca-exact-plan";

/** plan.json of an exact plan: the source, the sample subset, the block grid and each task's blocks. */
interface ExactPlanFile {
  format: typeof EXACT_PLAN_FORMAT;
  version: 1;
  source: PlanFile["source"];
  models: number;
  samples: number;
  classes: number;
  sampleSubset: number[] | null;
  dims: number;
  seed: number;
  precision: Precision;
  /** Block edge B (model-points). */
  block: number;
  /** Per task, indices into the row-major list of upper-triangle blocks (`blockGrid(models, block).blocks`). */
  tasks: number[][];
}

function exactParts(p: ExactPlanFile, work: string): { grid: BlockGrid; store: BlockStore } {
  const grid = blockGrid(p.models, p.block);
  const edge = (I: number) => blockRange(grid, I)[1] - blockRange(grid, I)[0];
  return { grid, store: blockStore(work, (I, J) => [edge(I), edge(J)]) };
}

async function planExact(source: string, work: string, o: { tasks: number; split?: string; dataset?: string; flags?: CheckpointFlags; block?: number; dims?: number; samples?: number; seed?: number; precision?: Precision }, log: (l: string) => void): Promise<void> {
  const spec = sourceSpec(source, o.split, o.dataset, o.flags);
  const src = await openSource(spec);
  const grid = blockGrid(src.models, o.block ?? 2000);
  const tasks = blockTasks(grid, o.tasks);
  const seed = o.seed ?? 1;
  const subset = o.samples !== undefined ? sampleSubset(src.samples, o.samples, src.labels, seed) : undefined;
  const file: ExactPlanFile = {
    format: EXACT_PLAN_FORMAT, version: 1, source: spec, models: src.models, samples: src.samples, classes: src.classes,
    sampleSubset: subset && subset.length < src.samples ? Array.from(subset) : null, dims: o.dims ?? 3, seed, precision: o.precision ?? "f64",
    block: grid.block, tasks,
  };
  mkdirSync(work, { recursive: true });
  writeFileAtomic(join(work, "plan.json"), JSON.stringify(file));
  const bytes = (src.models * (src.models + grid.block)) * 2;
  log(`wrote ${join(work, "plan.json")}: exact InPCA of ${src.models} model-points of ${src.name}, ${grid.blocks.length} blocks of ${grid.block} in ${tasks.length} tasks; the blocks will take ${(bytes / 2 ** 30).toFixed(2)} GiB in ${join(work, "blocks")}`);
}

async function exactDistances(work: string, task: number, log: (l: string) => void, progress: boolean): Promise<void> {
  const t0 = Date.now();
  const p = readAnyPlan(work) as ExactPlanFile;
  if (task >= p.tasks.length) throw new InpcaInputError(`task ${task} does not exist: the plan has tasks 0–${p.tasks.length - 1}`, { file: join(work, "plan.json") });
  const { grid, store } = exactParts(p, work);
  const src = await openSource(p.source);
  if (src.models !== p.models || src.samples !== p.samples || src.classes !== p.classes) throw new InpcaInputError(`the source is now ${src.models} × ${src.samples} × ${src.classes}, the plan was made for ${p.models} × ${p.samples} × ${p.classes}; plan again`, { file: join(work, "plan.json") });
  const { computed, skipped } = await computeBlocks(src, grid, store, p.tasks[task]!, {
    samples: p.sampleSubset ? Int32Array.from(p.sampleSubset) : undefined, precision: p.precision, showProgress: progress ? "auto" : false,
  });
  if (computed === 0) log(`task ${task} is already done (${skipped} blocks); nothing to do`);
  else log(`task ${task}: ${computed} blocks of ${grid.block}${skipped ? ` (${skipped} already done)` : ""} in ${formatSeconds((Date.now() - t0) / 1000)}`);
}

async function exactEmbed(work: string, out: string, log: (l: string) => void, report: string | undefined, memory: number | undefined, progress: boolean): Promise<void> {
  const p = readAnyPlan(work) as ExactPlanFile;
  const { grid, store } = exactParts(p, work);
  const src = await openSource(p.source);
  const { embedding: emb, report: r } = exactInpcaOfBlocks(grid, store, src.meta, { dims: p.dims, memory, seed: p.seed, showProgress: progress ? "auto" : false });
  saveEmbedding(out, emb);
  if (report) writeFileAtomic(report, reportPage(emb, src.name, "Exact InPCA"));
  log(`wrote ${out}: ${emb.points} model-points × ${emb.dims} axes, exact; ES(${emb.dims}) = ${emb.explainedStress[emb.dims - 1]!.toFixed(4)}; ${r.matvecs} products with W (${(r.residentBytes / 2 ** 30).toFixed(2)} GiB of blocks kept in memory, ${(r.streamedBytes / 2 ** 30).toFixed(1)} GiB read from disk), largest residual ${r.residual.toExponential(1)} (${formatSeconds(r.seconds)})`);
}

/**
 * A self-contained page: the summary, the embedding (3-D, or the 2-D panel with fewer than 3 axes; coloured by
 * architecture when known) and the explained stress.
 */
function reportPage(emb: Embedding, source: string, method = "Landmark InPCA"): string {
  const colorBy = emb.meta.some((m) => m.config && typeof m.config === "object" && "arch" in m.config) ? "arch" : undefined;
  return htmlPage({
    title: `${method}: ${source}`,
    style: "body{font:15px/1.5 system-ui,sans-serif;max-width:1100px;margin:24px auto;padding:0 16px;color:#222}",
    body: [
      `<h1>${method} of ${escapeHtml(source)}</h1>`,
      `<p>${escapeHtml(String(emb))}</p>`,
      outputHtml(emb.dims >= 3
        ? trajectories3d(emb, { colorBy, height: 640, ...(emb.points > 2000 ? { hover: "minimal" as const } : {}) })
        : triplot(emb, { colorBy })),
      outputHtml(explainedStress(emb, { height: 360 })),
      "<p>Made with <code>inpca embed</code>; everything, plotly.js included, is in this one file.</p>",
    ],
  });
}
