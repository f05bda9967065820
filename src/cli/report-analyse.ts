/**
 * `inpca report`, analysis: one split's checkpoints embedded (exact or landmark InPCA, by the library's
 * `chooseMethod` rule unless a method is given), with the geodesic placed in the embedding, progress λ*, the
 * distance of every checkpoint to the geodesic and the table of runs, as numbers; no HTML.
 */
import { InpcaInputError } from "../core/errors.js";
import { field, type ModelPoint } from "../core/meta.js";
import type { PredictionSet } from "../core/prediction-set.js";
import { formatSeconds } from "../core/progress.js";
import { bhattacharyya } from "../geometry/distances.js";
import { chooseMethod, embed, type EmbeddingMethod } from "../geometry/embed.js";
import type { Embedding } from "../core/embedding.js";
import { geodesic } from "../geometry/geodesic.js";
import { geodesicProgress } from "../geometry/geodesic-progress.js";
import { distanceToGeodesic, type GeodesicDistances } from "../geometry/trajectories/index.js";
import type { ZooRun } from "../io/stores/zoo/index.js";
import { decimate } from "../plot/data.js";
import { runStatus } from "./report-load.js";
import { fmtInt } from "./report-text.js";

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

/** The options of `buildReport` that concern the analysis (validated there). */
export interface AnalyseOptions {
  /** InPCA axes kept (default 3). */
  dims?: number;
  /** At most this many checkpoints are embedded (default all), thinned evenly within each run. */
  maxPoints?: number;
  /** "auto" (default: `chooseMethod`), "exact" or "landmark". */
  method?: EmbeddingMethod;
  /** Landmarks of the landmark method (default min(2000, checkpoints)). */
  landmarks?: number;
  /** Colour runs by this field (default: `chooseColor`). */
  colorBy?: string;
  /** Points on the ignorance→truth geodesic (default 100). */
  geodesicPoints?: number;
  /** "all": the runs an ordinary report leaves out are marked (field "status"). */
  runs?: "ordinary" | "all";
  signal?: AbortSignal;
  showProgress?: boolean | "auto";
}

/** One analysed split: the summary, the embedded set, its embedding (and with the geodesic added), λ*. */
export interface SplitAnalysis {
  summary: SplitSummary;
  /** The checkpoints embedded (thinned, with a "status" field when `styleBy`). */
  set: PredictionSet;
  /** The embedding of `set` (M × dims). */
  emb: Embedding;
  /** `emb` with the geodesic's points added after the checkpoints (the same as `emb` without labels). */
  all: Embedding;
  /** Progress λ* per checkpoint (null without labels). */
  lambda: Float64Array | null;
  /** Each checkpoint's distance to the geodesic against its λ* (null without labels). */
  toGeodesic: GeodesicDistances | null;
  colorBy: string | undefined;
  /** "status" when runs an ordinary report leaves out are drawn in their own style. */
  styleBy: string | undefined;
}

/**
 * Analyses one split: thins it to `maxPoints`, embeds it (`embed` with the method `chooseMethod` gives for its
 * size, unless given), places the ignorance→truth geodesic and computes λ* when it has labels. Notes for the page
 * are appended to `notes`, one line per stage goes to `log`. InpcaInputError names `source` when the split has
 * too few checkpoints for `dims` axes or `colorBy` names no field.
 */
