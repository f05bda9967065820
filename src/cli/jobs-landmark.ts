/**
 * Landmark InPCA as a job array: `inpca plan` chooses the landmarks exactly as ip.landmarkInpca does and splits
 * the model-points into tasks; `inpca distances --task i` computes task i's cross-distances to the landmarks
 * (task 0 also the landmarks' own matrix); `inpca embed` checks every output and writes the embedding.
 *
 * Every output is bound to the plan (its id), its task and rows, and the content of the predictions it read:
 * a task reads the landmarks' predictions and compares them with the plan's digest, and its rows with the
 * plan's digest of them when the plan read them while choosing; embed compares every task's digest with the
 * source as it is now (read anyway by the check, or in a pass of their own when the source's files changed).
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { DistanceMatrix } from "../core/distance-matrix.js";
import { InpcaInputError } from "../core/errors.js";
import { failpoint } from "../core/failpoint.js";
import { describedBy, digestingSource, RowDigests, setDigest, sourceStamp } from "../core/fingerprint.js";
import { formatSeconds, reporter } from "../core/progress.js";
import type { PredictionSource } from "../core/source.js";
import { bhattacharyya } from "../geometry/distances.js";
import { landmarkCheckText } from "../core/embedding.js";
import { streamChunks } from "../core/chunks.js";
import { finishLandmarks, fitLandmarks, placedAxes, placeRows, planLandmarks, type LandmarkPlan, type LandmarkSelection } from "../geometry/landmark/index.js";
import type { Precision } from "../geometry/pairwise/engine.js";
import { sampleSubset } from "../geometry/subsample.js";
import { removeStaleTemps, writeFileAtomic } from "../io/stores/atomic.js";
import { saveEmbedding } from "../io/stores/embedding-files.js";
import { reportPage } from "./job-page.js";
import type { CheckpointFlags } from "./checkpoint-flags.js";
import { checkSameSource, checkWorkFolder, clearWork, openSource, sourceSpec } from "./job-source.js";
import { landmarkPlanId, PLAN_FORMAT, PLAN_VERSION, readPlan, type LandmarkPlanFile } from "./plan-file.js";
import { readResult, writeResult, type TaskResult } from "./task-results.js";

/** Options of `inpca plan` for landmark InPCA, after the flags were checked. */
export interface LandmarkPlanOptions {
  tasks: number;
  split?: string;
  dataset?: string;
  /** How a folder of checkpoints is read (the checkpoint flags). */
  flags?: CheckpointFlags;
  landmarks?: number;
  dims?: number;
  samples?: number;
  seed?: number;
  select?: LandmarkSelection;
  precision?: Precision;
  fresh?: boolean;
}

const taskName = (i: number) => join("tasks", `task-${String(i).padStart(5, "0")}`);
const rowsOf = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);

/** Splits M rows into `tasks` consecutive ranges of nearly equal size. */
function splitRows(M: number, tasks: number): [number, number][] {
  return Array.from({ length: tasks }, (_, t) => [Math.floor((t * M) / tasks), Math.floor(((t + 1) * M) / tasks)] as [number, number]);
}

/**
 * `inpca plan SOURCE --out WORK --tasks N`: chooses the landmarks and writes WORK/plan.json. Into a WORK that
 * holds a plan already: the same plan of the same source keeps its outputs (the tasks may be split anew); any
 * other is refused, naming what differs, unless `fresh` (which removes the old plan and its outputs first).
 */
