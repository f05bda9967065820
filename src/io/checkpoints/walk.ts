/**
 * The walk from what a user passes (a folder, a glob, a list of paths) to checkpoint items: data files, checkpoint
 * folders (one data file or a TensorFlow.js `model.json` inside), run folders and folders of run folders,
 * skipping hidden entries, sidecars, labels files and `labels/` folders. Globs take `*`, `?`, `[abc]` and `**`
 * segments. No array is read here.
 */
import { existsSync, readdirSync, realpathSync, statSync } from "node:fs";
import { basename, dirname, extname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { InpcaInputError } from "../../core/errors.js";
import type { ConfigValue } from "../../core/meta.js";
import { naturalCompare, parseName, stripExt, type ParsedName } from "./names.js";
import { ARRAY_EXTENSIONS, CHECKPOINT_EXTENSIONS, checkpointFileFormat } from "../formats/registry.js";
import { folderSidecar, SIDECARS } from "./sidecars.js";

/** How a checkpoint is stored: an array-file format, or a model that is run ("onnx", "tfjs"). */
export type CheckpointFormat = "npy" | "npz" | "safetensors" | "hdf5" | "json" | "torch" | "onnx" | "tfjs";

/** The checkpoint count of a run file (all checkpoints of a run in one array), and its steps/epochs if stored. */
export interface RunFileRows {
  count: number;
  steps?: number[];
  epochs?: number[];
}

/** A checkpoint file or folder found by the walk. */
export interface Item {
  path: string;
  format: CheckpointFormat;
  file: string;
  runDir: string;
  name: ParsedName;
  sidecar?: string;
  base: string;
  /** Set for a run file: the number of checkpoints along its first axis, and their steps/epochs if stored. */
  rows?: RunFileRows;
}

/** One checkpoint found on disk, before its array is read (what discovery makes of an item: discover.ts). */
export interface DiscoveredCheckpoint {
  /** The file or folder of this checkpoint. */
  path: string;
  /** How it is stored. */
  format: CheckpointFormat;
  /** The file the array is read from (inside `path` for a checkpoint folder; `path` itself otherwise). */
  file: string;
  /** Step (from the sidecar, the name, `stepsPerEpoch`, or the index in the run, in that order). */
  step: number;
  /** Epoch, when the name or a sidecar gives one. */
  epoch?: number;
  /** Configuration of this checkpoint (run folder name, run sidecar, file name, checkpoint sidecar, options). */
  config: Record<string, ConfigValue>;
  /** Other fields from the checkpoint sidecar (error, loss, trainError, ...). */
  fields: Record<string, unknown>;
  /** For a run file (all checkpoints of a run in one [checkpoints, samples, classes] array): this checkpoint's row. */
  row?: number;
}

/** Whether `p` is a folder (false when it does not exist). */
export function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** A `labels/` (or `targets/`) folder beside the checkpoints holds labels, not checkpoints. */
function isLabelsFolder(name: string): boolean {
  return /^(labels?|targets?)$/i.test(name);
}

/** A folder that holds several checkpoints itself (data files or checkpoint folders), not one checkpoint. */
function looksLikeRunFolder(dir: string, depth = 0): boolean {
  if (existsSync(join(dir, "model.json"))) return false;
  const files = dataFiles(dir);
  if (files.length >= 2) return true;
  if (depth >= 2) return false; // bounded: symbolic links may loop
  const subs = safeReaddir(dir).filter((n) => !n.startsWith(".") && !isLabelsFolder(n) && isDir(join(dir, n)));
  return files.length === 0 && subs.length >= 1 && subs.some((n) => checkpointFolder(join(dir, n), true) !== null || looksLikeRunFolder(join(dir, n), depth + 1));
}

const LABELS_FILE = new RegExp(`^(labels?|targets?|y)([._-].*)?(${ARRAY_EXTENSIONS.map((e) => e.replace(".", "\\.")).join("|")})$`, "i");

/** A labels file by its name (`labels.npy`, `targets_train.json`, `y.h5`, ...), not a checkpoint. */
export function isLabelsFile(name: string): boolean {
  return LABELS_FILE.test(name);
}

/** Data files of a folder that can be checkpoints (not sidecars, labels, hidden files). */
function dataFiles(dir: string): string[] {
  const names = safeReaddir(dir);
  const stems = new Set(names.filter((n) => checkpointFileFormat(n) && extname(n).toLowerCase() !== ".json").map(stripExt));
  return names.filter((n) => {
    const ext = extname(n).toLowerCase();
    if (!checkpointFileFormat(n) || n.startsWith(".") || isLabelsFile(n) || SIDECARS.includes(n.toLowerCase())) return false;
    if (ext === ".json" && stems.has(stripExt(n))) return false; // the sidecar of a data file with the same stem
    return !isDir(join(dir, n));
  });
}

/** The entries of `dir`, in natural order (an error naming the folder when it cannot be listed). */
export function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir).sort(naturalCompare);
  } catch (e) {
    throw new InpcaInputError(`cannot list the folder: ${(e as Error).message}`, { file: dir, cause: e });
  }
}

