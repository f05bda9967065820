/**
 * Traces of an embedding shared by `trajectories3d` (3-D scene) and `triplot` (2-D panels): model points
 * coloured by a field, per-run lines (decimated), the geodesic as a black line, ignorance and truth as large
 * red markers, and hover over the run's configuration.
 */
import { InpcaInputError } from "../core/errors.js";
import { field, type ModelPoint } from "../core/meta.js";
import type { Embedding } from "../core/embedding.js";
import { coloring, customData, decimate, groupRuns, hoverFields, hoverTemplate, hoverText, isReference, type Coloring, type ColoringOptions, type HoverField } from "./data.js";
import { CONTINUOUS_SCALE, GEODESIC_BLACK, TIMELIKE_RED, fieldTitle, font } from "./style.js";
import type { PlotTrace } from "./types.js";

/** Options shared by the embedding figures. */
export interface EmbeddingFigureOptions extends ColoringOptions {
  /** Colour points by a metadata field (`"arch"`, `"epoch"`, `"loss"`, ...) or by one value per point. */
  colorBy?: string | ArrayLike<number | string>;
  /** Figure title (default none). */
  title?: string;
  /**
   * A metadata or configuration field that sets some runs apart: points where it has a value (not undefined,
   * null, false or "") are drawn in a second style, dotted run lines and open markers, with a legend entry per
   * colour and value ("vit · untrained"); the rest as usual. `inpca report --all-runs` marks the runs it adds.
   */
  styleBy?: string;
  /** Draw each run as a line through its checkpoints in step order (default true). */
  lines?: boolean;
  /** Draw every point as a marker (default true). */
  markers?: boolean;
  /** Marker diameter in px (default 4, 2.5 above 5,000 points). */
  markerSize?: number;
  /** Run line width in px (default 2.5 in 3-D, 1.2 in 2-D); thinner lines keep many runs readable. */
  lineWidth?: number;
  /** Run line opacity in [0, 1] (default 1); below 1 the geodesic stays visible through dense runs. */
  lineOpacity?: number;
  /** At most this many vertices over all run lines (default 20,000): longer runs are decimated. */
  maxLinePoints?: number;
  /**
   * Hover: "full" (run, step, epoch, error, loss and configuration), "minimal" (run, step and the colour
   * field, as one short string per point: a third of the size), or false. Default full up to 10,000 points.
   */
  hover?: "full" | "minimal" | false;
  /** Further metadata fields to show on hover. */
  hoverFields?: readonly string[];
  /** Draw the geodesic and the points P0, P* when the embedding has them (default true). */
  references?: boolean;
  /** Width and height in px (default: the output's width, and 650 px for 3-D, 420 px for the triplot). */
  width?: number;
  /** Height in px. */
  height?: number;
}

/** Which rows are models, geodesic points and endpoints. */
export interface EmbeddingParts {
  models: number[];
  geodesic: number[];
  endpoints: { index: number; label: string }[];
}

/** Splits the rows of an embedding into model points, geodesic points (by λ) and the endpoints P0, P*. */
export function embeddingParts(meta: readonly ModelPoint[]): EmbeddingParts {
  const models: number[] = [];
  const geodesic: number[] = [];
  const endpoints: { index: number; label: string }[] = [];
  meta.forEach((m, i) => {
    if (!isReference(m)) models.push(i);
    else if (m.kind === "geodesic") geodesic.push(i);
    else endpoints.push({ index: i, label: m.kind === "ignorance" ? "P₀ (ignorance)" : "P* (truth)" });
  });
  geodesic.sort((a, b) => (meta[a]!.lambda ?? meta[a]!.step) - (meta[b]!.lambda ?? meta[b]!.step));
  // A geodesic from λ = 0 to λ = 1 starts at ignorance and ends at truth: mark its ends unless given separately.
  const has = (kind: string) => endpoints.some((e) => meta[e.index]!.kind === kind);
  const first = geodesic[0];
  const last = geodesic[geodesic.length - 1];
  if (first !== undefined && meta[first]!.lambda === 0 && !has("ignorance")) endpoints.push({ index: first, label: "P₀ (ignorance)" });
  if (last !== undefined && meta[last]!.lambda === 1 && !has("truth")) endpoints.push({ index: last, label: "P* (truth)" });
  return { models, geodesic, endpoints };
}

