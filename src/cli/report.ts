/**
 * `inpca report`: a folder of training runs (a zoo, or saved checkpoint predictions) → one self-contained
 * HTML page with, per split, the 3-D InPCA embedding (geodesic, P0, P*), explained stress, progress λ* against
 * epoch and a table of runs. The page carries plotly.js inline once and fetches nothing.
 *
 * Pure apart from reading the folder: `buildReport` returns the HTML text and a summary; writing the file,
 * argument parsing, signals and exit codes live in main.ts. Imports go to the modules themselves rather than
 * the package index, so the command does not load TensorFlow.js.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { basename, dirname, extname, join, resolve } from "node:path";
import { InpcaAbortError, InpcaInputError } from "../core/errors.js";
import { field, type ModelPoint } from "../core/meta.js";
import type { PredictionSet } from "../core/prediction-set.js";
import { formatSeconds } from "../core/progress.js";
import { bhattacharyya } from "../geometry/distances.js";
import { landmarkCheckText, type Embedding } from "../core/embedding.js";
import { geodesic } from "../geometry/geodesic.js";
import { distanceToGeodesic } from "../geometry/trajectories/index.js";
import { inpca } from "../geometry/inpca.js";
import { landmarkInpca } from "../geometry/landmark/index.js";
import { geodesicProgress } from "../geometry/geodesic-progress.js";
import { isDir } from "../io/checkpoints/walk.js";
import { discoverCheckpoints, findLabelsFile, loadCheckpoints } from "../io/checkpoints/load.js";
import { coordinatesBlock, coordinatesHtml, DOWNLOAD_SCRIPT } from "./report-downloads.js";
import { givenFlags, loaderOptions, type CheckpointFlags } from "./checkpoint-flags.js";
import { loadZoo, type ZooRun } from "../io/stores/zoo/index.js";
import { scatter } from "../plot/charts.js";
import { progressCurves } from "../plot/curves.js";
import { coloring, decimate } from "../plot/data.js";
import { explainedStress } from "../plot/explained-stress.js";
import type { Figure } from "../plot/figure.js";
import { escapeHtml, figureHeight, htmlPage, plotlyBundle, specJson } from "../plot/html.js";
import { fieldTitle } from "../plot/style.js";
import { trajectories3d } from "../plot/trajectories3d.js";
import { triplot } from "../plot/triplot.js";
import { distanceToGeodesic as plotDistanceToGeodesic } from "../plot/curves.js";

/** Which splits the report covers. */
export type ReportSplit = "train" | "test" | "both";

/** Options of `buildReport`. */
export interface ReportOptions {
  /** "train", "test" or "both" (default: both when the input has a test split, else train). */
  split?: ReportSplit;
  /** InPCA axes kept (≥ 3; the 3-D figure shows the first three). Default 3. */
  dims?: number;
  /**
   * At most this many checkpoints per split are embedded (default: all). Given, more are thinned evenly within each
   * run, first and last checkpoint kept.
   */
  maxPoints?: number;
  /**
   * "exact" (the full distance matrix), "landmark" (`landmarkInpca`), or "auto" (default): exact up to
   * `EXACT_LIMIT` checkpoints per split, landmark InPCA above, so a large folder is embedded whole.
   */
  method?: "auto" | "exact" | "landmark";
  /** Landmarks of the landmark method (default min(2000, checkpoints)). */
  landmarks?: number;
  /** Page title (default "InPCA report: <folder name>"). */
  title?: string;
  /** Colour runs by this metadata or configuration field (default "arch" when it varies, else the run when ≤ 12 runs). */
  colorBy?: string;
  /** Labels file for a checkpoint folder (default: found next to the checkpoints or in the folder given). */
  labels?: string;
  /** How a folder of checkpoints is read: --array, --inputs, --kind, --renormalize (see checkpoint-flags.ts). */
  checkpoints?: CheckpointFlags;
  /** Points on the ignorance→truth geodesic (default 100). */
  geodesicPoints?: number;
  /** Stops loading and the distance computations (InpcaAbortError). */
  signal?: AbortSignal;
  /** One line per stage ("train: distances 1,319 × 1,319 …"), for a terminal. */
  log?: (line: string) => void;
  /** Text progress bars of the long steps on stderr (default false). */
  showProgress?: boolean | "auto";
  /**
   * Zoo runs to show: "ordinary" (default: finished, trained, not a corner initialisation such as random labels),
   * or "all". The page says how many were left out and why.
   */
  runs?: "ordinary" | "all";
  /** The command line shown in the page footer. */
  command?: string;
  /** Time stamp shown in the page (default now). */
  date?: Date;
}

/**
 * Above this many checkpoints in a split, "auto" uses landmark InPCA: the exact matrix would take more than
 * ~10 s on two cores and 144 MB (3,000²·8 bytes, twice).
 */
export const EXACT_LIMIT = 3000;

