/**
 * What the job-array verbs share: opening a plan's source the same way in every task, checking that it is still
 * the source the plan was made from (shape, model-points, labels), the WORK folder's own files (which --fresh
 * removes, and nothing else), and the usage error.
 */
import { existsSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { InpcaInputError } from "../core/errors.js";
import { describedBy } from "../core/fingerprint.js";
import type { PredictionSource } from "../core/source.js";
import { checkpointSource } from "../io/checkpoints/source.js";
import { arrayFormatOf } from "../io/formats/registry.js";
import { hdf5Source } from "../io/formats/hdf5/source.js";
import { zooSource } from "../io/stores/zoo/source.js";
import type { PlanSource, SourceSpec } from "./plan-file.js";
import { givenFlags, loaderOptions, type CheckpointFlags } from "./checkpoint-flags.js";

/** A mistake on the command line: printed with the usage text, exit code 2. */
export class JobUsageError extends Error {}

/** Opens the plan's source (the same kind of source, with the same options, in every task). */
export async function openSource(source: SourceSpec): Promise<PredictionSource> {
  if (source.kind === "zoo") return zooSource(source.dir, source.split);
  if (source.kind === "hdf5") return hdf5Source(source.file, source.dataset);
  return checkpointSource(source.dir, { ...loaderOptions(source.flags ?? {}), split: source.split, log: false });
}

/**
 * What SOURCE on the command line is: a zoo (manifest.json), an HDF5 file (needs --dataset), or checkpoints (read
 * with the checkpoint flags, which the other kinds refuse).
 */
export function sourceSpec(path: string, split: string | undefined, dataset: string | undefined, flags: CheckpointFlags = {}): SourceSpec {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) throw new InpcaInputError("no such file or folder", { file: path });
  const given = givenFlags(flags);
  const checkpoints = !(arrayFormatOf(path)?.name === "hdf5" && st.isFile()) && !existsSync(join(path, "manifest.json"));
  if (given.length && !checkpoints) throw new JobUsageError(`${given.join(", ")}: for a folder of checkpoints only; ${path} is ${existsSync(join(path, "manifest.json")) ? "a zoo" : "an HDF5 file (name its dataset with --dataset)"}`);
  if (arrayFormatOf(path)?.name === "hdf5" && st.isFile()) {
    if (!dataset) throw new JobUsageError(`${path} is an HDF5 file: name the dataset [model-points, samples, classes] with --dataset`);
    return { kind: "hdf5", file: path, dataset };
  }
  if (existsSync(join(path, "manifest.json"))) return { kind: "zoo", dir: path, split: split ?? "train" };
  return { kind: "checkpoints", dir: path, ...(split ? { split } : {}), ...(given.length ? { flags } : {}) };
}

/**
 * Throws InpcaInputError (naming plan.json) unless `src` is still the source `p` was planned on: the same shape,
 * the same model-points in the same order, the same labels.
 */
export function checkSameSource(p: PlanSource, src: PredictionSource, work: string): void {
  const file = join(work, "plan.json");
  if (src.models !== p.models || src.samples !== p.samples || src.classes !== p.classes) {
    throw new InpcaInputError(`the source is now ${src.models} × ${src.samples} × ${src.classes}, the plan was made for ${p.models} × ${p.samples} × ${p.classes}; plan again with --fresh`, { file });
  }
  const now = describedBy(src);
  if (now.meta !== p.describedBy.meta) throw new InpcaInputError("the source's model-points (runs and steps) are not those the plan was made for; plan again with --fresh", { file });
  if (now.labels !== p.describedBy.labels) throw new InpcaInputError("the source's labels are not those the plan was made for; plan again with --fresh", { file });
}

/** The files and folders a plan and its tasks write in WORK: all that --fresh removes. */
const OURS = ["plan.json", "tasks", "blocks", "landmarks.f64", "landmarks.json"];

/** Removes the plan, task outputs and blocks in WORK (and the temporary files of their writes); nothing else. */
export function clearWork(work: string): void {
  for (const n of OURS) rmSync(join(work, n), { recursive: true, force: true });
  if (existsSync(work)) for (const n of readdirSync(work)) if (/^\.plan\.json\.tmp-|^\.landmarks\.(f64|json)\.tmp-/.test(n)) rmSync(join(work, n), { force: true });
}

/** Checks that WORK is a folder or does not exist yet. */
export function checkWorkFolder(work: string): void {
  const st = statSync(work, { throwIfNoEntry: false });
  if (st && !st.isDirectory()) throw new InpcaInputError("--out WORK must be a folder, and this is a file", { file: work });
}
