/**
 * Heat map of a distance matrix, bar and box charts (factor analyses, outlier counts, averaging methods), and a
 * scatter plot of paired values.
 */
import type { DistanceMatrix } from "../core/distance-matrix.js";
import { InpcaInputError } from "../core/errors.js";
import { finiteCount, requireSomethingToDraw } from "./empty.js";
import { field, type ModelPoint } from "../core/meta.js";
import { coloring, decimate } from "./data.js";
import { Figure } from "./figure.js";
import { completeLinkage, leafOrder } from "../geometry/linkage.js";
import { CONTINUOUS_SCALE, axis2d, baseConfig, baseLayout, categoryColor, colorOf, fieldTitle, font } from "./style.js";
import type { PlotTrace } from "./types.js";

/** Options of `heatmap`. */
export interface HeatmapOptions {
  /** Row/column order: "none" (default), "linkage" (complete-linkage leaf order, square matrices), or explicit row indices. */
  order?: "none" | "linkage" | readonly number[];
  /** Tick labels: a metadata field name or one string per row (default `run:step` up to 60 rows, none beyond). */
  labels?: string | readonly string[];
  /** At most this many rows and columns are drawn (default 600): larger matrices are sampled at a uniform stride. */
  maxSize?: number;
  /** Colour-bar title (default from the matrix kind, e.g. "d_B (nats)"). */
  colorbarTitle?: string;
  /** Plotly colour scale name (default Viridis). */
  colorscale?: string;
  /** Figure title. */
  title?: string;
  /** Width in px. */
  width?: number;
  /** Height in px. */
  height?: number;
}

/** Indices 0..n-1 sampled at a uniform stride to at most `max` (first and last kept). */
function stride(n: number, max: number): number[] {
  return decimate(Array.from({ length: n }, (_, i) => i), max);
}

/**
 * Heat map of a distance matrix (rows top to bottom, matrix orientation), equal cell aspect for square
 * matrices, Viridis colour scale with a colour bar in the matrix's units.
 */
export function heatmap(D: DistanceMatrix, options: HeatmapOptions = {}): Figure {
  requireSomethingToDraw("heatmap", D.rows * D.cols, () => `the matrix is ${D.rows}×${D.cols}`);
  let rows = Array.from({ length: D.rows }, (_, i) => i);
  let cols = Array.from({ length: D.cols }, (_, j) => j);
  if (options.order === "linkage") {
    if (D.rows !== D.cols) throw new InpcaInputError("heatmap: linkage order needs a square matrix");
    rows = leafOrder(completeLinkage(D));
    cols = rows;
  } else if (Array.isArray(options.order)) {
    if (options.order.length !== D.rows) throw new InpcaInputError(`heatmap: order has ${options.order.length} entries for ${D.rows} rows`);
    rows = (options.order as readonly number[]).slice();
    if (D.rows === D.cols) cols = rows;
  }
  const max = options.maxSize ?? 600;
  rows = stride(rows.length, max).map((k) => rows[k]!);
  cols = stride(cols.length, max).map((k) => cols[k]!);
  const z = rows.map((i) => cols.map((j) => D.get(i, j)));
  const label = (meta: typeof D.rowMeta, i: number): string => {
    if (Array.isArray(options.labels)) return String(options.labels[i] ?? i);
    if (typeof options.labels === "string") return String(field(meta[i]!, options.labels) ?? i);
    const m = meta[i]!;
    return `${m.run}:${m.step}`;
  };
  // labels on both axes up to 60 rows and columns; up to 100 rows, on the row axis only, in a smaller font (the
  // same labels label the columns, in the same order, for a square matrix), so that a 74-run map stays readable
  // at a notebook's width; beyond that, hover only
  const showTicks = rows.length <= 60 && cols.length <= 60;
  const rowTicks = showTicks || rows.length <= 100;
  const units = D.kind === "bhattacharyya" ? "d<sub>B</sub> (nats)" : D.kind === "trajectory" ? "d<sub>traj</sub> (nats)" : D.kind === "symmetricKL" ? "sym. KL (nats)" : D.kind === "hellinger" ? "Hellinger" : "distance";
  // category labels on both axes carry the hover text (no per-cell data: a 600×600 map stays a few MB)
  const unique = (idx: number[], meta: typeof D.rowMeta): string[] => {
    const seen = new Map<string, number>();
    return idx.map((i) => {
      const l = label(meta, i);
      const n = seen.get(l) ?? 0;
      seen.set(l, n + 1);
      return n ? `${l} #${n + 1}` : l;
    });
  };
  const xl = unique(cols, D.colMeta);
  const yl = unique(rows, D.rowMeta);
  const data: PlotTrace[] = [{
    type: "heatmap", z, x: xl, y: yl, colorscale: options.colorscale ?? CONTINUOUS_SCALE,
    hovertemplate: "%{y} ↔ %{x}<br>%{z:.4~g}<extra></extra>",
    colorbar: { title: { text: options.colorbarTitle ?? units, side: "right", font: font(13) }, thickness: 14, outlinewidth: 0, tickfont: font(11) },
  }];
  const hidden = { type: "category", showticklabels: false, ticks: "" };
  const small = rows.length > 40 ? { tickfont: font(8) } : {};
  const size = options.height ?? 560;
  const layout = baseLayout(options.title, {
    height: size,
    width: options.width ?? size + (showTicks ? 200 : rowTicks ? 160 : 110),
    xaxis: { ...axis2d(""), ...(showTicks ? { type: "category", ...small } : hidden), showline: false, mirror: false, constrain: "domain", tickangle: -60 },
    yaxis: { ...axis2d(""), ...(rowTicks ? { type: "category", ...small } : hidden), showline: false, mirror: false, autorange: "reversed", scaleanchor: "x", scaleratio: 1, constrain: "domain" },
  });
  return new Figure("heatmap", { data, layout, config: baseConfig("inpca-heatmap", options.width ?? size + 100, size) });
}