/** Checks that the requested axes exist and returns them. */
export function checkAxes(emb: Embedding, axes: readonly number[], what: string): void {
  for (const k of axes) {
    if (!(Number.isInteger(k) && k >= 0 && k < emb.dims)) throw new InpcaInputError(`${what}: axis ${k} does not exist (the embedding has ${emb.dims} axes, numbered from 0)`);
  }
}

/** A coordinate reader for `axes` of the embedding: cols[a][j] = coordinate of `indices[j]` on `axes[a]` (null for a gap). */
export function columns(emb: Embedding, axes: readonly number[], indices: readonly (number | null)[]): (number | null)[][] {
  return axes.map((k) => indices.map((i) => (i === null ? null : emb.coord(i, k))));
}

/** Hover fields of the model points for the chosen mode. */
export function modelHover(meta: readonly ModelPoint[], models: readonly number[], colorBy: EmbeddingFigureOptions["colorBy"], options: EmbeddingFigureOptions): HoverField[] | null {
  const mode = options.hover ?? (models.length > 10_000 ? "minimal" : "full");
  if (mode === false) return null;
  const extra = [...(typeof colorBy === "string" ? [colorBy] : []), ...(options.hoverFields ?? [])];
  if (mode === "minimal") {
    return hoverFields(meta, models, { extra, config: false }).filter((f) => ["run", "step", ...extra].includes(f.name));
  }
  return hoverFields(meta, models, { extra });
}

/** Where a trace is drawn: a 3-D scene, or the 2-D axes pair `xaxis`/`yaxis` ("x2", "y2", ...). */
export type Placement = { kind: "3d" } | { kind: "2d"; xaxis: string; yaxis: string; showlegend: boolean; webgl: boolean };

/**
 * The traces of the model points on `axes` (2 or 3 of them) with the given colouring: per category a marker
 * trace and a line trace (same legend group), or one marker trace with a colour scale (lines grey).
 */
