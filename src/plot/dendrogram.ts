/**
 * Dendrogram of configurations (docs/methods.md §8): complete-linkage clustering of a trajectory-distance matrix,
 * leaves coloured by a field, with the configuration columns printed beside the leaves.
 */
import type { DistanceMatrix } from "../core/distance-matrix.js";
import { InpcaInputError } from "../core/errors.js";
import { field } from "../core/meta.js";
import { coloring, type ColoringOptions } from "./data.js";
import { Figure } from "./figure.js";
import { completeLinkage, leafOrder, type Linkage } from "../geometry/linkage.js";
import { AXIS_COLOR, axis2d, baseConfig, baseLayout, fieldTitle, font } from "./style.js";
import type { PlotTrace } from "./types.js";

/** Options of `dendrogram`. */
export interface DendrogramOptions extends ColoringOptions {
  /** Leaf labels: one string per row, or a metadata field name (default: the row's `run`). */
  labels?: readonly string[] | string;
  /** Colour leaf markers by a metadata field (e.g. "arch"). */
  colorBy?: string;
  /** Configuration fields printed as columns beside the leaves (default: every config field, at most 6). */
  columns?: readonly string[];
  /** Title of the height axis (default "complete-linkage distance"). */
  heightTitle?: string;
  /** A linkage computed elsewhere (default: `completeLinkage(distances)`). */
  linkage?: Linkage;
  /** Figure title. */
  title?: string;
  /** Width in px. */
  width?: number;
  /** Height in px (default 22 px per leaf + margins, at least 300). */
  height?: number;
}

/**
 * Complete-linkage dendrogram of the n rows of a square distance matrix (for example trajectory distances
 * between configurations, nats per sample). Leaves run top to bottom in SciPy's dendrogram order, merge
 * heights horizontally; leaves are marked in the colour of `colorBy`; `columns` lists configuration values.
 */