/** A checkpoint folder: holds model.json, or exactly one data file (the predictions). */
function checkpointFolder(dir: string, strict: boolean): Item | null {
  const base = basename(dir);
  if (existsSync(join(dir, "model.json"))) return { path: dir, format: "tfjs", file: join(dir, "model.json"), runDir: dirname(dir), name: parseName(base), sidecar: folderSidecar(dir), base };
  const files = dataFiles(dir);
  if (files.length === 0) return null;
  const subdirs = safeReaddir(dir).filter((n) => !n.startsWith(".") && isDir(join(dir, n)));
  const name = parseName(base);
  if (strict && (files.length !== 1 || subdirs.length > 0 || !(name.keyed || /^\d+$/.test(base) || /ckpt|checkpoint/i.test(base)))) return null;
  let file = files[0]!;
  if (files.length > 1) {
    const preferred = files.find((n) => /^(predictions?|preds?|probs|probabilities|outputs?|logits)\./i.test(n));
    if (!preferred) throw new InpcaInputError(`checkpoint folder holds several data files (${files.join(", ")}); keep one, or name it predictions.<ext>`, { file: dir });
    file = preferred;
  }
  return { path: dir, format: checkpointFileFormat(file)!, file: join(dir, file), runDir: dirname(dir), name, sidecar: folderSidecar(dir), base };
}

/** A checkpoint file, with its sidecar `<stem>.json` when there is one. */
function fileItem(path: string): Item {
  const name = basename(path);
  const ext = extname(name).toLowerCase();
  const format = checkpointFileFormat(name);
  if (!format) throw new InpcaInputError(`not a checkpoint file (readable: ${CHECKPOINT_EXTENSIONS.join(", ")})`, { file: path });
  const side = ext === ".json" ? undefined : join(dirname(path), `${stripExt(name)}.json`);
  return { path, format, file: path, runDir: dirname(path), name: parseName(stripExt(name)), sidecar: side && existsSync(side) ? side : undefined, base: name };
}

/** The checkpoints of a run folder: its data files and checkpoint folders. */
function runFolder(dir: string, depth = 0): Item[] {
  const out: Item[] = dataFiles(dir).map((n) => fileItem(join(dir, n)));
  const subdirs = safeReaddir(dir).filter((n) => !n.startsWith(".") && !isLabelsFolder(n) && isDir(join(dir, n)));
  // a folder of run folders (each holding several checkpoints of its own): the runs of each
  if (out.length === 0 && depth < 2 && subdirs.length > 0 && subdirs.every((n) => looksLikeRunFolder(join(dir, n)))) {
    return subdirs.flatMap((n) => runFolder(join(dir, n), depth + 1));
  }
  for (const n of subdirs) {
    const item = checkpointFolder(join(dir, n), false);
    if (item) out.push(item);
  }
  if (out.length === 0) {
    throw new InpcaInputError(`no checkpoints: no ${CHECKPOINT_EXTENSIONS.join("/")} files and no checkpoint folders (other than labels and sidecar files)`, { file: dir });
  }
  return out;
}