export function modelTraces(emb: Embedding, axes: readonly number[], parts: EmbeddingParts, color: Coloring, options: EmbeddingFigureOptions, place: Placement, colorbar: boolean): PlotTrace[] {
  const meta = emb.meta;
  const models = parts.models;
  const fields = modelHover(meta, models, options.colorBy, options);
  const coordLines = axes.map((k, a) => `InPCA ${k + 1}: %{${["x", "y", "z"][a]}:.4~g}`);
  const template = fields ? hoverTemplate(fields, coordLines) : undefined;
  const compactHover = (options.hover ?? (models.length > 10_000 ? "minimal" : "full")) === "minimal";
  // many runs in 3-D: thin translucent lines and small markers (the paper draws its runs at opacity 0.25), so the
  // geodesic and P0/P* stay visible through the cloud
  // (in 2-D panels too: opaque lines let the architecture drawn last hide the others and the geodesic)
  const runCount = groupRuns(meta, models).length;
  const manyRuns = place.kind === "3d" && runCount > 12;
  const size = options.markerSize ?? (models.length > 5000 || manyRuns ? 2.5 : 4);
  const lineWidth = options.lineWidth ?? (place.kind === "3d" ? (manyRuns ? 1.5 : 2.5) : 1.2);
  const lineOpacity = options.lineOpacity ?? (manyRuns ? 0.35 : runCount > 12 ? 0.5 : undefined);
  const maxLine = options.maxLinePoints ?? 20_000;
  const traces: PlotTrace[] = [];
  const type = place.kind === "3d" ? "scatter3d" : place.webgl ? "scattergl" : "scatter";
  const where = place.kind === "3d" ? {} : { xaxis: place.xaxis, yaxis: place.yaxis };
  const legend = place.kind === "3d" ? true : place.showlegend;
  const coordKeys = ["x", "y", "z"] as const;
  const setCoords = (trace: PlotTrace, idx: readonly (number | null)[]) => {
    columns(emb, axes, idx).forEach((col, a) => { trace[coordKeys[a]!] = col; });
  };
  // every run gets the same share of the vertex budget
  const per = Math.max(2, Math.floor(maxLine / Math.max(1, runCount)));
  const lineIndices = (members: readonly number[]): (number | null)[] => {
    const runs = groupRuns(meta, members);
    const out: (number | null)[] = [];
    for (const r of runs) {
      if (r.length < 2) continue;
      if (out.length) out.push(null);
      out.push(...decimate(r, per));
    }
    return out;
  };
  // the second style of `styleBy`: each point's value, or null for the usual style
  const styleOf = (i: number): string | null => {
    if (!options.styleBy) return null;
    const v = field(meta[i]!, options.styleBy);
    return v === undefined || v === null || v === false || v === "" ? null : String(v);
  };
  // averaged trajectories (points of kind "average", as `average` writes them): drawn bold over the runs, the
  // paper's per-configuration means
  const isMean = (i: number) => meta[i]!.kind === "average";
  const addGroup = (every: number[], name0: string, colorSpec0: Record<string, unknown>, lineColor: string, group0: string, showInLegend: boolean) => {
    const means = every.filter(isMean);
    const all = means.length ? every.filter((i) => !isMean(i)) : every;
    // "(mean)" only tells a mean from its category's runs: a category of means alone keeps its name
    if (means.length) addMean(means, all.length ? `${name0} (mean)` : name0, lineColor === "#b4b4b4" ? "#444444" : lineColor, group0);
    if (all.length === 0) return;
    const styles = [...new Set(all.map(styleOf))].sort((a, b) => (a === null ? -1 : b === null ? 1 : a < b ? -1 : a > b ? 1 : 0));
    // per-point colours (a continuous field) line up with `every`: they follow their points into each trace
    let at: Map<number, number> | null = null;
    let scaleShown = false;
    for (const style of styles) {
      const members = styles.length === 1 ? all : all.filter((i) => styleOf(i) === style);
      const name = style === null ? name0 : `${name0} · ${style}`;
      const group = style === null ? group0 : `${group0}|${style}`;
      let colorSpec = colorSpec0;
      if (typeof colorSpec0["color"] !== "string" && members.length !== every.length) {
        at ??= new Map(every.map((i, j) => [i, j]));
        const position = at;
        colorSpec = { ...colorSpec0, color: members.map((i) => (colorSpec0["color"] as ArrayLike<unknown>)[position.get(i)!]) };
      }
      // one colour bar, on the first trace drawn
      if (colorSpec["showscale"]) {
        if (scaleShown) colorSpec = { ...colorSpec, showscale: false, colorbar: undefined };
        scaleShown = true;
      }
      addStyled(members, name, colorSpec, lineColor, group, showInLegend, style !== null);
    }
  };
  const addMean = (members: number[], name: string, color: string, group: string) => {
    const idx = lineIndices(members);
    const t: PlotTrace = { type, mode: idx.length ? "lines+markers" : "markers", name, legendgroup: group, showlegend: legend, line: { color, width: place.kind === "3d" ? 7 : 3.5 }, marker: { color, size: place.kind === "3d" ? 3 : 4, line: { width: 0 } }, opacity: 1, connectgaps: false, ...where };
    setCoords(t, idx.length ? idx : members);
    if (fields && template) {
      const rows = idx.length ? idx : members;
      t["customdata"] = rows.map((i) => (i === null ? null : customData(meta, [i], fields)[0]));
      t["hovertemplate"] = template;
    } else t["hoverinfo"] = "skip";
    means.push(t);
  };
  const means: PlotTrace[] = [];
  const addStyled = (members: number[], name: string, colorSpec: Record<string, unknown>, lineColor: string, group: string, showInLegend: boolean, second: boolean) => {
    if (options.lines !== false) {
      const idx = lineIndices(members);
      if (idx.length) {
        const t: PlotTrace = { type, mode: "lines", name, legendgroup: group, showlegend: options.markers === false && showInLegend && legend, hoverinfo: "skip", line: { color: lineColor, width: second ? Math.max(1, lineWidth * 0.8) : lineWidth, ...(second ? { dash: "dot" } : {}) }, ...(lineOpacity !== undefined || second ? { opacity: second ? Math.min(lineOpacity ?? 0.6, 0.6) : lineOpacity } : {}), connectgaps: false, ...where };
        setCoords(t, idx);
        traces.push(t);
      }
    }
    if (options.markers !== false) {
      const t: PlotTrace = { type, mode: "markers", name, legendgroup: group, showlegend: showInLegend && legend, marker: { size: second ? size + 1 : size, ...colorSpec, ...(second ? { symbol: "circle-open", line: { width: 1 } } : { line: { width: 0 } }), ...(manyRuns || second ? { opacity: second ? 0.5 : 0.6 } : {}) }, ...where };
      setCoords(t, members);
      if (fields && template && compactHover) {
        // large inputs: one string per point is far smaller than nested customdata rows in a notebook file
        t["text"] = hoverText(meta, members, fields);
        t["hovertemplate"] = `%{text}<br>${coordLines.join("<br>")}<extra></extra>`;
      } else if (fields && template) {
        t["customdata"] = customData(meta, members, fields);
        t["hovertemplate"] = template;
      } else t["hoverinfo"] = "skip";
      traces.push(t);
    }
  };
  if (color.type === "categorical") {
    for (const cat of color.categories) {
      const members = models.filter((_, j) => color.values[j] === cat);
      const c = color.colors.get(cat)!;
      addGroup(members, cat, { color: c }, c, `${color.name}=${cat}`, true);
    }
  } else if (color.type === "continuous") {
    const colorSpec: Record<string, unknown> = {
      color: color.values, colorscale: CONTINUOUS_SCALE, cmin: color.min, cmax: color.max, showscale: colorbar,
      ...(colorbar ? { colorbar: { title: { text: fieldTitle(color.name), font: font(13), side: "right" }, thickness: 14, len: 0.6, outlinewidth: 0, tickfont: font(11) } } : {}),
    };
    addGroup(models, fieldTitle(color.name), colorSpec, "#b4b4b4", "models", false);
  } else {
    addGroup(models, "models", { color: "#1f77b4" }, "#1f77b4", "models", false);
  }
  // the means last, so that in 2-D they are drawn on top of the runs
  return [...traces, ...means];
}