/** What one split of the report shows, in numbers. */
export interface SplitSummary {
  split: string;
  /** Checkpoints in the input for this split, and those embedded (after `maxPoints`). */
  checkpoints: number;
  embedded: number;
  /** How they were embedded: "exact", or "landmark" with the number of landmarks. */
  method: "exact" | "landmark";
  landmarks: number | null;
  samples: number;
  classes: number;
  runs: number;
  labelled: boolean;
  /** ES(k) for k = 1..spectrum length; `es3` = ES(3). */
  explainedStress: number[];
  es3: number;
  /** Signed eigenvalues of the kept axes. */
  eigenvalues: number[];
  geodesicPoints: number;
  /** Per run: id, checkpoints, last epoch/step, final error, final λ* (null when unknown). */
  table: RunRow[];
  seconds: number;
}

/** One row of a split's table of runs. */
export interface RunRow {
  run: string;
  config: Record<string, unknown>;
  checkpoints: number;
  lastEpoch: number | null;
  lastStep: number;
  finalError: number | null;
  finalLambda: number | null;
  flags: string[];
}

/** What was loaded and computed; `html` is the page. */
export interface Report {
  html: string;
  source: string;
  kind: "zoo" | "checkpoints";
  dataset: string | null;
  runs: number;
  checkpoints: number;
  classes: number;
  classNames: readonly string[];
  splits: SplitSummary[];
  notes: string[];
  seconds: number;
}