/** The checkpoint items of a folder, a glob or a list of paths (each path once). */
export function collect(input: string | readonly string[]): Item[] {
  const list = typeof input === "string" ? [input] : [...input];
  if (list.length === 0) throw new InpcaInputError("loadCheckpoints: no paths given");
  const items: Item[] = [];
  for (const p of list) {
    if (existsSync(p)) {
      if (!isDir(p)) items.push(fileItem(p));
      else if (existsSync(join(p, "model.json"))) items.push(checkpointFolder(p, false)!);
      else items.push(...runFolder(p));
      continue;
    }
    if (!/[*?[]/.test(p)) throw new InpcaInputError("no such file or folder", { file: p });
    const matches = expandGlob(p);
    if (matches.length === 0) throw new InpcaInputError("the pattern matched no file or folder", { file: p });
    for (const m of matches) {
      if (!isDir(m)) {
        if (checkpointFileFormat(m) && !isLabelsFile(basename(m)) && !SIDECARS.includes(basename(m).toLowerCase())) items.push(fileItem(m));
        continue;
      }
      const ck = checkpointFolder(m, true);
      items.push(...(ck ? [ck] : runFolder(m)));
    }
    if (items.length === 0) throw new InpcaInputError("the pattern matched no checkpoint file or folder", { file: p });
  }
  const seen = new Set<string>();
  return items.filter((it) => {
    const key = resolve(it.path);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}


/** The most folders a `**` pattern may reach before it is refused (a guard against runaway walks). */
export const MAX_WALK_ENTRIES = 100_000;

/**
 * Expands `*`, `?`, `[...]` and `**` segment by segment (hidden entries only when the segment starts with ".").
 * `**` visits each real folder once (symbolic-link cycles end there) and at most {@link MAX_WALK_ENTRIES} folders.
 */
function expandGlob(pattern: string): string[] {
  const dirOnly = /[/\\]$/.test(pattern);
  const abs = isAbsolute(pattern);
  const parts = pattern.split(/[/\\]+/).filter((s, i) => s.length > 0 || i === 0);
  let current: string[] = [abs ? sep : "."];
  if (abs) parts.shift();
  for (const part of parts) {
    const next: string[] = [];
    if (part === "**") {
      // every folder below, each real folder once: symbolic links that loop back are followed no further
      const seen = new Set<string>();
      const walk = (d: string) => {
        let real: string;
        try {
          real = realpathSync(d);
        } catch {
          return;
        }
        if (seen.has(real)) return;
        seen.add(real);
        next.push(d);
        if (next.length > MAX_WALK_ENTRIES) {
          throw new InpcaInputError(`the pattern reaches more than ${MAX_WALK_ENTRIES} folders; narrow it (or pass a list of paths)`, { file: pattern });
        }
        for (const n of safeList(d)) if (!n.startsWith(".") && isDir(join(d, n))) walk(join(d, n));
      };
      current.forEach(walk);
    } else if (!/[*?[]/.test(part)) {
      for (const d of current) if (existsSync(join(d, part))) next.push(join(d, part));
    } else {
      const re = segmentRegex(part);
      for (const d of current) for (const n of safeList(d)) if (re.test(n) && (part.startsWith(".") || !n.startsWith("."))) next.push(join(d, n));
    }
    current = [...new Set(next)];
  }
  const out = current.filter((p) => !dirOnly || isDir(p)).map((p) => (abs ? p : relative(".", p) || "."));
  return out.sort(naturalCompare);
}

function safeList(d: string): string[] {
  try {
    return isDir(d) ? readdirSync(d) : [];
  } catch {
    return [];
  }
}

function segmentRegex(seg: string): RegExp {
  let re = "";
  for (let i = 0; i < seg.length; i++) {
    const ch = seg[i]!;
    if (ch === "*") re += "[^/]*";
    else if (ch === "?") re += "[^/]";
    else if (ch === "[") {
      const end = seg.indexOf("]", i + 2);
      if (end < 0) re += "\\[";
      else {
        let body = seg.slice(i + 1, end);
        if (body.startsWith("!")) body = `^${body.slice(1)}`;
        re += `[${body.replace(/\\/g, "\\\\")}]`;
        i = end;
      }
    } else re += ch.replace(/[.+^${}()|\\\]]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}