/** Options of `bar`. */
export interface BarOptions {
  /** Error bars (e.g. standard deviations of a permutation importance), one per bar. */
  errors?: ArrayLike<number>;
  /** Bar colours: one colour, or one per bar (default the first palette colour). */
  colors?: string | readonly string[];
  /** Horizontal bars (labels on the vertical axis; default false). */
  horizontal?: boolean;
  /** Sort bars by value, descending (default false). */
  sort?: boolean;
  /** Title of the value axis. */
  valueTitle?: string;
  /** Title of the label axis. */
  labelTitle?: string;
  /** Figure title. */
  title?: string;
  /** Width in px. */
  width?: number;
  /** Height in px. */
  height?: number;
}

/**
 * A bar chart of `values` (one per label), e.g. the importance of each configuration factor, outlier counts
 * per epoch, or the final soft accuracy of each averaging method.
 */
export function bar(values: ArrayLike<number>, labels: readonly string[], options: BarOptions = {}): Figure {
  if (values.length !== labels.length) throw new InpcaInputError(`bar: ${values.length} values for ${labels.length} labels`);
  requireSomethingToDraw("bar", finiteCount(values), () => (values.length === 0 ? "no values given" : `none of the ${values.length} values is a finite number`));
  let idx = Array.from({ length: values.length }, (_, i) => i);
  if (options.sort) idx.sort((a, b) => values[b]! - values[a]!);
  if (options.horizontal) idx = idx.reverse(); // first bar on top
  const v = idx.map((i) => values[i]!);
  const l = idx.map((i) => labels[i]!);
  const colors = typeof options.colors === "string" ? options.colors : options.colors ? idx.map((i) => options.colors![i]!) : categoryColor(0);
  const err = options.errors ? { type: "data", array: idx.map((i) => options.errors![i]!), visible: true, color: "#333333", thickness: 1.2, width: 4 } : undefined;
  const h = !!options.horizontal;
  const data: PlotTrace[] = [{
    type: "bar", orientation: h ? "h" : "v", x: h ? v : l, y: h ? l : v, marker: { color: colors, line: { width: 0 } },
    ...(err ? { [h ? "error_x" : "error_y"]: err } : {}), hovertemplate: h ? "%{y}: %{x:.4~g}<extra></extra>" : "%{x}: %{y:.4~g}<extra></extra>",
  }];
  const height = options.height ?? (h ? Math.max(260, 28 * l.length + 100) : 380);
  const valueAxis = axis2d(options.valueTitle ?? "");
  const labelAxis = { ...axis2d(options.labelTitle ?? ""), type: "category" };
  const layout = baseLayout(options.title, {
    height,
    ...(options.width ? { width: options.width } : {}),
    xaxis: h ? valueAxis : labelAxis,
    yaxis: h ? labelAxis : valueAxis,
    bargap: 0.3,
    showlegend: false,
  });
  return new Figure("bar", { data, layout, config: baseConfig("inpca-bar", options.width ?? 700, height) });
}