export async function planLandmarkJob(source: string, work: string, o: LandmarkPlanOptions, log: (l: string) => void): Promise<void> {
  const t0 = Date.now();
  checkWorkFolder(work);
  const spec = sourceSpec(source, o.split, o.dataset, o.flags);
  const src = await openSource(spec);
  if (o.tasks > src.models) throw new InpcaInputError(`${o.tasks} tasks for ${src.models} model-points; use at most one task per model-point`);
  const L = o.landmarks ?? Math.min(2000, src.models);
  const seed = o.seed ?? 1;
  const asked = { landmarks: L, samples: o.samples ?? null, seed, select: o.select ?? "pivoted", precision: o.precision ?? "f32", dims: o.dims ?? 3 };
  const old = o.fresh ? null : existingPlan(work, source);
  if (old) {
    // what the command line asks for, against the old plan, before the (costly) choice of landmarks
    const differs: string[] = [];
    if (JSON.stringify(old.source) !== JSON.stringify(spec)) differs.push(`source ${JSON.stringify(old.source)} → ${JSON.stringify(spec)}`);
    for (const [k, v] of Object.entries(asked)) if (JSON.stringify(old.asked[k as keyof typeof asked] ?? null) !== JSON.stringify(v)) differs.push(`${k} ${JSON.stringify(old.asked[k as keyof typeof asked] ?? null)} → ${JSON.stringify(v)}`);
    if (differs.length) refuse(work, differs.join(", "));
  }
  const subset = o.samples !== undefined ? sampleSubset(src.samples, o.samples, src.labels, seed) : undefined;
  const stamp = sourceStamp(src);
  const tasks = splitRows(src.models, o.tasks);
  if (old && stamp !== null && old.stamp === stamp) {
    const resplit = JSON.stringify(old.tasks) !== JSON.stringify(tasks);
    if (resplit) writeFileAtomic(join(work, "plan.json"), JSON.stringify({ ...old, tasks, taskRows: tasks.map(() => null) }));
    log(`${join(work, "plan.json")} already holds this plan of this source${resplit ? `; split anew into ${o.tasks} tasks (outputs of other rows are computed again)` : "; nothing to do"}`);
    return;
  }
  log(`${src.models} model-points of ${src.name}: choosing ${L} landmarks (${o.select ?? "pivoted"})`);
  // the rows' digests are taken while the choice reads them (every row, for the pivoted and spread choices)
  const digests = new RowDigests(src.models);
  const p = await planLandmarks(digestingSource(src, subset, digests), { landmarks: L, dims: o.dims, samples: o.samples, seed, select: o.select, precision: o.precision, showProgress: false });
  const marks = setDigest(await src.read(p.landmarks, p.samples));
  const body = {
    format: PLAN_FORMAT, version: PLAN_VERSION, source: spec, models: src.models, samples: src.samples, classes: src.classes,
    sampleSubset: p.samples ? Array.from(p.samples) : null, dims: p.dims, seed: p.seed, precision: p.precision, stamp, describedBy: describedBy(src),
    landmarks: p.landmarks, select: p.select, chunk: p.chunk, stressPoints: p.stressPoints, marks, asked,
  } satisfies Omit<LandmarkPlanFile, "id" | "tasks" | "taskRows">;
  const file: LandmarkPlanFile = { ...body, id: landmarkPlanId(body), tasks, taskRows: tasks.map(([a, b]) => digests.range(a, b)) };
  if (old && old.id !== file.id) refuse(work, "the source changed since it was planned (its landmarks or their predictions differ now)");
  if (old) log(`${join(work, "plan.json")}: the source's files changed since the plan, its predictions did not; the plan and its outputs stand`);
  if (o.fresh) clearWork(work);
  mkdirSync(join(work, "tasks"), { recursive: true });
  writeFileAtomic(join(work, "plan.json"), JSON.stringify(file));
  log(`wrote ${join(work, "plan.json")}: ${tasks.length} tasks of ~${Math.ceil(src.models / tasks.length)} model-points (${formatSeconds((Date.now() - t0) / 1000)})`);
}

/** The plan WORK holds (null when none); a WORK with an unreadable plan or another kind of plan is refused. */
function existingPlan(work: string, source: string): LandmarkPlanFile | null {
  let p;
  try {
    p = readPlan(work);
  } catch (e) {
    if (e instanceof InpcaInputError && /no plan\.json|no such folder/.test(e.message)) return null;
    throw new InpcaInputError(`${(e as Error).message}\nWORK holds a plan that cannot be used; to start again: inpca plan ${source} --out ${work} --fresh …`);
  }
  if (p.format !== PLAN_FORMAT) refuse(work, "it holds an exact plan");
  return p;
}

function refuse(work: string, why: string): never {
  throw new InpcaInputError(`WORK holds another plan (${why}); its outputs are not reused. To start again, removing the old plan and everything computed for it, add --fresh; or plan into another --out folder`, { file: join(work, "plan.json") });
}

function planOf(p: LandmarkPlanFile): LandmarkPlan {
  return { landmarks: p.landmarks, samples: p.sampleSubset ? Int32Array.from(p.sampleSubset) : undefined, dims: p.dims, seed: p.seed, precision: p.precision, select: p.select, chunk: p.chunk, stressPoints: p.stressPoints, seconds: 0 };
}

