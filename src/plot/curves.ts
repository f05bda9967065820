/**
 * Curves of a quantity per run: progress (or error, loss) against epoch or step ("larger is faster"), and
 * distance to the geodesic or tube width against progress, as per-run lines, mean ± sd bands, or box plots.
 */
import type { DistanceMatrix } from "../core/distance-matrix.js";
import { InpcaInputError } from "../core/errors.js";
import { field, rowsByRun, type ModelPoint } from "../core/meta.js";
import { PredictionSet } from "../core/prediction-set.js";
import { binnedStats } from "../geometry/binning.js";
import { geodesicProgress } from "../geometry/geodesic-progress.js";
import type { GeodesicDistances, TubeWidth } from "../geometry/trajectories/index.js";
import { coloring, customData, decimate, hoverFields, hoverTemplate, isReference, metaOf, type ColoringOptions, type MetaSource } from "./data.js";
import { Figure } from "./figure.js";
import { axis2d, baseConfig, baseLayout, categoryColor, fieldTitle, withAlpha } from "./style.js";
import type { PlotTrace } from "./types.js";

/** Options of the per-run curve figures. */
export interface CurveOptions extends ColoringOptions {
  /** Colour (and group) runs by a metadata field such as "arch" (default: one colour). */
  colorBy?: string;
  /** Figure title. */
  title?: string;
  /** Title of the x axis (default from the field plotted). */
  xTitle?: string;
  /** Title of the y axis (default from the field plotted). */
  yTitle?: string;
  /** Logarithmic axes. */
  logX?: boolean;
  /** Logarithmic y axis. */
  logY?: boolean;
  /** Draw markers at the checkpoints too (default false). */
  markers?: boolean;
  /** At most this many vertices per run line (default 2,000). */
  maxRunPoints?: number;
  /** WebGL lines (default above 5,000 points). */
  webgl?: boolean;
  /** Width in px. */
  width?: number;
  /** Height in px. */
  height?: number;
}

/** Options of `progressCurves`. */
export interface ProgressCurveOptions extends CurveOptions {
  /**
   * The vertical quantity: a metadata field ("error", "loss", "lambda", ...) or one value per point (e.g.
   * `ip.geodesicProgress(set)`). Default: the `lambda` field when points have it, else, for a PredictionSet with
   * labels, λ* computed here (`geodesicProgress(set)`).
   */
  y?: string | ArrayLike<number>;
  /** The horizontal field (default "epoch" when every point has one, else "step"). */
  x?: string | ArrayLike<number>;
}

/** Reads one number per point from a field name or an array. */
function values(meta: readonly ModelPoint[], v: string | ArrayLike<number>, what: string): number[] {
  if (typeof v === "string") return meta.map((m) => { const x = field(m, v); return typeof x === "number" ? x : Number.NaN; });
  if (v.length !== meta.length) throw new InpcaInputError(`${what}: ${v.length} values for ${meta.length} points`);
  return Array.from(v);
}

interface Group { name: string; color: string; members: number[] }

function groups(meta: readonly ModelPoint[], indices: number[], options: CurveOptions): Group[] {
  const c = coloring(meta, indices, options.colorBy, { ...options, colorType: "categorical" });
  if (c.type !== "categorical") return [{ name: "runs", color: categoryColor(0), members: indices }];
  return c.categories.map((cat) => ({ name: cat, color: c.colors.get(cat)!, members: indices.filter((_, j) => c.values[j] === cat) }));
}

/** Per-run line traces (runs of one group in one trace, separated by gaps), sorted by x. */
function runLines(meta: readonly ModelPoint[], xs: number[], ys: number[], g: Group, options: CurveOptions, type: string, width: number, opacity: number, showlegend: boolean): PlotTrace {
  const finite = g.members.filter((i) => Number.isFinite(xs[i]!) && Number.isFinite(ys[i]!));
  const idx: (number | null)[] = [];
  for (const { rows: run } of rowsByRun(meta, finite)) {
    // a curve against x is drawn left to right
    run.sort((a, b) => xs[a]! - xs[b]! || a - b);
    if (idx.length) idx.push(null);
    idx.push(...decimate(run, options.maxRunPoints ?? 2000));
  }
  const fields = hoverFields(meta, g.members, {});
  return {
    type, mode: options.markers ? "lines+markers" : "lines", name: g.name, legendgroup: g.name, showlegend,
    x: idx.map((i) => (i === null ? null : xs[i]!)), y: idx.map((i) => (i === null ? null : ys[i]!)),
    line: { color: g.color, width }, opacity, marker: { size: 4, color: g.color }, connectgaps: false,
    customdata: customData(meta, idx, fields), hovertemplate: hoverTemplate(fields, ["x: %{x:.4~g}", "y: %{y:.4~g}"]),
  };
}

