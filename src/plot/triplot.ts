/**
 * The static companion of Fig. 2: pairwise 2-D panels InPCA 1–2, 1–3 and 2–3 side by side, with the same
 * colouring, geodesic, endpoints and time-like (red) axes as the 3-D figure, each panel at equal scale.
 */
import { InpcaInputError } from "../core/errors.js";
import type { Embedding } from "../core/embedding.js";
import { checkAxes, embeddingColoring, embeddingParts, modelTraces, referenceTraces, type EmbeddingFigureOptions } from "./embedding-traces.js";
import { Figure } from "./figure.js";
import { axis2d, baseConfig, baseLayout, fieldTitle, inpcaAxisTitle } from "./style.js";
import type { PlotTrace } from "./types.js";

/** Options of `triplot`. */
export interface TriplotOptions extends EmbeddingFigureOptions {
  /** The axis pairs to draw, 0-based (default [[0,1],[0,2],[1,2]], fewer when the embedding has 2 axes). */
  pairs?: readonly (readonly [number, number])[];
  /** Equal scale on both axes of each panel (default true). */
  equalAspect?: boolean;
  /** Use WebGL (`scattergl`) for the model points: default above 2,000 points (SVG below: crisper exports). */
  webgl?: boolean;
}

/**
 * 2-D panels of an embedding (≥ 2 axes): for each pair (a, b) a panel with InPCA a+1 horizontally and InPCA
 * b+1 vertically; titles "InPCA k (time-like)" and axis lines in red for λ_k < 0. One legend (or one colour
 * bar) for all panels; clicking a legend entry hides that group in every panel.
 */
export function triplot(emb: Embedding, options: TriplotOptions = {}): Figure {
  const pairs = options.pairs ?? (emb.dims >= 3 ? [[0, 1], [0, 2], [1, 2]] as const : [[0, 1]] as const);
  if (emb.dims < 2) throw new InpcaInputError(`triplot: the embedding has ${emb.dims} axis; it needs at least 2`);
  if (pairs.length < 1 || pairs.length > 4) throw new InpcaInputError(`triplot: between 1 and 4 panels, got ${pairs.length}`);
  for (const p of pairs) checkAxes(emb, p, "triplot");
  const parts = embeddingParts(emb.meta);
  const color = embeddingColoring(emb, parts, options);
  const webgl = options.webgl ?? parts.models.length > 2000;
  const n = pairs.length;
  const gap = 0.07;
  const w = (1 - gap * (n - 1)) / n;
  const data: PlotTrace[] = [];
  const axes: Record<string, unknown> = {};
  pairs.forEach(([a, b], p) => {
    const sx = p === 0 ? "" : String(p + 1);
    const place = { kind: "2d", xaxis: `x${sx}`, yaxis: `y${sx}`, showlegend: p === 0, webgl } as const;
    data.push(...modelTraces(emb, [a, b], parts, color, options, place, p === n - 1));
    if (options.references !== false) data.push(...referenceTraces(emb, [a, b], parts, place));
    axes[`xaxis${sx}`] = { ...axis2d(inpcaAxisTitle(a, emb.timelike[a]!), { timelike: emb.timelike[a] }), domain: [p * (w + gap), p * (w + gap) + w], anchor: `y${sx}` };
    axes[`yaxis${sx}`] = {
      ...axis2d(inpcaAxisTitle(b, emb.timelike[b]!), { timelike: emb.timelike[b] }),
      anchor: `x${sx}`,
      ...(options.equalAspect === false ? {} : { scaleanchor: `x${sx}`, scaleratio: 1 }),
    };
  });
  // the legend goes below the panels' axis titles, in a bottom margin of its own (above them it covered the
  // first panel's top ticks); more rows for more entries
  const entries = data.filter((t) => t["showlegend"] !== false).length;
  const legendRows = Math.max(1, Math.ceil(entries / 7));
  const legendSpace = 28 * legendRows + 12;
  const height = (options.height ?? 420) + legendSpace;
  const top = options.title ? 50 : 20;
  const bottom = 55 + legendSpace;
  const legendTitle = color.type === "categorical" && color.name !== "value" ? fieldTitle(color.name) : "";
  const layout = baseLayout(options.title, {
    height,
    ...(options.width ? { width: options.width } : {}),
    ...axes,
    showlegend: true,
    // paper y is relative to the plot area: its top sits 50 px below the area, under the axis titles
    legend: { ...(baseLayout(undefined).legend as object), orientation: "h", x: 0, y: -50 / (height - top - bottom), xanchor: "left", yanchor: "top", title: { text: legendTitle } },
    margin: { l: 60, r: color.type === "continuous" ? 90 : 20, t: top, b: bottom },
    hovermode: "closest",
  });
  // the colour bar of a continuous field sits right of the last panel
  return new Figure("triplot", { data, layout, config: baseConfig("inpca-triplot", options.width ?? 1200, height) });
}