/** Options of `box`. */
export interface BoxOptions {
  /** Title of the value axis. */
  valueTitle?: string;
  /** Title of the group axis. */
  groupTitle?: string;
  /** Show every point beside its box (default: only outliers). */
  points?: boolean;
  /** Figure title. */
  title?: string;
  /** Width in px. */
  width?: number;
  /** Height in px. */
  height?: number;
}

/**
 * Box plots of values per group: `groups` maps a group name to its values (e.g. tube widths per architecture,
 * test error per averaging method). Groups keep their insertion order; each has its value colour (`colorOf`).
 */
export function box(groups: Record<string, ArrayLike<number>> | ReadonlyMap<string, ArrayLike<number>>, options: BoxOptions = {}): Figure {
  const entries = groups instanceof Map ? [...groups.entries()] : Object.entries(groups as Record<string, ArrayLike<number>>);
  requireSomethingToDraw("box", entries.reduce((a, [, v]) => a + finiteCount(v), 0), () => (entries.length === 0 ? "no groups given" : `none of the groups (${entries.map(([k]) => k).slice(0, 5).join(", ")}) has a finite value`));
  const data: PlotTrace[] = entries.map(([name, vals]) => ({
    type: "box", name, y: Array.from(vals).filter(Number.isFinite), marker: { color: colorOf(name), size: 3 }, line: { width: 1.3 },
    boxpoints: options.points ? "all" : "outliers", jitter: 0.35, pointpos: 0, boxmean: false,
  }));
  const height = options.height ?? 380;
  const layout = baseLayout(options.title, {
    height,
    ...(options.width ? { width: options.width } : {}),
    xaxis: { ...axis2d(options.groupTitle ?? ""), type: "category" },
    yaxis: axis2d(options.valueTitle ?? ""),
    showlegend: false,
  });
  return new Figure("box", { data, layout, config: baseConfig("inpca-box", options.width ?? 700, height) });
}

/** Options of `scatter`. */
export interface ScatterOptions {
  /** Metadata rows, one per point (for colouring by a field and for hover text). */
  meta?: readonly ModelPoint[];
  /** Colour by a metadata field (needs `meta`) or one value per point; numbers with many values get a colour bar. */
  colorBy?: string | ArrayLike<number | string>;
  /** Draw the line y = x across the data range (default false): for comparing two measurements of one thing. */
  diagonal?: boolean;
  /** At most this many points are drawn, sampled at a uniform stride (default 20,000). */
  maxPoints?: number;
  /** Hover text per point (default `run:step` from `meta`). */
  text?: readonly string[];
  /** Title of the x axis. */
  xTitle?: string;
  /** Title of the y axis. */
  yTitle?: string;
  /** Figure title. */
  title?: string;
  /** Equal scales on both axes (default: on when `diagonal`). */
  equalAxes?: boolean;
  /** Width in px. */
  width?: number;
  /** Height in px. */
  height?: number;
}

/**
 * Scatter plot of paired values x[i], y[i] (any units), e.g. the test-set distance of every model pair against
 * its train-set distance, or one model-point's progress on two splits. WebGL above 5,000 points.
 */