/**
 * Progress, error or loss against epoch (or step) per run, coloured and grouped by `colorBy`: the "larger is
 * faster" figure. `source`: metadata rows (M), or a PredictionSet [M, S, C]; y defaults to the `lambda` field,
 * else, for a PredictionSet with labels, λ* computed here (`geodesicProgress(source)`, M values in [0, 1]).
 * Reference rows (geodesic, P0, P*) are left out. Throws InpcaInputError, saying what to pass, when there is no
 * y to take or compute, or when no model point has both an x and a y (nothing to draw).
 */
export function progressCurves(source: MetaSource | PredictionSet, options: ProgressCurveOptions = {}): Figure {
  const meta = metaOf(source);
  const yName = options.y ?? defaultProgress(source, meta);
  const xName = options.x ?? (meta.every((m) => isReference(m) || typeof m.epoch === "number") ? "epoch" : "step");
  const ys = values(meta, yName, "progressCurves y");
  const xs = values(meta, xName, "progressCurves x");
  const models = meta.map((_, i) => i).filter((i) => !isReference(meta[i]!));
  nothingToDraw("progressCurves", models, xs, ys, typeof xName === "string" ? `"${xName}"` : "x", typeof yName === "string" ? `"${yName}"` : "y");
  const type = options.webgl ?? models.length > 5000 ? "scattergl" : "scatter";
  const data = groups(meta, models, options).map((g) => runLines(meta, xs, ys, g, options, type, 1.6, 0.9, true));
  const xTitle = options.xTitle ?? (typeof xName === "string" ? fieldTitle(xName) : "x");
  const yTitle = options.yTitle ?? (typeof yName === "string" ? fieldTitle(yName) : "progress λ*");
  return curveFigure("progressCurves", data, xTitle, yTitle, options);
}

/**
 * The default y of `progressCurves`: "lambda" when some model point has that field; else λ* of each point
 * (`geodesicProgress`, one value per row in [0, 1]) when `source` is a PredictionSet with labels; else throws,
 * saying what to pass (there would be nothing to draw).
 */
function defaultProgress(source: MetaSource | PredictionSet, meta: readonly ModelPoint[]): string | Float64Array {
  if (meta.some((m) => !isReference(m) && typeof field(m, "lambda") === "number")) return "lambda";
  if (source instanceof PredictionSet) {
    if (source.labels) return geodesicProgress(source);
    throw new InpcaInputError("progressCurves: no y given, the points have no \"lambda\" field, and the set has no labels, so progress λ* cannot be computed; pass y: a field such as \"error\" or \"loss\", or one value per point, or give the set labels");
  }
  throw new InpcaInputError("progressCurves: no y given and the points have no \"lambda\" field; pass the PredictionSet itself (with labels, λ* is computed), or y: ip.geodesicProgress(set), or a field such as \"error\"");
}

/**
 * Throws, naming the figure and both quantities, when no model point (of `models`) has a finite x and a finite
 * y: the figure would be empty axes.
 */
function nothingToDraw(kind: string, models: readonly number[], xs: readonly number[], ys: readonly number[], xWhat: string, yWhat: string): void {
  if (models.some((i) => Number.isFinite(xs[i]!) && Number.isFinite(ys[i]!))) return;
  if (models.length === 0) throw new InpcaInputError(`${kind}: no model points to draw (only reference rows such as the geodesic, P0, P*)`);
  const noX = models.every((i) => !Number.isFinite(xs[i]!));
  const noY = models.every((i) => !Number.isFinite(ys[i]!));
  const what = noX && noY ? `${xWhat} or ${yWhat}` : noX ? xWhat : noY ? yWhat : `both ${xWhat} and ${yWhat}`;
  throw new InpcaInputError(`${kind}: nothing to draw: none of the ${models.length} model points has a number for ${what}; pass the quantity explicitly (one value per point) or a field the points have`);
}

function curveFigure(kind: string, data: PlotTrace[], xTitle: string, yTitle: string, options: CurveOptions, extra: Record<string, unknown> = {}): Figure {
  const height = options.height ?? 420;
  const layout = baseLayout(options.title, {
    height,
    ...(options.width ? { width: options.width } : {}),
    xaxis: axis2d(xTitle, { log: options.logX }),
    yaxis: axis2d(yTitle, { log: options.logY }),
    showlegend: data.some((t) => t["showlegend"] !== false),
    legend: { ...(baseLayout(undefined).legend as object), x: 1.02, y: 1, xanchor: "left", yanchor: "top", title: { text: options.colorBy ? fieldTitle(options.colorBy) : "" } },
    hovermode: "closest",
    ...extra,
  });
  return new Figure(kind, { data, layout, config: baseConfig(`inpca-${kind}`, options.width ?? 800, height) });
}

