/**
 * Shared look of every figure: fonts, colours, axis titles in the paper's terms, time-like axes in red,
 * the base layout and config. Pure constants and functions.
 */
import type { PlotConfig, PlotLayout } from "./types.js";

/** Font stack of all figures (a sans-serif close to the journal's; DejaVu Sans on a bare Debian). */
export const FONT_FAMILY = "Helvetica Neue, Helvetica, Arial, Liberation Sans, DejaVu Sans, sans-serif";

/** Base font size in px (axis titles +1, titles +3). */
export const FONT_SIZE = 13;

/** The colour the authors use for time-like (λ < 0) axes, negative eigenvalues and the endpoints P0, P*. */
export const TIMELIKE_RED = "#d62728";

/** Colour of the ignorance→truth geodesic. */
export const GEODESIC_BLACK = "#000000";

/** Axis lines, ticks and text of ordinary (space-like) axes. */
export const AXIS_COLOR = "#222222";

/** Light grid lines (3-D scenes and log axes). */
export const GRID_COLOR = "#e6e6e6";

/**
 * Categorical palette: Tableau 10 without its red (red means time-like here), then five strong colours of
 * other hues and depths (the first nine are the zoo's architectures and optimizers, `VALUE_COLORS`, so these are
 * what a figure coloured by any other field gets first: pale colours there left the corner runs of notebook 08
 * barely visible on white; they start with the hue farthest from the blue of `mlp`, so a user's `mlp` beside an
 * architecture of their own naming, such as `cnn`, is blue beside mustard, not blue beside navy), then the lighter Tableau 20 companions, so up to 23 categories get distinct colours;
 * beyond that the list repeats.
 */
export const CATEGORY_COLORS: readonly string[] = [
  "#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f",
  "#e6ab02", "#1b9e77", "#7b4173", "#637939", "#393b79",
  "#aec7e8", "#ffbb78", "#98df8a", "#c5b0d5", "#c49c94", "#f7b6d2", "#9edae5", "#dbdb8d", "#c7c7c7",
];

/** Colour scale of continuous fields (epoch, loss, error, progress): perceptually uniform, colour-blind safe. */
export const CONTINUOUS_SCALE = "Viridis";

/** Colour of category `k` (0-based) of the categorical palette. */
export function categoryColor(k: number): string {
  return CATEGORY_COLORS[((k % CATEGORY_COLORS.length) + CATEGORY_COLORS.length) % CATEGORY_COLORS.length]!;
}

/**
 * Fixed colours of the values every notebook draws (the zoo's architectures and optimizers), so that a value has
 * one colour in every figure of every notebook and of `inpca report`, whatever else a figure shows.
 */
export const VALUE_COLORS: Readonly<Record<string, string>> = {
  mlp: CATEGORY_COLORS[0]!, allcnn: CATEGORY_COLORS[1]!, "wrn-s": CATEGORY_COLORS[2]!, "wrn-l": CATEGORY_COLORS[3]!,
  convmixer: CATEGORY_COLORS[4]!, vit: CATEGORY_COLORS[5]!,
  nesterov: CATEGORY_COLORS[6]!, adam: CATEGORY_COLORS[7]!, sgd: CATEGORY_COLORS[8]!,
  "n/a": "#b0b0b0",
};

const assigned = new Map<string, string>();
const overrides = new Map<string, string>();

/**
 * The colour of a category value, the same in every figure: the user's choice (`setColors`), else the fixed
 * colour of a known value (`VALUE_COLORS`), else the colour this process first gave the value (values met later
 * get the palette colours not yet taken, in order).
 */
export function colorOf(value: string): string {
  const own = overrides.get(value) ?? VALUE_COLORS[value] ?? assigned.get(value);
  if (own) return own;
  const taken = new Set([...Object.values(VALUE_COLORS), ...assigned.values()]);
  const free = CATEGORY_COLORS.find((c) => !taken.has(c)) ?? categoryColor(assigned.size);
  assigned.set(value, free);
  return free;
}

/**
 * Sets the colour of category values once for every later figure, e.g. `ip.plot.setColors({ vit: "#000" })`;
 * `null` restores a value's default. Returns the colours now in force for the values given.
 */
export function setColors(colors: Readonly<Record<string, string | null>>): Record<string, string> {
  for (const [value, color] of Object.entries(colors)) {
    if (color === null) overrides.delete(value);
    else overrides.set(value, color);
  }
  return Object.fromEntries(Object.keys(colors).map((v) => [v, colorOf(v)]));
}

