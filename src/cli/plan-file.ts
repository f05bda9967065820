/**
 * plan.json of a job array (`inpca plan`), landmark or exact: what it holds, how it is read back (every field
 * checked by the one validator, then the fields against each other, so a hand-edited, truncated or foreign plan
 * is refused naming the file and the field, never half-trusted), and the plan's id, a digest of everything its
 * results depend on, which every task output records.
 */
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { InpcaInputError } from "../core/errors.js";
import { digestIndices, digestJson } from "../core/fingerprint.js";
import { arrayOf, digest, ensure, integer, nullable, object, oneOf, optional, string, validate, type Place, type Rule } from "../core/options.js";
import { parseJsonChecked } from "../io/formats/json-depth.js";
import type { CheckpointFlags } from "./checkpoint-flags.js";

export const PLAN_FORMAT = "inpca-landmark-plan";
export const EXACT_PLAN_FORMAT = "inpca-exact-plan";
/** Version of both plan formats (1: before plans and outputs recorded what they were computed from). */
export const PLAN_VERSION = 2;
/** plan.json larger than this is not a plan (a plan of 10⁶ model-points with 10⁴ landmarks is ~100 MB). */
const MAX_PLAN_BYTES = 512 * 2 ** 20;

/** Where the model-points come from, as each task opens it again. */
export type SourceSpec = { kind: "zoo"; dir: string; split: string } | { kind: "checkpoints"; dir: string; split?: string; flags?: CheckpointFlags } | { kind: "hdf5"; file: string; dataset: string };

/** What every plan records of its source besides the spec: shape, stamp and digests of its model-points and labels. */
export interface PlanSource {
  format: string;
  version: number;
  source: SourceSpec;
  models: number;
  samples: number;
  classes: number;
  /** The sample subset (ascending), or null for all samples. */
  sampleSubset: number[] | null;
  dims: number;
  seed: number;
  precision: "f32" | "f64";
  /** The source's stamp when planned (`sourceStamp`), or null. */
  stamp: string | null;
  /** Digests of the model-points (run, step) and of the labels when planned. */
  describedBy: { meta: string; labels: string | null };
  /** Digest of everything the results depend on (see `landmarkPlanId`, `exactPlanId`). */
  id: string;
}

/** A landmark plan. */
export interface LandmarkPlanFile extends PlanSource {
  format: typeof PLAN_FORMAT;
  landmarks: number[];
  select: string;
  chunk: number;
  stressPoints: number;
  /** Content digest of the landmarks' predictions (with the subset). */
  marks: string;
  /** [start, end) rows of each task. */
  tasks: [number, number][];
  /** Content digest of each task's rows when the plan read them all while choosing, else null. */
  taskRows: (string | null)[];
  /** The options the plan was asked for (compared when WORK is planned again). */
  asked: { landmarks: number; samples: number | null; seed: number; select: string; precision: string; dims: number };
}

/** An exact plan. */
export interface ExactPlanFile extends PlanSource {
  format: typeof EXACT_PLAN_FORMAT;
  /** Block edge B (model-points). */
  block: number;
  /** What every block must have been computed for (`exactIdentity`). */
  identity: Record<string, string | number | null>;
  /** Per task, indices into the row-major list of upper-triangle blocks (`blockGrid(models, block).blocks`). */
  tasks: number[][];
}

export type AnyPlanFile = LandmarkPlanFile | ExactPlanFile;

