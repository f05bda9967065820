/**
 * The samples' labels for checkpoints: found beside them (`labels[.<split>].<ext>`, a `labels/` folder), read
 * from a labels file of any array format, or taken from a labels array inside a checkpoint file; checked to be
 * one integer in [0, C) per sample and the same for every run.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { InpcaInputError } from "../../core/errors.js";
import { fix } from "../../core/fixes.js";
import { checkedIntegers } from "../../core/integers.js";
import { isDir, safeReaddir } from "./walk.js";
import { ARRAY_EXTENSIONS, arrayFormatOf, arraySource, openArrayFile, pickLabelArray, type ArrayFile, type FileArray } from "../formats/registry.js";

/** Extensions of labels files in the order they are looked for (then any other array format's). */
const LABEL_EXTENSIONS: readonly string[] = [...new Set([".npy", ".json", ".npz", ".safetensors", ".h5", ".hdf5", ".pt", ".pth", ...ARRAY_EXTENSIONS])];

/** Labels and the file (or "options.labels") they came from. */
export interface FoundLabels {
  /** One label per sample. */
  labels: Int32Array;
  /** The file they were read from. */
  file: string;
}

/** Where labels are looked for and which are wanted. */
export interface LabelsOptions {
  /** Given labels: numbers, a file, or null for none. */
  labels?: ArrayLike<number> | string | null;
  /** Fail when none are found. */
  requireLabels?: boolean;
  split?: string;
}

/** One integer ≥ 0 per sample from a [S] or [S, 1] array (`source` names it in errors). */
export function labelInts(a: Pick<FileArray, "data" | "shape">, source: string): Int32Array {
  const { data, shape } = a;
  if (!(shape.length === 1 || (shape.length === 2 && shape[1] === 1))) throw new InpcaInputError(`labels must be one integer per sample, got shape [${shape.join(", ")}]`, { file: source });
  return checkedIntegers(Array.from(data, Number), (i) => `label ${i}`, { min: 0, file: source });
}

/** The labels array inside a checkpoint file, if it holds one (and labels were not given). */
export function innerLabels(f: ArrayFile, options: LabelsOptions): Int32Array | undefined {
  if (options.labels !== undefined) return undefined;
  const name = pickLabelArray(f.names.filter((n) => n !== ""), { split: options.split });
  return name === undefined ? undefined : labelInts(f.read(name), arraySource(f.file, name));
}

/**
 * The labels file for checkpoints in `dir`: `labels[.<split>].<ext>` (or targets) in `dir`, else inside a
 * `labels/` (or `targets/`) folder there (`<split>.<ext>`, `labels[.<split>].<ext>`, or its only file), or null.
 * (What `loadCheckpoints` looks for beside each run, and in the folder above it.)
 */
export function findLabelsFile(dir: string, split?: string): string | null {
  const stems = [...(split ? [`labels.${split}`, `labels_${split}`, `${split}_labels`, `${split}.labels`] : []), "labels", "targets"];
  for (const s of stems) for (const ext of LABEL_EXTENSIONS) if (existsSync(join(dir, s + ext)) && !isDir(join(dir, s + ext))) return join(dir, s + ext);
  for (const folder of ["labels", "targets", "label", "target"]) {
    const d = join(dir, folder);
    if (!isDir(d)) continue;
    for (const s of [...(split ? [split] : []), ...stems]) for (const ext of LABEL_EXTENSIONS) if (existsSync(join(d, s + ext))) return join(d, s + ext);
    const files = safeReaddir(d).filter((n) => arrayFormatOf(n) !== undefined && !n.startsWith("."));
    if (files.length === 1) return join(d, files[0]!);
    if (files.length > 1) throw new InpcaInputError(`labels folder holds several files (${files.join(", ")}) and none is named for the split${split ? ` "${split}"` : ""}; pass ${fix("labels")}`, { file: d });
  }
  return null;
}

/** Reads a labels file of any array format: its only array, or the split's labels, or labels/targets/y. */
export async function loadLabelsFile(path: string, split?: string): Promise<FoundLabels> {
  if (!existsSync(path)) throw new InpcaInputError("labels file not found", { file: path });
  if (!arrayFormatOf(path)) throw new InpcaInputError(`labels file must be one of ${ARRAY_EXTENSIONS.join(", ")}`, { file: path });
  const f = await openArrayFile(path);
  try {
    const n = pickLabelArray(f.names, { split, labelsFile: true });
    if (n === undefined) throw new InpcaInputError(`no labels array among: ${f.names.join(", ") || "none"}`, { file: path });
    return { labels: labelInts(f.read(n), arraySource(path, n)), file: path };
  } finally {
    f.close();
  }
}

/**
 * The labels of a load: given (numbers or a file), else found beside each run's checkpoints (or in the folder
 * above), else from a labels array inside its checkpoint files (`inner`, by run folder); checked against S and C
 * and across runs. Null when none (an error with `requireLabels`).
 */
export async function resolveLabels(options: LabelsOptions, runDirs: readonly string[], inner: Map<string, FoundLabels>, S: number, C: number, first: string): Promise<FoundLabels | null> {
  let found: FoundLabels | null = null;
  const check = (l: FoundLabels) => {
    if (l.labels.length !== S) throw new InpcaInputError(`${l.labels.length} labels, but the checkpoints have ${S} samples (${first})`, { file: l.file });
    l.labels.forEach((y, i) => {
      if (!(y >= 0 && y < C)) throw new InpcaInputError(`label ${i} is ${y}, outside the ${C} classes [0, ${C})`, { file: l.file });
    });
    return l;
  };
  if (options.labels === null) return null;
  if (typeof options.labels === "string") found = check(await loadLabelsFile(options.labels, options.split));
  else if (options.labels !== undefined) found = check({ labels: labelInts({ data: options.labels, shape: [options.labels.length] }, "options.labels"), file: "options.labels" });
  else {
    for (const dir of runDirs) {
      // beside the checkpoints, else in the folder above (a folder of run folders, or a glob of them)
      const near = findLabelsFile(dir, options.split) ?? findLabelsFile(dirname(dir), options.split);
      const l = near ? await loadLabelsFile(near, options.split) : inner.get(dir);
      if (!l) continue;
      check(l);
      if (found && !sameInts(found.labels, l.labels)) throw new InpcaInputError(`labels differ from those in ${found.file}; runs must be on the same samples`, { file: l.file });
      found ??= l;
    }
  }
  if (!found && options.requireLabels) {
    const dirs = [...new Set(runDirs)];
    throw new InpcaInputError(`no labels found for ${dirs.join(", ")}: looked for labels${options.split ? `.${options.split}` : ""}.npy/.npz/.json/.safetensors/.h5 next to the checkpoints and for labels/targets/y arrays inside them; pass ${fix("labels")}`);
  }
  return found;
}

function sameInts(a: Int32Array, b: Int32Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