export function scatter(x: ArrayLike<number>, y: ArrayLike<number>, options: ScatterOptions = {}): Figure {
  if (x.length !== y.length) throw new InpcaInputError(`scatter: ${x.length} x values for ${y.length} y values`);
  if (options.meta && options.meta.length !== x.length) throw new InpcaInputError(`scatter: ${options.meta.length} metadata rows for ${x.length} points`);
  let pairs = 0;
  for (let i = 0; i < x.length; i++) if (Number.isFinite(x[i]!) && Number.isFinite(y[i]!)) pairs++;
  requireSomethingToDraw("scatter", pairs, () => (x.length === 0 ? "no points given" : `none of the ${x.length} points has a finite x and y`));
  const idx = stride(x.length, options.maxPoints ?? 20000);
  const meta = options.meta ?? Array.from({ length: x.length }, (_, i) => ({ run: `p${i}`, step: i }));
  const c = coloring(meta, idx, options.colorBy);
  const type = idx.length > 5000 ? "scattergl" : "scatter";
  const text = (k: number[]) => k.map((j) => options.text?.[idx[j]!] ?? `${meta[idx[j]!]!.run}:${meta[idx[j]!]!.step}`);
  const pick = (a: ArrayLike<number>, k: number[]) => k.map((j) => a[idx[j]!]!);
  const size = idx.length > 2000 ? 3 : 5;
  const hovertemplate = "%{text}<br>x %{x:.4~g}<br>y %{y:.4~g}<extra></extra>";
  const all = idx.map((_, j) => j);
  let data: PlotTrace[];
  if (c.type === "categorical") {
    data = c.categories.map((cat) => {
      const k = all.filter((j) => c.values[j] === cat);
      return { type, mode: "markers", name: cat, x: pick(x, k), y: pick(y, k), text: text(k), hovertemplate, marker: { color: c.colors.get(cat), size, opacity: 0.7 } };
    });
  } else if (c.type === "continuous") {
    data = [{ type, mode: "markers", x: pick(x, all), y: pick(y, all), text: text(all), hovertemplate, showlegend: false,
      marker: { color: c.values, cmin: c.min, cmax: c.max, colorscale: CONTINUOUS_SCALE, size, opacity: 0.8, colorbar: { title: { text: fieldTitle(c.name), side: "right", font: font(13) }, thickness: 14, outlinewidth: 0, tickfont: font(11) } } }];
  } else {
    data = [{ type, mode: "markers", x: pick(x, all), y: pick(y, all), text: text(all), hovertemplate, showlegend: false, marker: { color: categoryColor(0), size, opacity: 0.6 } }];
  }
  let lo = Infinity, hi = -Infinity;
  for (const j of idx) for (const v of [x[j]!, y[j]!]) if (Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  if (options.diagonal && lo < hi) {
    data.push({ type: "scatter", mode: "lines", x: [lo, hi], y: [lo, hi], name: "y = x", line: { color: "#555555", width: 1.2, dash: "dash" }, hoverinfo: "skip", showlegend: true });
  }
  const equal = options.equalAxes ?? !!options.diagonal;
  const height = options.height ?? 460;
  const layout = baseLayout(options.title, {
    height,
    ...(options.width ? { width: options.width } : equal ? { width: height + 170 } : {}),
    xaxis: axis2d(options.xTitle ?? ""),
    yaxis: { ...axis2d(options.yTitle ?? ""), ...(equal ? { scaleanchor: "x", scaleratio: 1 } : {}) },
    showlegend: c.type === "categorical" || !!options.diagonal,
    // beside the plot for categories; inside the top-left corner when a colour bar takes the right side
    // (over the base legend: its constant-size symbols, not the 2–3 px markers of a dense scatter)
    legend: c.type === "continuous"
      ? { ...(baseLayout(undefined).legend as object), x: 0.02, y: 0.98, xanchor: "left", yanchor: "top", bgcolor: "rgba(255,255,255,0.8)" }
      : { ...(baseLayout(undefined).legend as object), x: 1.02, y: 1, xanchor: "left", yanchor: "top", title: { text: c.type === "categorical" ? fieldTitle(c.name) : "" } },
  });
  return new Figure("scatter", { data, layout, config: baseConfig("inpca-scatter", options.width ?? 700, height) });
}