export function dendrogram(distances: DistanceMatrix, options: DendrogramOptions = {}): Figure {
  if (distances.rows !== distances.cols) throw new InpcaInputError(`dendrogram: the distance matrix must be square, got ${distances.rows}×${distances.cols}`);
  const n = distances.rows;
  const meta = distances.rowMeta;
  const link = options.linkage ?? completeLinkage(distances);
  if (link.leaves !== n) throw new InpcaInputError(`dendrogram: the linkage has ${link.leaves} leaves for ${n} rows`);
  const labels = Array.isArray(options.labels)
    ? (options.labels as readonly string[])
    : meta.map((m) => (typeof options.labels === "string" ? String(field(m, options.labels) ?? "") : m.run));
  if (labels.length !== n) throw new InpcaInputError(`dendrogram: ${labels.length} labels for ${n} rows`);
  const leaves = leafOrder(link);
  const pos = new Float64Array(2 * n - 1);
  const height = new Float64Array(2 * n - 1);
  leaves.forEach((leaf, k) => { pos[leaf] = k; });
  const lx: (number | null)[] = [];
  const ly: (number | null)[] = [];
  link.merges.forEach((m, i) => {
    const c = n + i;
    pos[c] = (pos[m.a]! + pos[m.b]!) / 2;
    height[c] = m.height;
    lx.push(height[m.a]!, m.height, m.height, height[m.b]!, null);
    ly.push(pos[m.a]!, pos[m.a]!, pos[m.b]!, pos[m.b]!, null);
  });
  const columns = options.columns ?? (() => {
    const keys: string[] = [];
    for (const m of meta) for (const k of Object.keys(m.config ?? {})) if (!keys.includes(k) && k !== "seed") keys.push(k);
    return keys.slice(0, 6);
  })();
  const tableStart = columns.length ? Math.max(0.55, 1 - 0.075 * columns.length) : 1;
  const data: PlotTrace[] = [{
    type: "scatter", mode: "lines", name: "merges", showlegend: false, x: lx, y: ly,
    line: { color: AXIS_COLOR, width: 1.4 }, hoverinfo: "skip", xaxis: "x", yaxis: "y",
  }];
  // colours follow the rows' natural order, as in every other figure of the same runs
  const natural = coloring(meta, meta.map((_, i) => i), options.colorBy, { ...options, colorType: "categorical" });
  const color = natural.type === "categorical" ? { ...natural, values: leaves.map((l) => natural.values[l]!) } : natural;
  const leafY = leaves.map((l) => pos[l]!);
  const hover = leaves.map((l) => [labels[l]!, ...columns.map((c) => String(field(meta[l]!, c) ?? ""))]);
  const template = `%{customdata[0]}${columns.map((c, k) => `<br>${c}: %{customdata[${k + 1}]}`).join("")}<extra></extra>`;
  if (color.type === "categorical") {
    for (const cat of color.categories) {
      const js = leaves.map((_, j) => j).filter((j) => color.values[j] === cat);
      const c = color.colors.get(cat)!;
      data.push({ type: "scatter", mode: "markers", name: cat, x: js.map(() => 0), y: js.map((j) => leafY[j]!), customdata: js.map((j) => hover[j]), hovertemplate: template, marker: { color: c, size: 10, symbol: "circle", line: { color: "#ffffff", width: 1 } }, xaxis: "x", yaxis: "y", cliponaxis: false });
    }
  } else {
    data.push({ type: "scatter", mode: "markers", name: "leaves", showlegend: false, x: leaves.map(() => 0), y: leafY, customdata: hover, hovertemplate: template, marker: { color: AXIS_COLOR, size: 6 }, xaxis: "x", yaxis: "y", cliponaxis: false });
  }
  columns.forEach((col) => {
    const colColor = col === options.colorBy && color.type === "categorical" ? leaves.map((_, j) => color.colors.get(color.values[j]!)!) : AXIS_COLOR;
    data.push({
      type: "scatter", mode: "text", name: col, showlegend: false, x: leaves.map(() => fieldTitle(col)), y: leafY,
      text: leaves.map((l) => { const v = field(meta[l]!, col); return v === undefined || v === null ? "" : String(v); }),
      textfont: { ...font(12), color: colColor }, hoverinfo: "skip", xaxis: "x2", yaxis: "y", cliponaxis: false,
    });
  });
  const maxH = link.merges.length ? link.merges[link.merges.length - 1]!.height : 1;
  const figHeight = options.height ?? Math.max(300, 22 * n + 110);
  const yaxis = {
    ...axis2d(""), showline: false, ticks: "", mirror: false,
    tickmode: "array", tickvals: leafY, ticktext: leaves.map((l) => labels[l]!), range: [n - 0.5, -0.5], zeroline: false,
  };
  const layout = baseLayout(options.title, {
    height: figHeight,
    ...(options.width ? { width: options.width } : {}),
    xaxis: { ...axis2d(options.heightTitle ?? "complete-linkage distance"), mirror: false, domain: [0, tableStart - 0.03], range: [-0.03 * maxH, maxH * 1.04], anchor: "y" },
    yaxis,
    ...(columns.length ? { xaxis2: { domain: [tableStart, 1], side: "top", showline: false, ticks: "", tickfont: font(12), anchor: "y", type: "category", fixedrange: true, showgrid: false, zeroline: false } } : {}),
    showlegend: color.type === "categorical",
    legend: { ...(baseLayout(undefined).legend as object), orientation: "h", x: 0, y: -0.08 - 40 / figHeight, xanchor: "left", yanchor: "top", title: { text: options.colorBy ? fieldTitle(options.colorBy) : "" } },
    margin: { l: 20, r: 20, t: options.title ? 70 : 40, b: 90 },
    hovermode: "closest",
  });
  return new Figure("dendrogram", { data, layout, config: baseConfig("inpca-dendrogram", options.width ?? 900, figHeight) });
}