export async function analyseSplit(
  split: string, full: PredictionSet, runInfo: ReadonlyMap<string, ZooRun>, source: string, options: AnalyseOptions, notes: string[], log: (line: string) => void,
): Promise<SplitAnalysis> {
  const ts = Date.now();
  const dims = options.dims ?? 3;
  const maxPoints = options.maxPoints ?? Infinity;
  const geoPoints = options.geodesicPoints ?? 100;
  const showProgress = options.showProgress ?? false;
  const thinned = maxPoints < full.models ? thin(full, maxPoints) : full;
  // with --all-runs the runs an ordinary report leaves out are marked, and drawn in a second style
  const marked = options.runs === "all" && thinned.meta.some((m) => runStatus(runInfo.get(m.run)) !== null);
  const set = marked ? thinned.withMeta((m) => ({ ...m, status: runStatus(runInfo.get(m.run)) ?? undefined })) : thinned;
  const styleBy = marked ? "status" : undefined;
  if (set.models < full.models) notes.push(`${split}: ${full.models.toLocaleString("en-US")} checkpoints thinned to ${set.models.toLocaleString("en-US")} (at most ${maxPoints.toLocaleString("en-US")} per split, evenly within each run, first and last kept; --max-points)`);
  const method = chooseMethod(set.models, options.method ?? "auto");
  if (set.models < dims + 1) throw new InpcaInputError(`${split}: ${set.models} checkpoints; an InPCA embedding with ${dims} axes needs at least ${dims + 1}`, { file: source });
  const colorBy = options.colorBy ?? chooseColor(set.meta);
  if (options.colorBy !== undefined && !set.meta.some((m) => field(m, options.colorBy!) !== undefined)) {
    throw new InpcaInputError(`colorBy: no checkpoint has a field "${options.colorBy}" (fields: ${fieldNames(set.meta).join(", ")})`);
  }
  let emb: Embedding;
  if (method === "landmark") {
    const L = Math.min(options.landmarks ?? 2000, set.models);
    log(`${split}: landmark InPCA of ${fmtInt(set.models)} checkpoints with ${fmtInt(L)} landmarks on ${fmtInt(set.samples)} samples (${dims} axes)`);
    emb = await embed(set, { method, landmarks: L, dims, signal: options.signal, showProgress });
  } else {
    log(`${split}: Bhattacharyya distances ${fmtInt(set.models)} × ${fmtInt(set.models)} on ${fmtInt(set.samples)} samples, then InPCA (${dims} axes)`);
    emb = await embed(set, { method, dims, signal: options.signal, showProgress });
  }
  const basisSet = emb.landmark ? set.select(emb.landmark.landmarks) : set;
  let all: Embedding = emb;
  let lambda: Float64Array | null = null;
  let toGeodesic: GeodesicDistances | null = null;
  if (set.labels) {
    log(`${split}: geodesic (${geoPoints} points) and progress λ*`);
    const geo = geodesic(set, { points: geoPoints });
    all = emb.addPoints(await bhattacharyya(geo, basisSet, { signal: options.signal, showProgress }), geo.meta);
    lambda = geodesicProgress(set);
    toGeodesic = distanceToGeodesic(set);
  }
  const table = runTable(set, lambda, runInfo);
  const summary: SplitSummary = {
    split, checkpoints: full.models, embedded: set.models, method, landmarks: emb.landmark ? emb.landmark.landmarks.length : null, samples: set.samples, classes: set.classes, runs: set.runs().length,
    labelled: set.labels !== null, explainedStress: Array.from(emb.explainedStress), es3: emb.explainedStress[2]!,
    eigenvalues: Array.from(emb.eigenvalues), geodesicPoints: set.labels ? geoPoints : 0, table, seconds: (Date.now() - ts) / 1000,
  };
  log(`${split}: ES(3) = ${summary.es3.toFixed(3)} (${formatSeconds(summary.seconds)})`);
  return { summary, set, emb, all, lambda, toGeodesic, colorBy, styleBy };
}

/** At most `max` checkpoints, evenly spread within each run (first and last kept), rows in their original order. */
function thin(set: PredictionSet, max: number): PredictionSet {
  if (set.models <= max) return set;
  const runs = set.runRows();
  const per = Math.max(2, Math.floor(max / runs.length));
  const keep = runs.flatMap((r) => decimate(r.rows, per)).sort((a, b) => a - b);
  return set.select(keep);
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
export function varyingConfig(meta: readonly ModelPoint[]): string[] {
  const values = new Map<string, Set<string>>();
  const firstOfRun = new Map<string, ModelPoint>();
  for (const m of meta) if (!firstOfRun.has(m.run)) firstOfRun.set(m.run, m);
  const rows = [...firstOfRun.values()];
  for (const m of rows) for (const [k, v] of Object.entries(m.config ?? {})) (values.get(k) ?? values.set(k, new Set()).get(k)!).add(JSON.stringify(v));
  const keys = [...values.keys()].filter((k) => values.get(k)!.size > 1 || rows.some((m) => !(k in (m.config ?? {}))));
  return keys.sort((a, b) => Number(a === "seed") - Number(b === "seed"));
}

function runTable(set: PredictionSet, lambda: Float64Array | null, info: ReadonlyMap<string, ZooRun>): RunRow[] {
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
