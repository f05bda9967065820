/**
 * Figure builders (pure: data in, a Plotly `Figure` out) for every kind of plot in the paper, and the
 * helpers they share. Display and files: `show` and `save` in display.ts (re-exported at the top level).
 */
export { Figure, PLOTLY_MIME, mimeBundle, asFigure, type MimeBundle } from "./figure.js";
export type { PlotSpec, PlotTrace, PlotLayout, PlotConfig } from "./types.js";
export { trajectories3d, CAMERAS, type Trajectories3dOptions, type Camera, type SceneVector } from "./trajectories3d.js";
export { triplot, type TriplotOptions } from "./triplot.js";
export { type EmbeddingFigureOptions } from "./embedding-traces.js";
export { explainedStress, ES_ANNOTATED_K, type ExplainedStressOptions, type StressSource } from "./explained-stress.js";
export { progressCurves, distanceToGeodesic, tubeWidth, type CurveOptions, type ProgressCurveOptions, type AgainstProgressOptions } from "./curves.js";
export { dendrogram, type DendrogramOptions } from "./dendrogram.js";
export { heatmap, bar, box, scatter, type HeatmapOptions, type BarOptions, type BoxOptions, type ScatterOptions } from "./charts.js";
export { coloring, decimate, groupRuns, type Coloring, type ColoringOptions, type MetaSource } from "./data.js";
export { CATEGORY_COLORS, VALUE_COLORS, CONTINUOUS_SCALE, TIMELIKE_RED, GEODESIC_BLACK, FONT_FAMILY, categoryColor, colorOf, setColors, inpcaAxisTitle, fieldTitle } from "./style.js";
export { outputHtml, standaloneHtml, specJson, type OutputHtmlOptions } from "./html.js";
export { show, save, figureOf, displayBundle, findKernelWriter, chromiumPath, CHROMIUM_ARGS, type Showable, type ShowOptions, type SaveOptions, type DisplayWriter, type DisplayContent } from "./display.js";