/** Loaded input: prediction sets per split and what the page says about them. */
interface Loaded {
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

/**
 * Builds the report page for `folder`: a zoo (manifest.json) or a folder of saved checkpoint predictions
 * (see `loadCheckpoints`; `train/` and `test/` sub-folders become the two splits). Throws InpcaInputError
 * naming the path when the folder is missing or holds nothing readable, InpcaAbortError when `signal` fires.
 */
export async function buildReport(folder: string, options: ReportOptions = {}): Promise<Report> {
  const t0 = Date.now();
  const log = options.log ?? (() => {});
  const dims = options.dims ?? 3;
  if (!(Number.isInteger(dims) && dims >= 3)) throw new InpcaInputError(`dims must be an integer ≥ 3 (the 3-D figure needs three axes), got ${options.dims}`);
  const maxPoints = options.maxPoints ?? Infinity;
  if (!(maxPoints === Infinity || (Number.isInteger(maxPoints) && maxPoints >= 4))) throw new InpcaInputError(`maxPoints must be an integer ≥ 4, got ${options.maxPoints}`);
  const method = options.method ?? "auto";
  if (!["auto", "exact", "landmark"].includes(method)) throw new InpcaInputError(`method must be "auto", "exact" or "landmark", got ${JSON.stringify(options.method)}`);
  const geoPoints = options.geodesicPoints ?? 100;
  checkFolder(folder);
  const loaded = await load(folder, options, log);
  const notes = [...loaded.notes];
  const splits: SplitSummary[] = [];
  const sections: string[] = [];
  let figureNo = 0;
  const done = new Map<string, { set: PredictionSet; lambda: Float64Array | null; colorBy: string | undefined }>();
  for (const [split, full] of loaded.sets) {
    if (options.signal?.aborted) throw new InpcaAbortError("inpca report");
    const ts = Date.now();
    const thinned = maxPoints < full.models ? thin(full, maxPoints) : full;
    // with --all-runs the runs an ordinary report leaves out are marked, and drawn in a second style
    const marked = options.runs === "all" && thinned.meta.some((m) => runStatus(loaded.runInfo.get(m.run)) !== null);
    const set = marked ? thinned.withMeta((m) => ({ ...m, status: runStatus(loaded.runInfo.get(m.run)) ?? undefined })) : thinned;
    const styleBy = marked ? "status" : undefined;
    if (set.models < full.models) notes.push(`${split}: ${full.models.toLocaleString("en-US")} checkpoints thinned to ${set.models.toLocaleString("en-US")} (at most ${maxPoints.toLocaleString("en-US")} per split, evenly within each run, first and last kept; --max-points)`);
    const landmark = method === "landmark" || (method === "auto" && set.models > EXACT_LIMIT);
    if (set.models < dims + 1) throw new InpcaInputError(`${split}: ${set.models} checkpoints; an InPCA embedding with ${dims} axes needs at least ${dims + 1}`, { file: loaded.source });
    const colorBy = options.colorBy ?? chooseColor(set.meta);
    if (options.colorBy !== undefined && !set.meta.some((m) => field(m, options.colorBy!) !== undefined)) {
      throw new InpcaInputError(`colorBy: no checkpoint has a field "${options.colorBy}" (fields: ${fieldNames(set.meta).join(", ")})`);
    }
    let emb: Embedding;
    let basisSet = set;
    if (landmark) {
      const L = Math.min(options.landmarks ?? 2000, set.models);
      log(`${split}: landmark InPCA of ${fmtInt(set.models)} checkpoints with ${fmtInt(L)} landmarks on ${fmtInt(set.samples)} samples (${dims} axes)`);
      emb = await landmarkInpca(set, { landmarks: L, dims, signal: options.signal, showProgress: options.showProgress ?? false });
      basisSet = set.select(emb.landmark!.landmarks);
    } else {
      log(`${split}: Bhattacharyya distances ${fmtInt(set.models)} × ${fmtInt(set.models)} on ${fmtInt(set.samples)} samples`);
      const D = await bhattacharyya(set, { signal: options.signal, showProgress: options.showProgress ?? false });
      log(`${split}: InPCA (${dims} axes)`);
      emb = inpca(D, { dims });
    }
    let all: Embedding = emb;
    let lambda: Float64Array | null = null;
    if (set.labels) {
      log(`${split}: geodesic (${geoPoints} points) and progress λ*`);
      const geo = geodesic(set, { points: geoPoints });
      all = emb.addPoints(await bhattacharyya(geo, basisSet, { signal: options.signal, showProgress: options.showProgress ?? false }), geo.meta);
      lambda = geodesicProgress(set);
    }
    const table = runTable(set, lambda, loaded.runInfo);
    const summary: SplitSummary = {
      split, checkpoints: full.models, embedded: set.models, method: landmark ? "landmark" : "exact", landmarks: emb.landmark ? emb.landmark.landmarks.length : null, samples: set.samples, classes: set.classes, runs: set.runs().length,
      labelled: set.labels !== null, explainedStress: Array.from(emb.explainedStress), es3: emb.explainedStress[2]!,
      eigenvalues: Array.from(emb.eigenvalues), geodesicPoints: set.labels ? geoPoints : 0, table, seconds: (Date.now() - ts) / 1000,
    };
    splits.push(summary);
    const hover = set.models > 2000 ? "minimal" : "full";
    const figs: { fig: Figure; heading: string; caption: string }[] = [];
    figs.push({
      heading: "3-D InPCA embedding",
      fig: trajectories3d(all, { colorBy, styleBy, hover, height: 640, markerSize: set.models > 800 ? 2.5 : undefined, ...(summary.runs > 12 ? { lineWidth: 1.5, lineOpacity: 0.45 } : {}) }),
      caption: `Every checkpoint is a point, each run a line in step order${colorBy ? `, coloured by ${escapeHtml(fieldTitle(colorBy))}` : ""}. ` +
        (set.labels ? "The black line is the ignorance→truth geodesic, the red markers P₀ (uniform predictions) and P* (the labels). " : "") +
        (styleBy ? "Dotted lines and open markers: the runs an ordinary report leaves out (--all-runs), named in the legend by why. " : "") +
        "Axes in √(nats per sample); a red axis title marks a time-like axis (λ < 0). Drag to rotate, scroll to zoom, hover for the checkpoint.",
    });
    figs.push({
      heading: "The same, in 2-D panels",
      fig: triplot(all, { colorBy, styleBy, hover, height: 380, markerSize: set.models > 800 ? 2.5 : undefined, ...(summary.runs > 12 ? { lineWidth: 1, lineOpacity: 0.4 } : {}) }),
      caption: "Axes 1–2, 1–3 and 2–3 of the embedding above, on equal scales: the view the paper prints, without the rotation.",
    });
    figs.push({
      heading: "Explained stress",
      fig: explainedStress(emb, { height: 360 }),
      caption: "Left: ES(k), the share of the stress (the double-centred distance matrix) kept by the first k axes. Right: the eigenvalue ladder |λ<sub>k</sub>| (red: λ < 0, time-like).",
    });
    if (lambda) {
      const curves = clipLongRuns(progressCurves(set, { y: lambda, colorBy, yTitle: "progress λ*", height: 400 }), set);
      figs.push({
        heading: "Progress along the geodesic",
        fig: curves.fig,
        caption: "λ* of each checkpoint: the point of the ignorance→truth geodesic nearest to it (0 = P₀, 1 = P*), against training time, one line per run." + curves.note,
      });
      const toGeodesic = distanceToGeodesic(set);
      figs.push({
        heading: "Distance to the geodesic",
        fig: plotDistanceToGeodesic(toGeodesic, { colorBy, height: 380 }),
        caption: "d<sub>B</sub> from each checkpoint to its nearest point on the ignorance→truth geodesic (nats per sample), against that point's λ*: mean ± 1 sd per group over progress bins. How far training strays from the straight way between ignorance and truth.",
      });
    }
    const block = coordinatesBlock(split, set, emb, lambda, varyingConfig(set.meta));
    sections.push(splitSection(summary, set, emb, lambda, figs.map((f) => ({ ...f, id: `fig-${++figureNo}` })), colorBy, coordinatesHtml(block, basename(resolve(folder)))));
    log(`${split}: ES(3) = ${summary.es3.toFixed(3)} (${formatSeconds(summary.seconds)})`);
    done.set(split, { set, lambda, colorBy });
  }
  const tr = done.get("train");
  const te = done.get("test");
  if (tr?.lambda && te?.lambda) {
    const section = trainTestSection(tr.set, tr.lambda, te.set, te.lambda, tr.colorBy, `fig-${++figureNo}`);
    if (section) sections.push(section);
    else notes.push("Train and test are not compared: no checkpoint is in both splits (matched by run and step).");
  }
  const seconds = (Date.now() - t0) / 1000;
  const first = [...loaded.sets.values()][0]!;
  const report: Omit<Report, "html"> = {
    source: loaded.source, kind: loaded.kind, dataset: loaded.dataset, runs: loaded.runs, checkpoints: loaded.checkpoints,
    classes: first.classes, classNames: first.classNames, splits, notes, seconds,
  };
  const html = page(report, loaded, sections, options);
  return { ...report, html };
}

// ---------------------------------------------------------------------------------------------------------
// Figure adjustments for many runs

/**
 * When a few runs last much longer than the rest (pre-training phases, longer schedules), the x axis is
 * first shown up to the end of the typical run (double-click shows everything) and the caption says so.
 */
function clipLongRuns(fig: Figure, set: PredictionSet): { fig: Figure; note: string } {
  const byEpoch = set.meta.every((m) => typeof m.epoch === "number");
  const ends = set.runRows().map((r) => {
    const m = set.meta[r.rows[r.rows.length - 1]!]!;
    return byEpoch ? m.epoch! : m.step;
  });
  const median = quantiles(ends).median;
  const typical = ends.filter((e) => e <= 2 * median);
  const longer = ends.length - typical.length;
  if (!(median > 0) || longer === 0) return { fig, note: "" };
  const end = Math.max(...typical) * 1.04;
  const unit = byEpoch ? "epoch" : "step";
  const xaxis = { ...(fig.layout["xaxis"] as object), range: [0, end], autorange: false };
  return {
    fig: fig.withLayout({ xaxis }),
    note: ` The ${unit} axis stops at the end of the typical run (${unit} ${formatValue(Math.max(...typical))}); ${longer} longer run${longer === 1 ? " continues" : "s continue"} to ${unit} ${formatValue(Math.max(...ends))}: double-click the plot to see ${longer === 1 ? "it" : "them"} whole.`,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Loading

function checkFolder(folder: string): void {
  let st;
  try {
    st = statSync(folder);
  } catch {
    throw new InpcaInputError("no such folder", { file: folder });
  }
  if (!st.isDirectory()) throw new InpcaInputError("not a folder (give the folder holding manifest.json, or the checkpoints)", { file: folder });
}

const SPLIT_FOLDERS = ["train", "test"];

async function load(folder: string, options: ReportOptions, log: (line: string) => void): Promise<Loaded> {
  const source = folder;
  if (existsSync(join(folder, "manifest.json"))) {
    const given = givenFlags(options.checkpoints ?? {}).filter((f) => f !== "--labels"); // a zoo's labels are in it; --labels was always ignored there
    if (given.length) throw new InpcaInputError(`is a zoo (manifest.json), whose predictions are stored as probabilities; ${given.join(", ")} ${given.length === 1 ? "applies" : "apply"} to folders of checkpoints only: leave ${given.length === 1 ? "it" : "them"} out`, { file: folder });
    log(`loading zoo ${folder}`);
    const zoo = loadZoo(folder);
    const available = zoo.splits;
    const chosen = chooseSplits(options.split, available, folder);
    const which = options.runs ?? "ordinary";
    if (which !== "ordinary" && which !== "all") throw new InpcaInputError(`runs must be "ordinary" or "all", got ${JSON.stringify(which)}`);
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

/** At most `max` checkpoints, evenly spread within each run (first and last kept), rows in their original order. */
function thin(set: PredictionSet, max: number): PredictionSet {
  if (set.models <= max) return set;
  const runs = set.runRows();
  const per = Math.max(2, Math.floor(max / runs.length));
  const keep = runs.flatMap((r) => decimate(r.rows, per)).sort((a, b) => a - b);
  return set.select(keep);
}

// ---------------------------------------------------------------------------------------------------------
// Tables and text

function fmtInt(n: number): string {
  return n.toLocaleString("en-US");
}

function fieldNames(meta: readonly ModelPoint[]): string[] {
  const names = new Set<string>();
  for (const m of meta.slice(0, 50)) {
    for (const k of Object.keys(m)) if (k !== "config") names.add(k);
    for (const k of Object.keys(m.config ?? {})) names.add(k);
  }
  return [...names];
}

/** "arch" when it varies, else "run" for a few runs, else a configuration field with 2–12 values, else none. */
function chooseColor(meta: readonly ModelPoint[]): string | undefined {
  const distinct = (name: string) => new Set(meta.map((m) => field(m, name)).filter((v) => v !== undefined && v !== null).map(String)).size;
  if (distinct("arch") >= 2) return "arch";
  const runs = new Set(meta.map((m) => m.run)).size;
  if (runs >= 2 && runs <= 12) return "run";
  for (const k of varyingConfig(meta)) if (distinct(k) <= 12) return k;
  return undefined;
}

/** Configuration fields whose value differs between runs (seed last). */
function varyingConfig(meta: readonly ModelPoint[]): string[] {
  const values = new Map<string, Set<string>>();
  const firstOfRun = new Map<string, ModelPoint>();
  for (const m of meta) if (!firstOfRun.has(m.run)) firstOfRun.set(m.run, m);
  const rows = [...firstOfRun.values()];
  for (const m of rows) for (const [k, v] of Object.entries(m.config ?? {})) (values.get(k) ?? values.set(k, new Set()).get(k)!).add(JSON.stringify(v));
  const keys = [...values.keys()].filter((k) => values.get(k)!.size > 1 || rows.some((m) => !(k in (m.config ?? {}))));
  return keys.sort((a, b) => Number(a === "seed") - Number(b === "seed"));
}

function runTable(set: PredictionSet, lambda: Float64Array | null, info: Map<string, ZooRun>): RunRow[] {
  return set.runRows().map(({ run, rows }) => {
    const last = rows[rows.length - 1]!;
    const m = set.meta[last]!;
    const z = info.get(run);
    const flags: string[] = [];
    if (z?.finished === false) flags.push("unfinished");
    if (z?.trained === false) flags.push("untrained");
    return {
      run, config: { ...(set.meta[rows[0]!]!.config ?? {}) }, checkpoints: rows.length,
      lastEpoch: typeof m.epoch === "number" ? m.epoch : null, lastStep: m.step,
      finalError: typeof m.error === "number" ? m.error : null, finalLambda: lambda ? lambda[last]! : null, flags,
    };
  });
}

function num(v: number | null, digits = 3): string {
  return v === null || !Number.isFinite(v) ? "—" : v.toFixed(digits);
}

function quantiles(values: number[]): { min: number; median: number; max: number } {
  const s = values.filter(Number.isFinite).sort((a, b) => a - b);
  return { min: s[0] ?? NaN, median: s.length ? (s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2) : NaN, max: s[s.length - 1] ?? NaN };
}

function splitSection(summary: SplitSummary, set: PredictionSet, emb: Embedding, lambda: Float64Array | null, figs: { fig: Figure; heading: string; caption: string; id: string }[], colorBy: string | undefined, downloads: string): string {
  const { split } = summary;
  const es = emb.explainedStress;
  const ev = Array.from(emb.eigenvalues);
  const timelike = ev.map((l, k) => (l < 0 ? k + 1 : 0)).filter((k) => k > 0);
  const negatives = Array.from(emb.spectrum).filter((l) => l < 0).length;
  const facts: string[] = [];
  facts.push(`<strong>ES(3) = ${es[2]!.toFixed(3)}</strong>: the first three InPCA axes explain ${(100 * es[2]!).toFixed(1)} % of the stress` +
    ` (ES(1) = ${es[0]!.toFixed(3)}${emb.dims > 3 ? `, ES(${emb.dims}) = ${es[emb.dims - 1]!.toFixed(3)}` : ""}${es.length >= 10 ? `, ES(10) = ${es[9]!.toFixed(3)}` : ""}).`);
  facts.push(`Eigenvalues ${ev.map((l, k) => `λ<sub>${k + 1}</sub> = ${l.toPrecision(4)}`).join(", ")} (nats per sample); ` +
    (timelike.length ? `axis ${timelike.join(", ")} ${timelike.length === 1 ? "is" : "are"} time-like (λ < 0)` : "no time-like axis among them") +
    `; ${negatives} of the ${emb.spectrum.length} leading eigenvalues are negative.`);
  if (lambda) {
    const rr = set.runRows();
    const starts = quantiles(rr.map((r) => lambda[r.rows[0]!]!));
    const ends = quantiles(rr.map((r) => lambda[r.rows[r.rows.length - 1]!]!));
    facts.push(`Progress λ*: runs start at ${starts.min.toFixed(2)}–${starts.max.toFixed(2)} and end at ${ends.min.toFixed(2)}–${ends.max.toFixed(2)} (median ${ends.median.toFixed(2)}).`);
  } else {
    facts.push("No labels: the geodesic, P₀/P*, progress λ* and errors are not available for this split.");
  }
  const thinned = summary.embedded < summary.checkpoints ? ` (thinned from ${fmtInt(summary.checkpoints)})` : "";
  const how = emb.landmark
    ? ` Embedded by landmark InPCA: ${fmtInt(emb.landmark.landmarks.length)} landmarks (${emb.landmark.select}), every checkpoint placed from its distances to them; ` +
      (emb.landmark.stress.points >= summary.embedded
        ? `explained stress from all ${fmtInt(emb.landmark.stress.points)} checkpoints, ES(3) = ${emb.landmark.stress.explained.toFixed(3)}.`
        : `explained stress estimated from ${fmtInt(emb.landmark.stress.points)} random checkpoints, ES(3) ≈ ${emb.landmark.stress.explained.toFixed(3)} (95 % ${emb.landmark.stress.low.toFixed(3)}–${emb.landmark.stress.high.toFixed(3)}).`) +
      (emb.landmark.check ? ` The ${escapeHtml(landmarkCheckText(emb.landmark.check, emb.dims))}.` : "") +
      (emb.landmark.warning ? ` <strong>${escapeHtml(emb.landmark.warning)}</strong>` : "")
    : " Embedded by exact InPCA of the full distance matrix.";
  const head = `<p class="lead">${fmtInt(summary.embedded)} checkpoints${thinned} of ${fmtInt(summary.runs)} run${summary.runs === 1 ? "" : "s"} on ${fmtInt(summary.samples)} ${split} samples, ${summary.classes} classes.${how}</p>`;
  const figures = figs.map((f) => [
    `<h3>${escapeHtml(f.heading)}</h3>`,
    `<div id="${f.id}" class="inpca-figure" style="height:${figureHeight(f.fig)}px"><noscript>This figure needs JavaScript.</noscript></div>`,
    `<script type="application/json" class="inpca-spec" data-for="${f.id}" data-kind="${escapeHtml(f.fig.kind)}">${specJson(f.fig)}</script>`,
    `<p class="caption">${f.caption}</p>`,
  ].join("\n"));
  return [
    `<section id="split-${escapeHtml(split)}">`,
    `<h2>${escapeHtml(capitalise(split))} predictions</h2>`,
    head,
    `<ul class="facts">${facts.map((f) => `<li>${f}</li>`).join("")}</ul>`,
    downloads,
    ...figures,
    `<h3>Runs</h3>`,
    runsTableHtml(summary.table, set, colorBy, lambda !== null),
    "</section>",
  ].join("\n");
}

/**
 * Train against test, for the checkpoints both splits have (matched by run and step): λ* on the test samples
 * against λ* on the train samples, with the diagonal, and the final errors. Null when no checkpoint matches.
 */
function trainTestSection(train: PredictionSet, lamTrain: Float64Array, test: PredictionSet, lamTest: Float64Array, colorBy: string | undefined, id: string): string | null {
  // a checkpoint is the same on both splits when its run and step are; when each split is one run (train/ and
  // test/ folders of one run's checkpoints, whose ids are the folder names), by step alone
  const oneRunEach = train.runs().length === 1 && test.runs().length === 1;
  const key = (m: ModelPoint) => (oneRunEach ? String(m.step) : `${m.run}\0${m.step}`);
  const trainRow = new Map(train.meta.map((m, i) => [key(m), i]));
  const pairs: [number, number][] = [];
  test.meta.forEach((m, j) => {
    const i = trainRow.get(key(m));
    if (i !== undefined) pairs.push([i, j]);
  });
  if (pairs.length === 0) return null;
  const x = Float64Array.from(pairs, ([i]) => lamTrain[i]!);
  const y = Float64Array.from(pairs, ([, j]) => lamTest[j]!);
  const meta = pairs.map(([i]) => train.meta[i]!);
  // the lag λ*_train − λ*_test against λ*_train: the two splits agree to within a few hundredths, which a plot of
  // one against the other squeezes onto its diagonal
  const lag = Float64Array.from(x, (v, k) => v - y[k]!);
  const fig0 = scatter(x, lag, { meta, colorBy, xTitle: "progress λ* on the train samples", yTitle: "λ*<sub>train</sub> − λ*<sub>test</sub> (lag of test)", height: 460 });
  const fig = fig0.withLayout({ shapes: [{ type: "line", xref: "paper", x0: 0, x1: 1, yref: "y", y0: 0, y1: 0, line: { color: "#444", width: 1, dash: "dash" } }] });
  const below = pairs.filter((_, k) => y[k]! < x[k]!).length;
  // the last checkpoint of each run that both splits have
  const last = new Map<string, number>();
  pairs.forEach(([i], k) => last.set(train.meta[i]!.run, k));
  const ends = [...last.values()];
  const gap = quantiles(ends.map((k) => x[k]! - y[k]!));
  const errTrain = quantiles(ends.map((k) => train.meta[pairs[k]![0]]!.error).filter((v): v is number => typeof v === "number"));
  const errTest = quantiles(ends.map((k) => test.meta[pairs[k]![1]]!.error).filter((v): v is number => typeof v === "number"));
  const facts = [
    `${fmtInt(pairs.length)} checkpoints of ${fmtInt(ends.length)} runs have predictions on both splits; ${(100 * below / pairs.length).toFixed(0)} % are further along on train than on test (above the zero line of the figure).`,
    `At the end of training λ*<sub>train</sub> − λ*<sub>test</sub> is ${num(gap.min, 3)} to ${num(gap.max, 3)} (median ${num(gap.median, 3)}).`,
    ...(Number.isFinite(errTrain.median) && Number.isFinite(errTest.median)
      ? [`Final error: train median ${num(errTrain.median)} (${num(errTrain.min)}–${num(errTrain.max)}), test median ${num(errTest.median)} (${num(errTest.min)}–${num(errTest.max)}).`]
      : []),
  ];
  return [
    `<section id="train-test">`,
    `<h2>Train and test</h2>`,
    `<ul class="facts">${facts.map((f) => `<li>${f}</li>`).join("")}</ul>`,
    `<h3>How far test lags behind train in progress</h3>`,
    `<div id="${id}" class="inpca-figure" style="height:${figureHeight(fig)}px"><noscript>This figure needs JavaScript.</noscript></div>`,
    `<script type="application/json" class="inpca-spec" data-for="${id}" data-kind="${escapeHtml(fig.kind)}">${specJson(fig)}</script>`,
    `<p class="caption">For each checkpoint, its progress λ* on the train samples minus its progress on the test samples (each split with its own geodesic from ignorance to truth), against the former. Above the dashed zero line the network is further along toward truth on the images it was trained on than on new ones: test trajectories lag, as the paper finds for networks trained to zero error.</p>`,
    "</section>",
  ].join("\n");
}

/** Why a zoo run is not an ordinary one ("unfinished", "untrained", "corner"), or null: the one rule of the report. */
function runStatus(r: ZooRun | undefined): string | null {
  if (!r) return null;
  return r.finished === false ? "unfinished" : r.trained === false ? "untrained" : r.config?.["group"] === "corner" ? "corner" : null;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function runsTableHtml(rows: RunRow[], set: PredictionSet, colorBy: string | undefined, labelled: boolean): string {
  const firstRows = new Map(set.runRows().map((r) => [r.run, r.rows[0]!]));
  const cols = varyingConfig(set.meta).slice(0, 6);
  const hasError = rows.some((r) => r.finalError !== null);
  const hasEpoch = rows.some((r) => r.lastEpoch !== null);
  const hasFlags = rows.some((r) => r.flags.length > 0);
  // the swatch colours are the figures' own categorical colouring, read at each run's first checkpoint
  const swatch = new Map<string, string>();
  const c = colorBy ? coloring(set.meta, [...firstRows.values()], colorBy) : null;
  if (c?.type === "categorical") [...firstRows.keys()].forEach((run, j) => swatch.set(run, c.colors.get(c.values[j]!)!));
  const th = ["run", "checkpoints", hasEpoch ? "last epoch" : "last step", ...(hasError ? ["final error"] : []), ...(labelled ? ["final λ*"] : []), ...(hasFlags ? ["note"] : []), ...cols.map(fieldTitle)];
  const body = rows.map((r) => {
    const color = swatch.get(r.run);
    const dot = color ? `<span class="dot" style="background:${color}"></span>` : "";
    const cells = [
      `<td class="run">${dot}${escapeHtml(r.run)}</td>`,
      `<td class="n">${r.checkpoints}</td>`,
      `<td class="n">${hasEpoch ? formatValue(r.lastEpoch) : r.lastStep}</td>`,
      ...(hasError ? [`<td class="n">${num(r.finalError)}</td>`] : []),
      ...(labelled ? [`<td class="n">${num(r.finalLambda)}</td>`] : []),
      ...(hasFlags ? [`<td class="flag">${r.flags.join(", ")}</td>`] : []),
      ...cols.map((k) => `<td>${escapeHtml(formatValue(r.config[k]))}</td>`),
    ];
    return `<tr>${cells.join("")}</tr>`;
  });
  return `<div class="table-wrap"><table class="runs"><thead><tr>${th.map((h) => `<th>${escapeHtml(h)}</th>`).join("")}</tr></thead><tbody>\n${body.join("\n")}\n</tbody></table></div>`;
}

function formatValue(v: unknown): string {
  if (v === undefined) return "";
  if (v === null) return "—";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
  return String(v);
}

// ---------------------------------------------------------------------------------------------------------
// The page

const STYLE = `
*{box-sizing:border-box}
body{margin:0;background:#fff;color:#222;font:15px/1.5 "Helvetica Neue",Arial,sans-serif}
main{max-width:1180px;margin:0 auto;padding:24px 28px 48px}
h1{font-size:26px;margin:0 0 4px}
h2{font-size:21px;margin:40px 0 6px;padding-top:14px;border-top:2px solid #222}
h3{font-size:16px;margin:26px 0 6px}
.sub{color:#666;margin:0 0 16px;font-size:13px}
table{border-collapse:collapse;font-size:13px}
th,td{padding:3px 8px;text-align:left;border-bottom:1px solid #e3e3e3;white-space:nowrap}
table.runs th{white-space:normal;max-width:90px;vertical-align:bottom;line-height:1.25}
th{background:#f5f5f5;font-weight:600;position:sticky;top:0}
td.n{text-align:right;font-variant-numeric:tabular-nums}
td.flag{color:#a33}
th{text-align:left}
table.loaded td:first-child{color:#555}
.table-wrap{max-height:520px;overflow:auto;border:1px solid #e3e3e3;display:inline-block;max-width:100%}
.dot{display:inline-block;width:9px;height:9px;border-radius:50%;margin-right:7px;vertical-align:0}
ul.notes{background:#fff8e6;border:1px solid #f0dca8;padding:8px 12px 8px 30px;font-size:13px}
ul.facts{padding-left:20px}
ul.facts li{margin:2px 0}
.lead{margin:4px 0}
.caption{color:#555;font-size:13px;margin:2px 0 0;max-width:900px}
.inpca-figure{width:100%}
nav{margin:14px 0 0}
nav a{margin-right:14px}
footer{margin-top:40px;color:#777;font-size:12px;border-top:1px solid #ddd;padding-top:8px}
code{font-size:12px}
.downloads{font-size:13px;color:#555;margin:8px 0}
.downloads button{font:12px/1.4 "Helvetica Neue",Arial,sans-serif;padding:2px 8px;margin:0 2px;border:1px solid #bbb;border-radius:3px;background:#f7f7f7;cursor:pointer}
.downloads button:hover{background:#eee}
`;

/** Draws every figure from its JSON block; sets data-inpca-drawn on each figure and on <body> when all are drawn. */
const DRAW = `(function () {
  var blocks = document.querySelectorAll("script.inpca-spec"), pending = blocks.length, failed = 0;
  function settle() { if (--pending === 0) document.body.setAttribute("data-inpca-drawn", String(blocks.length - failed)); }
  if (!pending) document.body.setAttribute("data-inpca-drawn", "0");
  Array.prototype.forEach.call(blocks, function (b) {
    var el = document.getElementById(b.getAttribute("data-for"));
    try {
      var s = JSON.parse(b.textContent);
      Plotly.newPlot(el, s.data, s.layout, s.config).then(function () { el.setAttribute("data-inpca-drawn", "1"); settle(); },
        function (e) { failed++; el.textContent = "This figure could not be drawn: " + e; settle(); });
    } catch (e) { failed++; el.textContent = "This figure could not be drawn: " + e; settle(); }
  });
})();`;

function page(report: Omit<Report, "html">, loaded: Loaded, sections: string[], options: ReportOptions): string {
  const name = basename(resolve(report.source));
  const title = options.title ?? `InPCA report: ${name}`;
  const date = (options.date ?? new Date()).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
  const samples = report.splits.map((s) => `${fmtInt(s.samples)} ${s.split}`).join(", ");
  const classNames = report.classNames.length <= 20 ? `: ${report.classNames.map((c) => escapeHtml(c)).join(", ")}` : "";
  const archs = new Map<string, number>();
  const anySet = [...loaded.sets.values()][0]!;
  for (const r of anySet.runRows()) {
    const a = field(anySet.meta[r.rows[0]!]!, "arch");
    if (a !== undefined && a !== null) archs.set(String(a), (archs.get(String(a)) ?? 0) + 1);
  }
  const rows: [string, string][] = [
    ["source", `<code>${escapeHtml(resolve(report.source))}</code> (${report.kind === "zoo" ? "zoo: manifest.json" : "checkpoint predictions"})`],
    ...(report.dataset ? [["dataset", escapeHtml(report.dataset)] as [string, string]] : []),
    ["runs", fmtInt(report.runs) + (archs.size ? ` — ${[...archs].map(([a, n]) => `${escapeHtml(a)} (${n})`).join(", ")}` : "")],
    ["checkpoints", fmtInt(report.checkpoints) + (report.splits.some((s) => s.embedded < s.checkpoints) ? ` (embedded: ${report.splits.map((s) => `${fmtInt(s.embedded)} ${s.split}`).join(", ")})` : "")],
    ["samples", samples + (loaded.available.length > report.splits.length ? ` (also in the input: ${loaded.available.filter((s) => !report.splits.some((x) => x.split === s)).join(", ")})` : "")],
    ["classes", `${report.classes}${classNames}`],
    ["labels", report.splits.map((s) => `${s.split}: ${s.labelled ? "yes" : "none found"}`).join(", ")],
    ["ES(3)", report.splits.map((s) => `${s.split} ${s.es3.toFixed(3)}`).join(", ")],
  ];
  const summaryJson = JSON.stringify({
    source: resolve(report.source), kind: report.kind, runs: report.runs, checkpoints: report.checkpoints, classes: report.classes,
    splits: report.splits.map((s) => ({ split: s.split, checkpoints: s.checkpoints, embedded: s.embedded, method: s.method, landmarks: s.landmarks, samples: s.samples, runs: s.runs, labelled: s.labelled, es3: s.es3, eigenvalues: s.eigenvalues, geodesicPoints: s.geodesicPoints, finalLambda: Object.fromEntries(s.table.map((r) => [r.run, r.finalLambda])) })),
  }).replace(/<\//g, "<\\/");
  const nav = report.splits.length > 1 ? `<nav>${report.splits.map((s) => `<a href="#split-${escapeHtml(s.split)}">${escapeHtml(capitalise(s.split))}</a>`).join("")}</nav>` : "";
  return htmlPage({
    title,
    style: STYLE,
    body: [
      "<main>",
      `<h1>${escapeHtml(title)}</h1>`,
      `<p class="sub">Intensive PCA of the training runs' predictions (Bhattacharyya distances, Mao et al., PNAS 2024) — generated ${escapeHtml(date)} by inpca, in ${formatSeconds(report.seconds)}.</p>`,
      `<table class="loaded">${rows.map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td>${v}</td></tr>`).join("")}</table>`,
      report.notes.length ? `<ul class="notes">${report.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join("")}</ul>` : "",
      nav,
      ...sections,
      `<footer>Made with <code>${escapeHtml(options.command ?? "inpca report")}</code>. Everything on this page, plotly.js ${escapeHtml(plotlyBundle().version)} included, is in this one file; it works offline.</footer>`,
      "</main>",
      `<script type="application/json" id="inpca-report-summary">${summaryJson}</script>`,
    ],
    scripts: [DRAW, DOWNLOAD_SCRIPT],
  });
}