/** `rgba(r,g,b,alpha)` of a `#rrggbb` colour (for translucent bands). */
export function withAlpha(hex: string, alpha: number): string {
  const h = hex.replace("#", "");
  const n = parseInt(h.length === 3 ? h.split("").map((c) => c + c).join("") : h, 16);
  return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${alpha})`;
}

/**
 * Title of InPCA axis k (0-based) in the paper's terms: "InPCA 1", or "InPCA 1 (time-like)" when λ_k < 0.
 */
export function inpcaAxisTitle(k: number, timelike: boolean): string {
  return `InPCA ${k + 1}${timelike ? " (time-like)" : ""}`;
}

/** Human titles of common metadata fields, used for axis titles, legends and colour bars. */
const FIELD_TITLES: Record<string, string> = {
  epoch: "epoch",
  step: "step",
  error: "error",
  loss: "loss (nats)",
  trainError: "train error",
  testError: "test error",
  trainLoss: "train loss (nats)",
  testLoss: "test loss (nats)",
  lambda: "progress λ",
  progress: "progress λ*",
  arch: "architecture",
  optimizer: "optimizer",
  bs: "batch size",
  batchSize: "batch size",
  lr: "learning rate",
  wd: "weight decay",
  weightDecay: "weight decay",
  aug: "augmentation",
  augmentation: "augmentation",
  seed: "seed",
  run: "run",
};

/** A readable title for a metadata field name (`"trainLoss"` → `"train loss (nats)"`; unknown names as given). */
export function fieldTitle(name: string): string {
  return FIELD_TITLES[name] ?? FIELD_TITLES[name.replace(/^config\./, "")] ?? name.replace(/^config\./, "");
}

/** Font object of the given size (default the base size) and colour. */
export function font(size = FONT_SIZE, color = AXIS_COLOR): Record<string, unknown> {
  return { family: FONT_FAMILY, size, color };
}

/**
 * A publication-style 2-D axis: black line on both sides (mirror), outside ticks, no grid (a light grid on
 * log axes), the title in the axis font. `timelike` draws the line, ticks, labels and title in red.
 */
export function axis2d(title: string, options: { timelike?: boolean; log?: boolean; grid?: boolean; zeroline?: boolean } = {}): Record<string, unknown> {
  const color = options.timelike ? TIMELIKE_RED : AXIS_COLOR;
  return {
    title: { text: title, font: font(FONT_SIZE + 1, color), standoff: 8 },
    type: options.log ? "log" : "linear",
    showline: true,
    linecolor: color,
    linewidth: options.timelike ? 2 : 1,
    mirror: true,
    ticks: "outside",
    tickcolor: color,
    ticklen: 4,
    tickfont: font(FONT_SIZE - 1, color),
    showgrid: options.grid ?? options.log ?? false,
    gridcolor: GRID_COLOR,
    zeroline: options.zeroline ?? false,
    automargin: true,
  };
}

/** A 3-D scene axis with the same conventions (red title, line and tick labels when time-like). */
export function axis3d(title: string, timelike: boolean): Record<string, unknown> {
  const color = timelike ? TIMELIKE_RED : AXIS_COLOR;
  return {
    title: { text: title, font: font(FONT_SIZE + 1, color) },
    color,
    showline: true,
    linecolor: color,
    linewidth: timelike ? 4 : 2,
    showgrid: true,
    gridcolor: GRID_COLOR,
    zeroline: false,
    showbackground: false,
    tickfont: font(FONT_SIZE - 2, color),
    showspikes: false,
  };
}

/** The base layout of every figure: white paper, the font, a title, margins; `extra` is merged on top. */
export function baseLayout(title: string | undefined, extra: PlotLayout = {}): PlotLayout {
  return {
    font: font(),
    paper_bgcolor: "#ffffff",
    plot_bgcolor: "#ffffff",
    ...(title ? { title: { text: title, font: font(FONT_SIZE + 3), x: 0.02, xanchor: "left", y: 0.98, yanchor: "top" } } : {}),
    margin: { l: 60, r: 20, t: title ? 50 : 20, b: 55 },
    hoverlabel: { font: font(FONT_SIZE - 1, "#000000"), bgcolor: "#ffffff", bordercolor: "#888888" },
    legend: {
      font: font(FONT_SIZE - 1),
      bgcolor: "rgba(255,255,255,0.85)",
      bordercolor: "#cccccc",
      borderwidth: 1,
      itemsizing: "constant",
      tracegroupgap: 2,
    },
    ...extra,
  };
}

/** The config of every figure: responsive, no logo, a high-resolution PNG from the camera button. */
export function baseConfig(filename: string, width: number, height: number): PlotConfig {
  return {
    responsive: true,
    displaylogo: false,
    scrollZoom: false,
    toImageButtonOptions: { format: "png", filename, width, height, scale: 3 },
    modeBarButtonsToRemove: ["sendDataToCloud", "select2d", "lasso2d"],
  };
}