const SOURCE: Rule = object({ kind: oneOf("zoo", "checkpoints", "hdf5") });
const COMMON: Record<string, Rule> = {
  format: oneOf(PLAN_FORMAT, EXACT_PLAN_FORMAT), version: oneOf(PLAN_VERSION), source: SOURCE,
  models: integer(2), samples: integer(1), classes: integer(2), sampleSubset: nullable(arrayOf(integer(0), 1)),
  dims: integer(1), seed: integer(0), precision: oneOf("f32", "f64"), stamp: nullable(digest()),
  describedBy: object({ meta: digest(), labels: nullable(digest()) }), id: digest(),
};
const LANDMARK_RULE: Rule = object({
  ...COMMON, landmarks: arrayOf(integer(0), 2), select: oneOf("pivoted", "spread", "farthest", "random", "given"),
  chunk: integer(1, 4096), stressPoints: integer(2), marks: digest(),
  tasks: arrayOf(arrayOf(integer(0), 2, 2), 1), taskRows: arrayOf(nullable(digest())),
  asked: object({ landmarks: integer(2), samples: nullable(integer(1)), seed: integer(0), select: string(), precision: string(), dims: integer(1) }),
});
const EXACT_RULE: Rule = object({
  ...COMMON, block: integer(1), identity: object({}), tasks: arrayOf(arrayOf(integer(0), 1), 1),
});
const SPEC_RULES: Record<string, Rule> = {
  zoo: object({ dir: string(/./, "a path"), split: string(/./, "a split name") }),
  checkpoints: object({
    dir: string(/./, "a path"), split: optional(string()),
    flags: optional(object({ array: optional(string()), inputs: optional(string()), kind: optional(oneOf("probabilities", "logProbabilities", "logits")), renormalize: optional(oneOf(true)), labels: optional(string()) })),
  }),
  hdf5: object({ file: string(/./, "a path"), dataset: string(/./, "a dataset name") }),
};

/** The id of a landmark plan: a digest of the fields its task outputs depend on (all but the split into tasks). */
export function landmarkPlanId(p: Omit<LandmarkPlanFile, "id" | "tasks" | "taskRows" | "asked">): string {
  const { source, models, samples, classes, sampleSubset, dims, seed, precision, describedBy, landmarks, select, chunk, stressPoints, marks } = p;
  return digestJson({ kind: PLAN_FORMAT, source, models, samples, classes, subset: digestIndices(sampleSubset), dims, seed, precision, describedBy, landmarks, select, chunk, stressPoints, marks });
}

/** The id of an exact plan: a digest of the matrix (`identity`), the source and the solve's options. */
export function exactPlanId(p: Omit<ExactPlanFile, "id" | "tasks" | "stamp">): string {
  const { source, models, samples, classes, sampleSubset, dims, seed, precision, describedBy, block, identity } = p;
  return digestJson({ kind: EXACT_PLAN_FORMAT, source, models, samples, classes, subset: digestIndices(sampleSubset), dims, seed, precision, describedBy, block, identity });
}

/**
 * Reads WORK/plan.json: a regular file of at most 512 MiB, JSON, of a known format and version, every field of
 * the right type and range, and consistent (indices below M, tasks covering every row or block once, the id
 * matching the fields). Throws InpcaInputError naming the file and the field otherwise.
 */
