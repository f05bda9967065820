/**
 * A live map of training: each new checkpoint of a network being trained is placed on an existing embedding
 * (out-of-sample, docs/methods.md §5: its Bhattacharyya distances to the points the embedding was fitted on, then Gower's
 * formula) and one notebook output is redrawn in place, at most every `interval` ms, so that a reader watches the
 * network leave ignorance and head for truth among the zoo's trajectories. The last state stays in the saved
 * notebook.
 *
 * ```ts
 * const live = ip.liveMap(emb, zooTrain, { label: "my mlp", colorBy: "arch" });   // shows the map
 * await model.fit(x, y, { callbacks: [recordPredictions(model, { train }, "paper", { dir, id, live })] });
 * ```
 *
 * The placing is geometry's (`LivePlacement`, geometry/live-placement.ts: the distances on a worker thread of the
 * map's own, the out-of-sample formula when they come back); this module draws: the map's traces frozen and
 * serialised once, and, when a redraw is due, the JSON of the live run only. `npm run bench -- --live` measures it
 * on notebook 12's set-up (1,608-point map, 500 samples × 10 classes): the map holds the training's thread about
 * 3 % of its wall time and the training takes about 10 % longer (docs/benchmarks.md, "A live map of training").
 * `placeSeconds`, `drawSeconds` and `workerSeconds` say what it cost.
 */
import { InpcaInputError } from "../core/errors.js";
import type { ModelPoint } from "../core/meta.js";
import type { PredictionSet } from "../core/prediction-set.js";
import type { Embedding } from "../core/embedding.js";
import { LivePlacement } from "../geometry/live-placement.js";
import type { ZooCheckpoint } from "../io/stores/zoo/index.js";
import { showLive, type LiveOutput } from "./display.js";
import { freezeTrace } from "./html.js";
import { Figure } from "./figure.js";
import { trajectories3d, type Trajectories3dOptions } from "./trajectories3d.js";
import { triplot, type TriplotOptions } from "./triplot.js";
import type { PlotTrace } from "./types.js";
import type { CheckpointListener } from "../train/record.js";

/** Default colour of the live run: a deep gold, unlike the geodesic (black), P₀/P* (red) and the palette's first colours. */
export const LIVE_COLOR = "#d4a000";

/** Options of `liveMap`: the base figure's (triplot or trajectories3d) and the live run's. */
export interface LiveMapOptions extends TriplotOptions, Omit<Trajectories3dOptions, keyof TriplotOptions> {
  /** "2d" (triplot panels, default: cheap to redraw) or "3d". */
  view?: "2d" | "3d";
  /** Name of the live run in the legend and in its points' `run` (default "live"). */
  label?: string;
  /** Least milliseconds between two redraws (default 2,000); `done()` always draws the last state. */
  interval?: number;
  /** Split of the recorded predictions to place (default: the basis set's split, else the first recorded). */
  split?: string;
  /**
   * Colour of the live run (default a deep gold, `LIVE_COLOR`: apart from the black geodesic, the red P₀/P* and the
   * zoo's architecture colours).
   */
  color?: string;
  /** Show the map when created (default true); false: draw it yourself with `figure()`. */
  display?: boolean;
  /**
   * Compute the distances of the checkpoints that arrive through `checkpoint` (the recorder's hook) on a worker
   * thread of the map's own, so that the training does not wait for them (default true). They are placed, and the
   * map redrawn, when the worker answers; `done()` waits for the last one. `add` always places on the calling thread.
   */
  thread?: boolean;
}

/** A live map (see the module comment): `add` places checkpoints, `done` draws the final state. */
export class LiveMap implements CheckpointListener {
  private readonly base: Figure;
  private readonly pairs: readonly (readonly [number, number])[];
  private readonly label: string;
  private readonly interval: number;
  private readonly color: string;
  /** Where the checkpoints are placed (the computation; this class draws). */
  private readonly placement: LivePlacement;
  private output: LiveOutput | null = null;
  private lastDraw = 0;
  /** Redraws so far (the first display included). */
  redraws = 0;
  /** Seconds the calling thread spent redrawing. */
  drawSeconds = 0;

  /**
   * `embedding`: the map (exact or landmark InPCA); `basis`: the prediction set it was fitted on (for a landmark
   * embedding, its landmarks: `set.select(emb.landmark.landmarks)`), whose samples the new checkpoints are
   * evaluated on.
   */
  constructor(
    /** The map: the embedding new checkpoints are placed in. */
    readonly embedding: Embedding,
    /** The points the map was fitted on, which each new checkpoint's distances are measured to. */
    readonly basis: PredictionSet,
    private readonly options: LiveMapOptions = {},
  ) {
    if (embedding.dims < 2) throw new InpcaInputError(`liveMap: the embedding has ${embedding.dims} axis; it needs at least 2`);
    const view = options.view ?? "2d";
    if (view === "3d" && embedding.dims < 3) throw new InpcaInputError("liveMap: view \"3d\" needs an embedding of 3 axes or more");
    this.placement = new LivePlacement(embedding, basis, { label: options.label, split: options.split, thread: options.thread, onPlaced: () => this.redrawIfDue() });
    this.label = options.label ?? "live";
    this.interval = options.interval ?? 2000;
    this.color = options.color ?? LIVE_COLOR;
    this.pairs = view === "3d" ? [] : (options.pairs ?? (embedding.dims >= 3 ? [[0, 1], [0, 2], [1, 2]] : [[0, 1]]));
    const title = options.title ?? `Live: ${this.label} on the map`;
    // the map recedes (translucent lines, small markers) so that the live run reads on top of it
    const map = { lineOpacity: 0.3, markerSize: 3, ...options, title };
    this.base = view === "3d" ? trajectories3d(embedding, map) : triplot(embedding, { ...map, pairs: this.pairs });
    // the map does not change between redraws: frozen, its traces are serialised once (plot/html.ts)
    this.base.data.forEach((t) => freezeTrace(t));
    if (options.display !== false) {
      this.output = showLive(this.figure());
      this.redraws = 1;
      this.lastDraw = Date.now();
    }
  }