/** The landmarks' rows of the plan's source, checked against the plan's digest of their predictions. */
async function readMarks(p: LandmarkPlanFile, src: PredictionSource, work: string, lp: LandmarkPlan) {
  const marks = await src.read(lp.landmarks, lp.samples);
  if (setDigest(marks) !== p.marks) throw new InpcaInputError(`the predictions of the landmarks are not those the plan chose them from: the source changed since it was planned; plan again with --fresh`, { file: join(work, "plan.json") });
  return marks;
}

const landmarksBinding = (p: LandmarkPlanFile) => ({ plan: p.id, landmarks: p.landmarks.length });
const taskBinding = (p: LandmarkPlanFile, i: number) => ({ plan: p.id, task: i, start: p.tasks[i]![0], end: p.tasks[i]![1], landmarks: p.landmarks.length });

/** `inpca distances WORK --task i` of a landmark plan. */
export async function landmarkDistances(work: string, task: number, log: (l: string) => void, progress: boolean): Promise<void> {
  const t0 = Date.now();
  const p = readPlan(work) as LandmarkPlanFile;
  if (task >= p.tasks.length) throw new InpcaInputError(`task ${task} does not exist: the plan has tasks 0–${p.tasks.length - 1}`, { file: join(work, "plan.json") });
  removeStaleTemps(join(work, "tasks"));
  removeStaleTemps(work);
  const [start, end] = p.tasks[task]!;
  const L = p.landmarks.length;
  const name = taskName(task);
  const src = await openSource(p.source);
  checkSameSource(p, src, work);
  const stamp = sourceStamp(src);
  let mine = readResult(work, name, (end - start) * L, taskBinding(p, task));
  let theirs = task === 0 ? readResult(work, "landmarks", L * L, landmarksBinding(p)) : null;
  // done: usable outputs computed from the source as its files are now (same stamp); else the content decides
  const current = (r: TaskResult | string | null) => r === null || (typeof r !== "string" && stamp !== null && r.stamp === stamp);
  if (current(mine) && current(theirs)) {
    log(`task ${task} is already done (rows ${start}–${end - 1}); nothing to do`);
    return;
  }
  const lp = planOf(p);
  const marks = await readMarks(p, src, work, lp);
  const options = { precision: p.precision, showProgress: false as const };
  if (theirs !== null && !current(theirs)) {
    if (typeof theirs !== "string" && theirs.origin === p.marks) writeResult(work, "landmarks", theirs.values, landmarksBinding(p), p.marks, stamp);
    else {
      log(`landmarks: ${L} × ${L} distances`);
      writeResult(work, "landmarks", (await bhattacharyya(marks, options)).data, landmarksBinding(p), p.marks, stamp);
    }
    theirs = null;
    failpoint("landmark-task:after-landmarks");
  }
  if (current(mine)) return void log(`task ${task}: rows ${start}–${end - 1} already done; the landmarks' matrix written`);
  const digests = new RowDigests(p.models);
  const watched = digestingSource(src, lp.samples, digests);
  const planned = p.taskRows[task];
  if (typeof mine !== "string") {
    // a finished output, but the source's files changed since: read the rows, and keep it if they did not
    await streamChunks(watched, start, end, p.chunk, lp.samples, () => null, async () => {});
    if (digests.range(start, end) === mine.origin && (!planned || planned === mine.origin)) {
      writeResult(work, name, mine.values, taskBinding(p, task), mine.origin, stamp);
      return void log(`task ${task}: the source's files changed since it ran, its predictions did not; the output stands`);
    }
    log(`task ${task}: the predictions of rows ${start}–${end - 1} changed since it ran; computing it again`);
    mine = "stale";
  }
  const cross = new Float64Array((end - start) * L);
  const bar = reporter(`task ${task}`, end - start, { showProgress: progress ? "auto" : false });
  await streamChunks(watched, start, end, p.chunk, lp.samples, () => null, async (rows, a, b) => {
    cross.set((await bhattacharyya(rows, marks, options)).data, (a - start) * L);
    bar.update(b - start);
    failpoint(`landmark-task:rows-${b - start}`);
  });
  bar.done();
  const origin = digests.range(start, end)!;
  if (planned && planned !== origin) throw new InpcaInputError(`the predictions of rows ${start}–${end - 1} are not those the plan read: the source changed since it was planned; plan again with --fresh`, { file: join(work, "plan.json") });
  writeResult(work, name, cross, taskBinding(p, task), origin, stamp);
  log(`task ${task}: rows ${start}–${end - 1} × ${L} landmarks in ${formatSeconds((Date.now() - t0) / 1000)}`);
}