export function readPlan(work: string): AnyPlanFile {
  const wst = statSync(work, { throwIfNoEntry: false });
  if (!wst) throw new InpcaInputError("no such folder (run `inpca plan SOURCE --out WORK --tasks N` first)", { file: work });
  if (!wst.isDirectory()) throw new InpcaInputError("not a folder: WORK is the folder `inpca plan --out` made", { file: work });
  const file = join(work, "plan.json");
  const st = statSync(file, { throwIfNoEntry: false });
  if (!st) throw new InpcaInputError("no plan.json (run `inpca plan SOURCE --out WORK --tasks N` first)", { file: work });
  if (!st.isFile()) throw new InpcaInputError("plan.json is not a regular file", { file });
  if (st.size === 0) throw new InpcaInputError("plan.json is empty (a plan interrupted by hand, or a full disk): plan again with --fresh", { file });
  if (st.size > MAX_PLAN_BYTES) throw new InpcaInputError(`plan.json has ${st.size} bytes, more than any plan; not an inpca plan`, { file });
  let raw: unknown;
  try {
    raw = parseJsonChecked(readFileSync(file, "utf8"), file);
  } catch (e) {
    if (e instanceof SyntaxError) throw new InpcaInputError(`plan.json is not JSON (truncated or damaged: ${e.message}); plan again with --fresh`, { file });
    throw e;
  }
  const head = raw as { format?: unknown; version?: unknown } | null;
  if (typeof head !== "object" || head === null || (head.format !== PLAN_FORMAT && head.format !== EXACT_PLAN_FORMAT)) throw new InpcaInputError(`not an inpca plan (format ${JSON.stringify(head?.format)})`, { file });
  if (head.version !== PLAN_VERSION) throw new InpcaInputError(`a plan of version ${JSON.stringify(head.version)}, made by ${typeof head.version === "number" && head.version < PLAN_VERSION ? "an earlier inpca without the fingerprints of its source; plan again with --fresh" : "another inpca"}`, { file });
  const place: Place = { file };
  const p = validate<AnyPlanFile>(raw, head.format === PLAN_FORMAT ? LANDMARK_RULE : EXACT_RULE, "", place);
  validate(p.source, SPEC_RULES[p.source.kind]!, "source", place);
  const { models: M, samples: S } = p;
  if (p.sampleSubset) ascending(p.sampleSubset, S, "sampleSubset", place);
  if (p.format === PLAN_FORMAT) {
    ascending(p.landmarks, M, "landmarks", place);
    ensure(p.landmarks.length >= p.dims + 1, "landmarks", `has ${p.landmarks.length}, fewer than dims + 1 = ${p.dims + 1}`, place);
    ensure(p.stressPoints <= M, "stressPoints", `is ${p.stressPoints}, more than the ${M} model-points`, place);
    ensure(p.chunk <= M, "chunk", `is ${p.chunk}, more than the ${M} model-points`, place);
    ensure(p.tasks.length <= M, "tasks", `has ${p.tasks.length} tasks for ${M} model-points`, place);
    p.tasks.forEach(([a, b], i) => {
      ensure(a === (i === 0 ? 0 : p.tasks[i - 1]![1]) && b > a && b <= M, `tasks[${i}]`, `is [${a}, ${b}]; the tasks must split rows 0–${M - 1} into consecutive non-empty ranges`, place);
    });
    ensure(p.tasks[p.tasks.length - 1]![1] === M, "tasks", `end at row ${p.tasks[p.tasks.length - 1]![1]}, not at ${M}`, place);
    ensure(p.taskRows.length === p.tasks.length, "taskRows", `has ${p.taskRows.length} entries for ${p.tasks.length} tasks`, place);
    ensure(p.id === landmarkPlanId(p), "id", "does not match the plan's fields: plan.json was edited after `inpca plan` wrote it; plan again with --fresh", place);
  } else {
    ensure(p.block <= M, "block", `is ${p.block}, more than the ${M} model-points`, place);
    const count = Math.ceil(M / p.block);
    const blocks = (count * (count + 1)) / 2;
    const seen = new Uint8Array(blocks);
    p.tasks.forEach((t, i) => t.forEach((k, j) => {
      ensure(k < blocks, `tasks[${i}][${j}]`, `is ${k}; the plan has blocks 0–${blocks - 1}`, place);
      ensure(!seen[k], `tasks[${i}][${j}]`, `is block ${k} a second time`, place);
      seen[k] = 1;
    }));
    ensure(seen.every((x) => x === 1), "tasks", `leave block ${seen.indexOf(0)} to no task`, place);
    ensure(p.id === exactPlanId(p), "id", "does not match the plan's fields: plan.json was edited after `inpca plan` wrote it; plan again with --fresh", place);
  }
  return p;
}

/** Checks that `a` is strictly ascending in [0, n). */
function ascending(a: readonly number[], n: number, path: string, place: Place): void {
  a.forEach((v, i) => {
    ensure(v < n, `${path}[${i}]`, `is ${v}, outside [0, ${n})`, place);
    ensure(i === 0 || v > a[i - 1]!, `${path}[${i}]`, `is ${v}, not above ${a[i - 1]} (indices must ascend)`, place);
  });
}
