/**
 * Plain Plotly specification types: just enough structure for the builders and the display edge. A spec is
 * JSON (numbers, strings, arrays, objects) so it can travel as `application/vnd.plotly.v1+json`.
 */

/** One Plotly trace (`type` is "scatter3d", "scattergl", "scatter", "heatmap", "bar", "box", ...). */
export interface PlotTrace {
  /** Plotly trace type ("scatter3d", "scattergl", "heatmap", ...). */
  type: string;
  [key: string]: unknown;
}

/** A Plotly layout object (axes, scene, legend, annotations, ...). */
export type PlotLayout = Record<string, unknown>;

/** A Plotly config object (modebar, responsiveness, image export options). */
export type PlotConfig = Record<string, unknown>;

/** The JSON form of a figure, as Plotly's `newPlot(div, data, layout, config)` takes it. */
export interface PlotSpec {
  /** Plotly traces. */
  data: PlotTrace[];
  /** Plotly layout. */
  layout: PlotLayout;
  /** Plotly config. */
  config?: PlotConfig;
}