/** Options of the figures against progress. */
export interface AgainstProgressOptions extends CurveOptions {
  /**
   * "band" (mean ± 1 sd per group over progress bins, default), "lines" (one line per run) or "box" (box plots per
   * bin). The quantities drawn against progress (distance to the geodesic, tube width) are distances, never
   * negative: the band's lower edge is clipped at 0 (max(0, mean − sd)); the hover still gives the sd itself.
   */
  mode?: "band" | "lines" | "box";
  /** Number of equal progress bins on [0, 1] for "band" and "box" (default 20 and 10). */
  bins?: number;
  /** With mode "band", also draw each run thinly (default false). */
  runs?: boolean;
  /** Metadata rows when the values come without them. */
  meta?: readonly ModelPoint[];
}

/**
 * A quantity `ys` (one per point, ≥ 0: a distance) against `progress` (one λ* per point), by `options.mode`. A
 * band never dips below 0 (see AgainstProgressOptions.mode). Throws when no model point has both a finite value
 * and a finite progress: there would be nothing to draw.
 */
function againstProgress(kind: string, meta: readonly ModelPoint[], ys: number[], progress: ArrayLike<number>, yTitle: string, options: AgainstProgressOptions): Figure {
  if (progress.length !== meta.length) throw new InpcaInputError(`${kind}: ${progress.length} progress values for ${meta.length} points`);
  const xs = Array.from(progress);
  const models = meta.map((_, i) => i).filter((i) => !isReference(meta[i]!));
  nothingToDraw(kind, models, xs, ys, "progress", "value");
  const mode = options.mode ?? "band";
  const type = options.webgl ?? models.length > 5000 ? "scattergl" : "scatter";
  const data: PlotTrace[] = [];
  const gs = groups(meta, models, options);
  let boxCategories: string[] | null = null;
  if (mode === "lines") {
    for (const g of gs) data.push(runLines(meta, xs, ys, g, options, type, 1.4, 0.85, true));
  } else if (mode === "band") {
    const bins = options.bins ?? 20;
    for (const g of gs) {
      if (options.runs) data.push(runLines(meta, xs, ys, g, options, type, 0.7, 0.35, false));
      const s = binnedStats(xs, ys, g.members, bins);
      // distances are ≥ 0: a mean − sd below 0 would draw values no point can have
      const lower = s.mean.map((m, b) => Math.max(0, m - s.sd[b]!));
      const upper = s.mean.map((m, b) => m + s.sd[b]!);
      data.push({ type: "scatter", mode: "lines", x: s.center, y: lower, line: { width: 0, color: g.color }, hoverinfo: "skip", showlegend: false, legendgroup: g.name, name: `${g.name} − sd` });
      data.push({ type: "scatter", mode: "lines", x: s.center, y: upper, line: { width: 0, color: g.color }, fill: "tonexty", fillcolor: withAlpha(g.color, 0.22), hoverinfo: "skip", showlegend: false, legendgroup: g.name, name: `${g.name} + sd` });
      data.push({
        type: "scatter", mode: "lines+markers", x: s.center, y: s.mean, name: g.name, legendgroup: g.name, line: { color: g.color, width: 2 }, marker: { size: 5, color: g.color },
        customdata: s.sd.map((sd, b) => [sd, s.count[b]]), hovertemplate: `${g.name}<br>progress %{x:.3f}<br>mean %{y:.4~g} ± %{customdata[0]:.3~g}<br>%{customdata[1]} points<extra></extra>`,
      });
    }
  } else if (mode === "box") {
    const bins = options.bins ?? 10;
    const binLabel = (b: number) => `${(b / bins).toFixed(2)}–${((b + 1) / bins).toFixed(2)}`;
    for (const g of gs) {
      const x: string[] = [], y: number[] = [];
      for (const i of g.members) {
        if (!Number.isFinite(xs[i]!) || !Number.isFinite(ys[i]!)) continue;
        x.push(binLabel(Math.min(bins - 1, Math.max(0, Math.floor(xs[i]! * bins)))));
        y.push(ys[i]!);
      }
      data.push({ type: "box", name: g.name, legendgroup: g.name, x, y, marker: { color: g.color, size: 3 }, line: { width: 1.2 }, boxpoints: "outliers" });
    }
    boxCategories = Array.from({ length: bins }, (_, b) => binLabel(b));
  } else throw new InpcaInputError(`${kind}: unknown mode "${mode as string}" (band, lines or box)`);
  const fig = curveFigure(kind, data, options.xTitle ?? "progress λ*", options.yTitle ?? yTitle, options, boxCategories ? { boxmode: "group", boxgap: 0.25, boxgroupgap: 0.1 } : {});
  const xaxis = fig.layout["xaxis"] as Record<string, unknown>;
  if (boxCategories) Object.assign(xaxis, { type: "category", categoryorder: "array", categoryarray: boxCategories, tickangle: -30 });
  else xaxis["range"] = [0, 1];
  return fig;
}

