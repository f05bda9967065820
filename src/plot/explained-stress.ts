/**
 * Explained stress and the eigenvalue ladder (docs/methods.md §4): ES(k) against the number of dimensions k, with
 * ES annotated at k = 1, 3, 10, 20, 50, beside |λ_k| on a log axis with negative (time-like) eigenvalues red.
 */
import { InpcaInputError } from "../core/errors.js";
import type { Embedding } from "../core/embedding.js";
import { Figure } from "./figure.js";
import { AXIS_COLOR, TIMELIKE_RED, axis2d, baseConfig, baseLayout, font } from "./style.js";
import type { PlotTrace } from "./types.js";

/** The k at which the authors annotate explained stress. */
export const ES_ANNOTATED_K: readonly number[] = [1, 3, 10, 20, 50];

/** What `explainedStress` needs: an Embedding, or the signed spectrum and ES values directly. */
export type StressSource = Embedding | {
  /** Signed eigenvalues, ordered by |λ|. */
  spectrum: ArrayLike<number>;
  /** ES(k) for k = 1..spectrum.length. */
  explainedStress: ArrayLike<number>;
  /** Axes kept (marked on the figure). */
  dims?: number;
};

/** Options of `explainedStress`. */
export interface ExplainedStressOptions {
  /** Figure title. */
  title?: string;
  /** k values to annotate (default 1, 3, 10, 20, 50; those beyond the spectrum are skipped). */
  annotate?: readonly number[];
  /** Logarithmic k axis (default: when more than 10 eigenvalues). */
  logK?: boolean;
  /**
   * The ladder shows eigenvalues with |λ_k| ≥ floor · |λ_1| (default 1e-8); smaller ones are rounding noise of a
   * small set (down to 1e-17), which would crush the scale: they are left out and counted in a note.
   */
  floor?: number;
  /** Width in px. */
  width?: number;
  /** Height in px. */
  height?: number;
}

/**
 * Two panels: left, ES(k) = 1 - sqrt(1 - Σ_{i≤k} λ_i² / ‖W‖_F²) for k = 1..K (line and markers, the kept axes
 * filled) with the annotations; right, the eigenvalue ladder |λ_k| (log axis) with λ > 0 black and λ < 0 red.
 * Values come from `emb.spectrum` and `emb.explainedStress` (K = their length, 50 by default in `inpca`).
 */
export function explainedStress(source: StressSource, options: ExplainedStressOptions = {}): Figure {
  const spectrum = Array.from(source.spectrum);
  const es = Array.from(source.explainedStress);
  if (!spectrum.length || es.length !== spectrum.length) throw new InpcaInputError(`explainedStress: ${spectrum.length} eigenvalues and ${es.length} explained-stress values`);
  const K = spectrum.length;
  const dims = source.dims ?? 0;
  const ks = spectrum.map((_, j) => j + 1);
  const logK = options.logK ?? K > 10;
  const data: PlotTrace[] = [
    {
      type: "scatter", mode: "lines+markers", name: "explained stress", showlegend: false, x: ks, y: es,
      line: { color: AXIS_COLOR, width: 1.5 },
      marker: { size: 6, color: ks.map((k) => (k <= dims ? AXIS_COLOR : "#ffffff")), line: { color: AXIS_COLOR, width: 1.2 } },
      hovertemplate: "k = %{x}<br>ES(k) = %{y:.4f}<extra></extra>", xaxis: "x", yaxis: "y",
    },
  ];
  const floor = (options.floor ?? 1e-8) * Math.abs(spectrum[0] ?? 0);
  const shown = (l: number) => Math.abs(l) >= floor && Math.abs(l) > 0;
  const cut = spectrum.filter((l) => !shown(l)).length;
  const pos = spectrum.map((l, j) => (l >= 0 && shown(l) ? j : -1)).filter((j) => j >= 0);
  const neg = spectrum.map((l, j) => (l < 0 && shown(l) ? j : -1)).filter((j) => j >= 0);
  const ladder = (idx: number[], name: string, color: string): PlotTrace => ({
    type: "scatter", mode: "markers", name, x: idx.map((j) => j + 1), y: idx.map((j) => Math.abs(spectrum[j]!)),
    customdata: idx.map((j) => spectrum[j]!),
    marker: { symbol: "line-ew-open", size: 14, color, line: { color, width: 2.5 } },
    hovertemplate: "k = %{x}<br>λ = %{customdata:.4~g}<extra></extra>", xaxis: "x2", yaxis: "y2",
  });
  data.push(ladder(pos, "λ > 0", AXIS_COLOR));
  if (neg.length) data.push(ladder(neg, "λ < 0 (time-like)", TIMELIKE_RED));
  // labels below the curve (ES rises toward 1), further down for larger k so they never collide
  const span = logK ? [Math.log10(0.8), Math.log10(K * 1.25)] : [0.5, K + 0.5];
  const annotations = (options.annotate ?? ES_ANNOTATED_K).filter((k) => k >= 1 && k <= K).map((k, a) => {
    const x = logK ? Math.log10(k) : k;
    const right = (x - span[0]!) / (span[1]! - span[0]!) > 0.6;
    return {
      x, y: es[k - 1], xref: "x", yref: "y",
      text: `ES(${k}) = ${es[k - 1]!.toFixed(3)}`,
      showarrow: true, arrowhead: 0, arrowwidth: 1, arrowcolor: "#777777",
      ax: right ? -12 : 14, ay: 30 + 28 * a, xanchor: right ? "right" : "left", yanchor: "middle",
      font: font(11), bgcolor: "rgba(255,255,255,0.85)",
    };
  });
  if (cut > 0) {
    annotations.push({
      x: 1, y: 0, xref: "x2 domain", yref: "y2 domain", text: `${cut} eigenvalue${cut === 1 ? "" : "s"} below ${(options.floor ?? 1e-8).toExponential(0)}·|λ<sub>1</sub>| not shown`,
      showarrow: false, arrowhead: 0, arrowwidth: 0, arrowcolor: "#777777", ax: 0, ay: 0, xanchor: "right", yanchor: "bottom",
      font: font(10, "#666666"), bgcolor: "rgba(255,255,255,0.85)",
    } as (typeof annotations)[number]);
  }
  const kTicks = logK ? { tickmode: "array", tickvals: [1, 2, 5, 10, 20, 50, 100, 200, 500].filter((k) => k <= K * 1.25) } : {};
  const height = options.height ?? 380;
  const layout = baseLayout(options.title, {
    height,
    ...(options.width ? { width: options.width } : {}),
    xaxis: { ...axis2d("number of dimensions k", { log: logK, grid: false }), domain: [0, 0.44], anchor: "y", range: span, ...kTicks },
    yaxis: { ...axis2d("explained stress ES(k)"), range: [0, 1.05], anchor: "x" },
    xaxis2: { ...axis2d("eigenvalue index k", { log: logK, grid: false }), domain: [0.56, 1], anchor: "y2", range: span, ...kTicks },
    yaxis2: { ...axis2d("|λ<sub>k</sub>|", { log: true }), anchor: "x2", exponentformat: "power", dtick: 1 },
    annotations,
    showlegend: true,
    legend: { ...(baseLayout(undefined).legend as object), x: 0.99, y: 0.99, xanchor: "right", yanchor: "top" },
    margin: { l: 60, r: 20, t: options.title ? 50 : 20, b: 55 },
  });
  return new Figure("explainedStress", { data, layout, config: baseConfig("inpca-explained-stress", options.width ?? 1000, height) });
}