/** The geodesic (black line) and the endpoints P0, P* (large red markers with labels) on `axes`. */
export function referenceTraces(emb: Embedding, axes: readonly number[], parts: EmbeddingParts, place: Placement): PlotTrace[] {
  const traces: PlotTrace[] = [];
  const type = place.kind === "3d" ? "scatter3d" : place.webgl ? "scattergl" : "scatter";
  const where = place.kind === "3d" ? {} : { xaxis: place.xaxis, yaxis: place.yaxis };
  const legend = place.kind === "3d" ? true : place.showlegend;
  const coordKeys = ["x", "y", "z"] as const;
  if (parts.geodesic.length >= 2) {
    const t: PlotTrace = {
      type, mode: "lines", name: "geodesic P₀ → P*", legendgroup: "geodesic", showlegend: legend,
      line: { color: GEODESIC_BLACK, width: place.kind === "3d" ? 6 : 2.5 },
      customdata: parts.geodesic.map((i) => emb.meta[i]!.lambda ?? null),
      hovertemplate: "geodesic<br>λ = %{customdata:.3f}<extra></extra>",
      ...where,
    };
    columns(emb, axes, parts.geodesic).forEach((col, a) => { t[coordKeys[a]!] = col; });
    traces.push(t);
  }
  if (parts.endpoints.length) {
    const idx = parts.endpoints.map((e) => e.index);
    const text = parts.endpoints.map((e) => e.label.split(" ")[0]!);
    const t: PlotTrace = {
      // in a WebGL panel the endpoints are WebGL too: the GL canvas lies above the SVG layer and would hide them
      // in 3-D the labels are scene annotations instead (endpointAnnotations): drawn over the WebGL scene, the
      // cloud of checkpoints cannot hide them
      type: place.kind === "3d" ? "scatter3d" : place.webgl ? "scattergl" : "scatter", mode: place.kind === "3d" ? "markers" : "markers+text", name: "P₀ ignorance, P* truth", legendgroup: "endpoints", showlegend: legend,
      marker: { color: TIMELIKE_RED, size: place.kind === "3d" ? 12 : 11, line: { color: "#ffffff", width: 1.5 } },
      text, ...(place.kind === "3d" ? {} : { textposition: labelSides(emb, axes, idx), textfont: font(14, TIMELIKE_RED) }),
      customdata: parts.endpoints.map((e) => e.label),
      hovertemplate: "%{customdata}<extra></extra>",
      ...where,
    };
    columns(emb, axes, idx).forEach((col, a) => { t[coordKeys[a]!] = col; });
    traces.push(t);
  }
  return traces;
}