/** `inpca embed WORK --out DIR` of a landmark plan. Writes nothing unless every output is usable and of this source. */
export async function landmarkEmbed(work: string, out: string, log: (l: string) => void, report?: string): Promise<void> {
  const t0 = Date.now();
  const p = readPlan(work) as LandmarkPlanFile;
  const L = p.landmarks.length;
  const problems: string[] = [];
  const DLL = readResult(work, "landmarks", L * L, landmarksBinding(p));
  if (typeof DLL === "string") problems.push(`landmarks (task 0): ${DLL}`);
  else if (DLL.origin !== p.marks) problems.push("landmarks (task 0): computed from other predictions of the landmarks than the plan chose");
  const parts = p.tasks.map((_, i) => {
    const r = readResult(work, taskName(i), (p.tasks[i]![1] - p.tasks[i]![0]) * L, taskBinding(p, i));
    if (typeof r === "string") problems.push(`task ${i}: ${r}`);
    else if (p.taskRows[i] && r.origin !== p.taskRows[i]) problems.push(`task ${i}: computed from other predictions of rows ${p.tasks[i]![0]}–${p.tasks[i]![1] - 1} than the plan read`);
    return r;
  });
  if (problems.length) throw new InpcaInputError(`${problems.length} task output${problems.length === 1 ? " is" : "s are"} not usable; re-run ${problems.length === 1 ? "it" : "them"} (nothing was written):\n  ${problems.join("\n  ")}`, { file: work });
  const src = await openSource(p.source);
  checkSameSource(p, src, work);
  const stamp = sourceStamp(src);
  const lp = planOf(p);
  const digests = new RowDigests(p.models);
  const watched = digestingSource(src, lp.samples, digests);
  const basis = fitLandmarks(new DistanceMatrix({ data: (DLL as TaskResult).values, rows: L, cols: L, kind: "bhattacharyya", symmetric: true }), p.dims, undefined, placedAxes(p.select, L, p.dims, p.models));
  const raw = new Float64Array(p.models * basis.axes);
  p.tasks.forEach(([s, e], i) => placeRows(basis, (parts[i] as TaskResult).values, e - s, raw, s));
  const emb = await finishLandmarks(watched, lp, basis, raw, { distance: { precision: p.precision, showProgress: false }, marks: null, resumed: 0, seconds: {}, started: t0 });
  // every task's rows as the source holds them now: read by the check above, or here when it did not read them
  // all and the source's files changed since a task ran
  const outputs = [...parts, DLL] as TaskResult[];
  if (!digests.has(0, p.models) && outputs.some((r) => stamp === null || r.stamp !== stamp)) {
    await streamChunks(watched, 0, p.models, p.chunk, lp.samples, (a, b) => (digests.has(a, b) ? true : null), async () => {});
  }
  const changed = p.tasks.map(([a, b], i) => ((parts[i] as TaskResult).origin !== digests.range(a, b) && digests.has(a, b) ? i : -1)).filter((i) => i >= 0);
  if (changed.length) {
    throw new InpcaInputError(`the source changed since ${changed.length === 1 ? "task" : "tasks"} ${changed.join(", ")} ran: ${changed.length === 1 ? "its" : "their"} rows hold other predictions now (nothing was written); re-run ${changed.length === 1 ? "it" : "them"} (inpca distances WORK --task i), or plan again with --fresh`, { file: work });
  }
  const marksNow = digests.of(p.landmarks);
  if (marksNow !== null && marksNow !== p.marks) throw new InpcaInputError("the source changed since the plan: the landmarks hold other predictions now (nothing was written); plan again with --fresh", { file: work });
  saveEmbedding(out, emb, { method: "landmark", plan: p.id, source: p.source, stamp, describedBy: p.describedBy, tasks: p.tasks.map((_, i) => (parts[i] as TaskResult).origin) });
  if (report) writeFileAtomic(report, reportPage(emb, src.name));
  log(`wrote ${out}: ${emb.points} model-points × ${emb.dims} axes, ES(3) ≈ ${emb.landmark!.stress.explained.toFixed(4)}${emb.landmark!.check ? `; ${landmarkCheckText(emb.landmark!.check, emb.dims)}` : ""} (${formatSeconds((Date.now() - t0) / 1000)})`);
}
