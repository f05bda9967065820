/**
 * Figure: a plain Plotly spec (`data`, `layout`, `config`) with a name, a short text form and a Jupyter
 * MIME bundle. Builders return Figures; `show`/`save` (display.ts) are the only functions that touch the outside.
 */
import { outputHtml, specObject } from "./html.js";
import type { PlotConfig, PlotLayout, PlotSpec, PlotTrace } from "./types.js";

/** MIME type of Plotly figures in Jupyter (JupyterLab, VS Code and nbviewer-style renderers read it). */
export const PLOTLY_MIME = "application/vnd.plotly.v1+json";

/** A Jupyter MIME bundle: MIME type → data (JSON objects for JSON types, strings otherwise). */
export type MimeBundle = Record<string, unknown>;

/**
 * Whether the next bundle made outside `show` (Deno's `Jupyter.display`, `mimeBundle`) still has to carry
 * plotly.js: the first one of a process does. `show` in tslab manages its own carrier (display.ts).
 */
const state = { carried: false };

/** Marks plotly.js as carried (or not) by an output of this process; used by display.ts. */
export function setCarried(carried: boolean): void {
  state.carried = carried;
}

/** True when an output of this process already carries plotly.js. */
export function isCarried(): boolean {
  return state.carried;
}

export class Figure implements PlotSpec {
  /** Plotly traces. */
  readonly data: PlotTrace[];
  /** Plotly layout (axes, scene, legend, annotations, size in px). */
  readonly layout: PlotLayout;
  /** Plotly config (modebar, responsiveness, image button). */
  readonly config: PlotConfig;
  /** The builder that made it ("trajectories3d", "triplot", ...), used in text forms and file names. */
  readonly kind: string;

  /** A figure of builder `kind` from a Plotly spec (its data, layout and config). */
  constructor(kind: string, spec: PlotSpec) {
    this.kind = kind;
    this.data = spec.data;
    this.layout = spec.layout;
    this.config = spec.config ?? {};
  }

  /** The figure title, if any. */
  get title(): string | undefined {
    const t = this.layout["title"];
    if (typeof t === "string") return t;
    if (t && typeof t === "object" && typeof (t as { text?: unknown }).text === "string") return (t as { text: string }).text;
    return undefined;
  }

  /** A copy with `layout` entries replaced (shallow merge), e.g. `fig.withLayout({ height: 800 })`. */
  withLayout(patch: PlotLayout): Figure {
    return new Figure(this.kind, { data: this.data, layout: { ...this.layout, ...patch }, config: this.config });
  }

  /** The plain JSON spec (numbers rounded to 6 significant digits, typed arrays as arrays). */
  toJSON(): PlotSpec {
    return specObject(this);
  }

  /** e.g. `Figure trajectories3d "Train predictions": 5 traces (scatter3d ×5), 1,200 points, 900×700 px`. */
  toString(): string {
    const counts = new Map<string, number>();
    let points = 0;
    for (const t of this.data) {
      counts.set(t.type, (counts.get(t.type) ?? 0) + 1);
      const x = (t["x"] ?? t["y"] ?? t["z"]) as { length?: number } | undefined;
      if (x && typeof x.length === "number") points += x.length;
    }
    const types = [...counts].map(([k, n]) => `${k} ×${n}`).join(", ");
    const w = this.layout["width"];
    const h = this.layout["height"];
    const size = typeof h === "number" ? `, ${typeof w === "number" ? w : "auto"}×${h} px` : "";
    const title = this.title ? ` "${this.title.replace(/<[^>]*>/g, "")}"` : "";
    return `Figure ${this.kind}${title}: ${this.data.length} trace${this.data.length === 1 ? "" : "s"}${types ? ` (${types})` : ""}, ${points.toLocaleString("en-US")} points${size}`;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }

  /** Deno's Jupyter kernel renders a last-expression figure through this (the bundle of `mimeBundle`). */
  [Symbol.for("Jupyter.display")](): MimeBundle {
    return mimeBundle(this);
  }
}

/**
 * The Jupyter MIME bundle of a figure: the Plotly JSON, an offline `text/html` and `text/plain`.
 * `carrier` (default: only for the first bundle of the process) embeds plotly.js in the HTML.
 */
export function mimeBundle(fig: Figure, options: { carrier?: boolean; text?: string } = {}): MimeBundle {
  const carrier = options.carrier ?? !state.carried;
  if (carrier) state.carried = true;
  return {
    [PLOTLY_MIME]: specObject(fig),
    "text/html": outputHtml(fig, { carrier }),
    "text/plain": options.text ?? fig.toString(),
  };
}

/** Wraps a plain spec (or returns a Figure as is). */
export function asFigure(spec: Figure | PlotSpec, kind = "figure"): Figure {
  return spec instanceof Figure ? spec : new Figure(kind, spec);
}