/**
 * The labels of P₀ and P* in a 3-D scene, as `scene.annotations`: SVG drawn over the WebGL scene (so no checkpoint
 * hides them), with a short arrow to the marker, on a translucent white ground.
 */
export function endpointAnnotations(emb: Embedding, axes: readonly number[], parts: EmbeddingParts): Record<string, unknown>[] {
  return parts.endpoints.map((e) => ({
    x: emb.coord(e.index, axes[0]!), y: emb.coord(e.index, axes[1]!), z: emb.coord(e.index, axes[2]!),
    text: e.label.split(" ")[0]!, showarrow: true, arrowhead: 0, arrowwidth: 1.5, arrowcolor: TIMELIKE_RED, ax: 0, ay: -30,
    font: font(16, TIMELIKE_RED), bgcolor: "rgba(255,255,255,0.75)", borderpad: 2,
  }));
}

/**
 * Text positions of the endpoint labels in a 2-D panel: above their markers, unless the two endpoints project
 * within 12 % of the points' spread of each other, where the lower one's label goes below it, so that P₀ and P*
 * never print over each other.
 */
function labelSides(emb: Embedding, axes: readonly number[], idx: readonly number[]): string[] | string {
  if (idx.length !== 2) return "top center";
  const span = axes.slice(0, 2).map((k) => {
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < emb.points; i++) {
      const v = emb.coord(i, k);
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    return hi - lo || 1;
  });
  const [a, b] = idx as [number, number];
  const dx = (emb.coord(b, axes[0]!) - emb.coord(a, axes[0]!)) / span[0]!;
  const dy = (emb.coord(b, axes[1]!) - emb.coord(a, axes[1]!)) / span[1]!;
  // apart: both above their markers, as in the paper's figures; close together: one above, one below
  if (Math.hypot(dx, dy) > 0.12) return "top center";
  return dy >= 0 ? ["bottom center", "top center"] : ["top center", "bottom center"];
}

/** Colouring of the model points of an embedding from the options. */
export function embeddingColoring(emb: Embedding, parts: EmbeddingParts, options: EmbeddingFigureOptions): Coloring {
  return coloring(emb.meta, parts.models, options.colorBy, options);
}