/**
 * Distance of each model point to the ignorance→truth geodesic against its progress λ*. Takes the result of
 * `ip.distanceToGeodesic(set)` as it is (distance, progress and metadata: `plot.distanceToGeodesic(g, options)`),
 * or the pieces: `toGeodesic` the M×G cross matrix `bhattacharyya(models, geodesic)` (the row minimum is taken,
 * nats per sample) or one distance per point, and `progress` one λ* per point (`ip.geodesicProgress(models)`).
 */
export function distanceToGeodesic(result: GeodesicDistances, options?: AgainstProgressOptions): Figure;
export function distanceToGeodesic(toGeodesic: DistanceMatrix | ArrayLike<number>, progress: ArrayLike<number>, options?: AgainstProgressOptions): Figure;
export function distanceToGeodesic(
  input: GeodesicDistances | DistanceMatrix | ArrayLike<number>, second?: ArrayLike<number> | AgainstProgressOptions, third: AgainstProgressOptions = {},
): Figure {
  if (isGeodesicDistances(input)) {
    const options = (second ?? {}) as AgainstProgressOptions;
    return distanceToGeodesic(input.distance, input.progress, { ...options, meta: options.meta ?? input.meta });
  }
  const toGeodesic = input;
  const progress = second as ArrayLike<number> | undefined;
  const options = third;
  if (progress === undefined || typeof progress !== "object" || !("length" in progress)) {
    throw new InpcaInputError("distanceToGeodesic: pass the result of ip.distanceToGeodesic(set), or distances and one progress value per point");
  }
  let ys: number[];
  let meta: readonly ModelPoint[];
  if ("rowMeta" in toGeodesic && "cols" in toGeodesic) {
    const D = toGeodesic;
    ys = Array.from({ length: D.rows }, (_, i) => { let m = Infinity; const r = D.row(i); for (let j = 0; j < r.length; j++) if (r[j]! < m) m = r[j]!; return m; });
    meta = options.meta ?? D.rowMeta;
  } else {
    ys = Array.from(toGeodesic as ArrayLike<number>);
    meta = options.meta ?? ys.map((_, i) => ({ run: `m${i}`, step: i }));
  }
  if (ys.length !== meta.length) throw new InpcaInputError(`distanceToGeodesic: ${ys.length} distances for ${meta.length} metadata rows`);
  return againstProgress("distanceToGeodesic", meta, ys, progress, "distance to geodesic d<sub>B</sub> (nats)", options);
}

function isGeodesicDistances(x: unknown): x is GeodesicDistances {
  return typeof x === "object" && x !== null && (x as GeodesicDistances).distance instanceof Float64Array && (x as GeodesicDistances).progress instanceof Float64Array && Array.isArray((x as GeodesicDistances).meta);
}

/**
 * Tube width against progress. Takes the result of `ip.tubeWidth(set)` as it is (`plot.tubeWidth(seeds, options)`),
 * or the pieces: `width` per model point, d_B from the point to its configuration's mean trajectory at the same
 * progress (nats per sample), `progress` one λ* per point, and `source` the metadata rows.
 */
export function tubeWidth(result: TubeWidth, options?: AgainstProgressOptions): Figure;
export function tubeWidth(width: ArrayLike<number>, progress: ArrayLike<number>, source: MetaSource, options?: AgainstProgressOptions): Figure;
export function tubeWidth(
  input: TubeWidth | ArrayLike<number>, second?: ArrayLike<number> | AgainstProgressOptions, source?: MetaSource, options: AgainstProgressOptions = {},
): Figure {
  if (isTubeWidth(input)) return tubeWidth(input.width, input.progress, input.meta, (second ?? {}) as AgainstProgressOptions);
  if (second === undefined || source === undefined) throw new InpcaInputError("tubeWidth: pass the result of ip.tubeWidth(set), or widths, one progress value per point and their metadata");
  const meta = metaOf(source);
  const width = input;
  if (width.length !== meta.length) throw new InpcaInputError(`tubeWidth: ${width.length} widths for ${meta.length} points`);
  return againstProgress("tubeWidth", meta, Array.from(width), second as ArrayLike<number>, "tube width d<sub>B</sub>(seed, mean) (nats)", options);
}

function isTubeWidth(x: unknown): x is TubeWidth {
  return typeof x === "object" && x !== null && (x as TubeWidth).width instanceof Float64Array && (x as TubeWidth).progress instanceof Float64Array && Array.isArray((x as TubeWidth).meta);
}