  /** Checkpoints placed so far. */
  get points(): number {
    return this.placement.points;
  }

  /** Coordinates (all the embedding's axes) of the checkpoints placed so far, one array per checkpoint. */
  get coords(): readonly (readonly number[])[] {
    return this.placement.coords;
  }

  /**
   * Seconds the calling thread spent placing checkpoints (the distances to the basis, unless they run on the worker,
   * and the out-of-sample formula); with `drawSeconds`, what watching costs the training.
   */
  get placeSeconds(): number {
    return this.placement.placeSeconds;
  }

  /** Seconds from sending a checkpoint to the worker to its distances coming back, summed (0 without the worker). */
  get workerSeconds(): number {
    return this.placement.workerSeconds;
  }

  /**
   * Checkpoints whose distances were computed on the map's worker thread, not the training's (a count of work, which
   * the notebook and tests check instead of a clock: with the worker, every checkpoint of `checkpoint`).
   */
  get placedOffThread(): number {
    return this.placement.placedOffThread;
  }

  /**
   * Places one checkpoint: `predictions` holds S·C probabilities on the basis set's samples (row-major
   * [sample][class]), or is a one-model PredictionSet. `meta` is stored with it (step, epoch, error, ...).
   * Redraws when the last redraw is at least `interval` ms old. Returns the checkpoint's coordinates.
   */
  add(predictions: Float32Array | PredictionSet, meta: Partial<ModelPoint> = {}): Float64Array {
    return this.placement.add(predictions, meta);
  }

  /** The `recordPredictions` hook: places `predictions[split]` (on the map's worker) with the checkpoint's step, epoch and error. */
  checkpoint(checkpoint: ZooCheckpoint, predictions: Record<string, Float32Array>): void {
    this.placement.checkpoint(checkpoint, predictions);
  }

  /**
   * Waits for the checkpoints still on the worker, draws the final state (always, whatever the interval) and ends
   * the worker (later checkpoints are placed on the calling thread). The recorder awaits it when training ends.
   */
  async done(): Promise<void> {
    await this.placement.settled();
    if (this.output) this.draw();
    await this.placement.close();
  }

  /**
   * The map with the live run drawn on it so far. The map's traces are frozen (so that redraws serialise them
   * once): to restyle them, build a new figure (`new Figure(fig.kind, { ...fig, data: fig.data.map((t) => ({ ...t })) })`).
   */
  figure(): Figure {
    const traces = this.placement.points === 0 ? [] : this.pairs.length === 0 ? this.traces3d() : this.pairs.flatMap(([a, b], p) => this.traces2d(a, b, p === 0 ? "" : String(p + 1), p === 0));
    return new Figure(this.base.kind, { data: [...this.base.data, ...traces], layout: this.base.layout, config: this.base.config });
  }

  private redrawIfDue(): void {
    if (this.output && Date.now() - this.lastDraw >= this.interval) this.draw();
  }

  private draw(): void {
    const t0 = performance.now();
    this.output!.update(this.figure());
    this.redraws++;
    this.lastDraw = Date.now();
    this.drawSeconds += (performance.now() - t0) / 1000;
  }

  private hover(): string[] {
    return this.placement.meta.map((m) => `${this.label}<br>step ${m.step}${typeof m.epoch === "number" ? `<br>epoch ${(+m.epoch).toFixed(2)}` : ""}${typeof m["error"] === "number" ? `<br>error ${(+m["error"]).toFixed(3)}` : ""}`);
  }

  private traces2d(a: number, b: number, sx: string, legend: boolean): PlotTrace[] {
    const x = this.placement.coords.map((c) => c[a]!), y = this.placement.coords.map((c) => c[b]!);
    const text = this.hover();
    const common = { xaxis: `x${sx}`, yaxis: `y${sx}`, legendgroup: "live", hoverinfo: "text" };
    return [
      { ...common, type: "scatter", mode: "lines+markers", name: this.label, showlegend: legend, x, y, text, line: { color: this.color, width: 2.5 }, marker: { color: this.color, size: 4 } },
      { ...common, type: "scatter", mode: "markers", name: `${this.label}: now`, showlegend: false, x: x.slice(-1), y: y.slice(-1), text: text.slice(-1), marker: { color: "#ffffff", size: 13, line: { color: this.color, width: 3 } } },
    ];
  }

  private traces3d(): PlotTrace[] {
    const axes = this.options.axes ?? [0, 1, 2];
    const [x, y, z] = axes.map((k) => this.placement.coords.map((c) => c[k]!));
    const text = this.hover();
    return [
      { type: "scatter3d", mode: "lines+markers", name: this.label, legendgroup: "live", x, y, z, text, hoverinfo: "text", line: { color: this.color, width: 6 }, marker: { color: this.color, size: 2.5 } },
      { type: "scatter3d", mode: "markers", name: `${this.label}: now`, legendgroup: "live", showlegend: false, x: x!.slice(-1), y: y!.slice(-1), z: z!.slice(-1), text: text.slice(-1), hoverinfo: "text", marker: { color: "#ffffff", size: 9, line: { color: this.color, width: 4 } } },
    ];
  }
}

/** A live map of training on `embedding` (fitted on `basis`); see `LiveMap` and the module comment. */
export function liveMap(embedding: Embedding, basis: PredictionSet, options: LiveMapOptions = {}): LiveMap {
  return new LiveMap(embedding, basis, options);
}
