/**
 * `inpca report`, loading: the folder given (a zoo, or saved checkpoint predictions) read into one PredictionSet
 * per split, with what the page says about what was read (runs left out and why, splits present, labels missing).
 */
import { existsSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { InpcaInputError } from "../core/errors.js";
import type { PredictionSet } from "../core/prediction-set.js";
import { isDir } from "../io/checkpoints/walk.js";
import { discoverCheckpoints, findLabelsFile, loadCheckpoints } from "../io/checkpoints/load.js";
import { loadZoo, type ZooRun } from "../io/stores/zoo/index.js";
import { givenFlags, loaderOptions, type CheckpointFlags } from "./checkpoint-flags.js";
import { fmtInt } from "./report-text.js";

/** Which splits the report covers. */
export type ReportSplit = "train" | "test" | "both";

/** What `loadReportInput` reads (the options of `buildReport` that concern loading). */
export interface ReportInputOptions {
  /** "train", "test" or "both" (default: both when the input has a test split, else train). */
  split?: ReportSplit;
  /** Labels file for a checkpoint folder (default: found next to the checkpoints or in the folder given). */
  labels?: string;
  /** How a folder of checkpoints is read: --array, --inputs, --kind, --renormalize (see checkpoint-flags.ts). */
  checkpoints?: CheckpointFlags;
  /**
   * Zoo runs to show: "ordinary" (default: finished, trained, not a corner initialisation such as random labels),
   * or "all". The page says how many were left out and why.
   */
  runs?: "ordinary" | "all";
  /** Stops loading (InpcaAbortError). */
  signal?: AbortSignal;
}

/** Loaded input: prediction sets per split and what the page says about them. */
export interface Loaded {
  kind: "zoo" | "checkpoints";
  source: string;
  dataset: string | null;
  sets: Map<string, PredictionSet>;
  /** All splits the input has (even those not selected). */
  available: string[];
  runs: number;
  checkpoints: number;
  /** Zoo run records by id (flags). */
  runInfo: Map<string, ZooRun>;
  notes: string[];
}

/** Throws InpcaInputError naming `folder` when it is missing or not a folder. */
export function checkFolder(folder: string): void {
  let st;
  try {
    st = statSync(folder);
  } catch {
    throw new InpcaInputError("no such folder", { file: folder });
  }
  if (!st.isDirectory()) throw new InpcaInputError("not a folder (give the folder holding manifest.json, or the checkpoints)", { file: folder });
}

const SPLIT_FOLDERS = ["train", "test"];

/**
 * Reads `folder` for the report: a zoo (manifest.json; its ordinary runs unless `runs: "all"`) or a folder of
 * checkpoint predictions (`train/` and `test/` sub-folders become the two splits), one PredictionSet per chosen
 * split. Throws InpcaInputError naming the folder when it holds nothing usable or a flag does not apply to it.
 */
export async function loadReportInput(folder: string, options: ReportInputOptions, log: (line: string) => void): Promise<Loaded> {
  const source = folder;
  if (existsSync(join(folder, "manifest.json"))) {
    const given = givenFlags(options.checkpoints ?? {}).filter((f) => f !== "--labels"); // a zoo's labels are in it; --labels was always ignored there
    if (given.length) throw new InpcaInputError(`is a zoo (manifest.json), whose predictions are stored as probabilities; ${given.join(", ")} ${given.length === 1 ? "applies" : "apply"} to folders of checkpoints only: leave ${given.length === 1 ? "it" : "them"} out`, { file: folder });
    log(`loading zoo ${folder}`);
    const zoo = loadZoo(folder);
    const available = zoo.splits;
    const chosen = chooseSplits(options.split, available, folder);
    const which = options.runs ?? "ordinary";
    const reason = (r: ZooRun): string | null => (r.checkpoints.length === 0 || which === "all" ? null : runStatus(r));
    const kept = zoo.runs.filter((r) => r.checkpoints.length > 0 && reason(r) === null);
    const left = new Map<string, number>();
    for (const r of zoo.runs) {
      const why = reason(r);
      if (why) left.set(why, (left.get(why) ?? 0) + 1);
    }
    const sets = new Map<string, PredictionSet>();
    for (const s of chosen) {
      const set = zoo.predictions(s, { runs: kept.map((r) => r.id) });
      if (set.models === 0) {
        throw new InpcaInputError(left.size > 0 ? `no finished, trained, ordinary run has checkpoints for split "${s}" (${[...left].map(([k, n]) => `${n} ${k}`).join(", ")}); --all-runs shows them` : `no checkpoints recorded yet for split "${s}" (${zoo.runs.length} runs listed)`, { file: folder });
      }
      sets.set(s, set);
    }
    const notes: string[] = [];
    const unfinished = kept.filter((r) => r.finished === false).length;
    const untrained = kept.filter((r) => r.trained === false).length;
    const empty = zoo.runs.filter((r) => r.checkpoints.length === 0).length;
    if (left.size > 0) {
      const n = [...left.values()].reduce((a, b) => a + b, 0);
      const words: Record<string, string> = { unfinished: "unfinished", untrained: "untrained (final train error above its threshold)", corner: "corner initialisations" };
      const parts = ["unfinished", "untrained", "corner"].filter((k) => left.has(k)).map((k) => `${left.get(k)} ${words[k]}`);
      notes.push(`${n} of ${zoo.runs.length - empty} runs are left out: ${parts.join(", ")}. --all-runs includes them.`);
    }
    if (unfinished) notes.push(`${unfinished} run${unfinished === 1 ? " is" : "s are"} still being recorded (or stopped early): shown with the checkpoints recorded so far, marked “unfinished” in the tables.`);
    if (untrained) notes.push(`${untrained} run${untrained === 1 ? " is" : "s are"} flagged untrained in the manifest (final train error above its threshold): marked in the tables.`);
    if (empty) notes.push(`${empty} run${empty === 1 ? " has" : "s have"} no checkpoint yet and ${empty === 1 ? "is" : "are"} left out.`);
    return {
      kind: "zoo", source, dataset: zoo.manifest.dataset.name ?? null, sets, available, runs: kept.length, checkpoints: sets.get(chosen[0]!)!.models,
      runInfo: new Map(zoo.runs.map((r) => [r.id, r])), notes,
    };
  }
  // a folder of checkpoints: train/ and test/ sub-folders are the splits, else the folder is one split ("train")
  const splitDirs = SPLIT_FOLDERS.filter((s) => isDir(join(folder, s)));
  const perSplit = splitDirs.length > 0 ? splitDirs.map((s) => ({ split: s, dir: join(folder, s) })) : [{ split: "train", dir: folder }];
  const available = perSplit.map((p) => p.split);
  const chosen = chooseSplits(options.split, available, folder);
  const sets = new Map<string, PredictionSet>();
  const notes: string[] = [];
  if (splitDirs.length === 0) notes.push("One set of predictions (no train/ and test/ sub-folders): shown as “train”.");
  for (const { split, dir } of perSplit.filter((p) => chosen.includes(p.split))) {
    // the loader's own discovery: a run folder, a folder of run folders, or of checkpoint folders
    const found = discoverCheckpoints(dir, { array: options.checkpoints?.array, split });
    const count = found.reduce((a, r) => a + r.checkpoints.length, 0);
    log(`loading ${split}: ${fmtInt(count)} checkpoints of ${found.length} run${found.length === 1 ? "" : "s"} from ${dir}`);
    // labels: given, else where loadCheckpoints looks (beside the checkpoints, a labels/ folder, the folder
    // above), else in the folder given when the splits are its train/ and test/ sub-folders
    let labels: string | undefined = options.labels;
    if (labels === undefined && !found.some((r) => findLabelsFile(r.dir, split) ?? findLabelsFile(dirname(r.dir), split))) labels = findLabelsFile(folder, split) ?? undefined;
    const set = await loadCheckpoints(dir, { ...loaderOptions(options.checkpoints ?? {}), split, labels, signal: options.signal, log: false });
    if (!set.labels) notes.push(`${split}: no labels found (looked for labels.${split}.npy, labels.npy, … next to the checkpoints and in ${dir}, and for labels/targets arrays inside the files; --labels FILE gives them): the geodesic, P₀/P*, progress λ* and errors are left out.`);
    sets.set(split, set);
  }
  const first = [...sets.values()][0]!;
  return {
    kind: "checkpoints", source, dataset: null, sets, available,
    runs: first.runs().length, checkpoints: Math.max(...[...sets.values()].map((s) => s.models)), runInfo: new Map(), notes,
  };
}

function chooseSplits(wanted: ReportSplit | undefined, available: readonly string[], folder: string): string[] {
  if (wanted === undefined) {
    const both = ["train", "test"].filter((s) => available.includes(s));
    return both.length ? both : [available[0]!];
  }
  const want = wanted === "both" ? ["train", "test"] : [wanted];
  for (const s of want) {
    if (!available.includes(s)) throw new InpcaInputError(`no "${s}" split here (it has ${available.join(", ")})${wanted === "both" ? "; use --split " + available[0] : ""}`, { file: folder });
  }
  return want;
}

/** Why a zoo run is not an ordinary one ("unfinished", "untrained", "corner"), or null: the one rule of the report. */
export function runStatus(r: ZooRun | undefined): string | null {
  if (!r) return null;
  return r.finished === false ? "unfinished" : r.trained === false ? "untrained" : r.config?.["group"] === "corner" ? "corner" : null;
}
