/**
 * A live map of training: each new checkpoint of a network being trained is placed on an existing embedding
 * (out-of-sample, METHODS §5: its Bhattacharyya distances to the points the embedding was fitted on, then Gower's
 * formula) and one notebook output is redrawn in place, at most every `interval` ms, so that a reader watches the
 * network leave ignorance and head for truth among the zoo's trajectories. The last state stays in the saved
 * notebook.
 *
 * ```ts
 * const live = ip.liveMap(emb, zooTrain, { label: "my mlp", colorBy: "arch" });   // shows the map
 * await model.fit(x, y, { callbacks: [recordPredictions(model, { train }, "paper", { dir, id, live })] });
 * ```
 *
 * Cost per checkpoint: M·S·C multiply-adds in the WebAssembly kernel for the distances to the M fitted points,
 * whose square roots are packed once (`bhattacharyyaTo`), and, when a redraw is due, the JSON of the live run only
 * (the map's traces are frozen and serialised once). Measured in notebook 12 (864 × 500 × 10 map, 5,340 points):
 * 3.9 ms a checkpoint, 22 ms a redraw, 3.4 % of the training's wall time at the default interval (4.1 % with two
 * other processes on the two cores); before these two changes 24–50 ms and 83 ms, 12–25 %. `placeSeconds` and
 * `drawSeconds` say what it cost.
 */
import { InpcaInputError } from "../core/errors.js";
import type { ModelPoint } from "../core/meta.js";
import { PredictionSet } from "../core/prediction-set.js";
import type { DistanceMatrix } from "../core/distance-matrix.js";
import { bhattacharyyaTo } from "../geometry/distances.js";
import type { Embedding } from "../geometry/embedding.js";
import type { ZooCheckpoint } from "../io/zoo.js";
import { showLive, type LiveOutput } from "./display.js";
import { freezeTrace } from "./html.js";
import { Figure } from "./figure.js";
import { trajectories3d, type Trajectories3dOptions } from "./trajectories3d.js";
import { triplot, type TriplotOptions } from "./triplot.js";
import type { PlotTrace } from "./types.js";
import type { CheckpointListener } from "../train/record.js";

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
  /** Colour of the live run (default near-black, so it stands out from any palette). */
  color?: string;
  /** Show the map when created (default true); false: draw it yourself with `figure()`. */
  display?: boolean;
}

/** A live map (see the module comment): `add` places checkpoints, `done` draws the final state. */
export class LiveMap implements CheckpointListener {
  private readonly base: Figure;
  private readonly pairs: readonly (readonly [number, number])[];
  private readonly label: string;
  private readonly interval: number;
  private readonly color: string;
  private readonly placed: number[][] = [];
  private readonly metas: ModelPoint[] = [];
  private output: LiveOutput | null = null;
  /** Distances to the basis, its square roots computed once. */
  private readonly distances: (a: PredictionSet) => DistanceMatrix;
  private lastDraw = 0;
  /** Redraws so far (the first display included). */
  redraws = 0;
  /** Seconds spent placing checkpoints (distances to the basis and the out-of-sample formula), and redrawing. */
  placeSeconds = 0;
  drawSeconds = 0;

  /**
   * `embedding`: the map (exact or landmark InPCA); `basis`: the prediction set it was fitted on (for a landmark
   * embedding, its landmarks: `set.select(emb.landmark.landmarks)`), whose samples the new checkpoints are
   * evaluated on.
   */
  constructor(readonly embedding: Embedding, readonly basis: PredictionSet, private readonly options: LiveMapOptions = {}) {
    if (basis.models !== embedding.basis.size) {
      throw new InpcaInputError(`liveMap: the basis set has ${basis.models} model-points but the embedding was fitted on ${embedding.basis.size}${embedding.landmark ? " (a landmark embedding: pass set.select(emb.landmark.landmarks))" : ""}`);
    }
    if (embedding.dims < 2) throw new InpcaInputError(`liveMap: the embedding has ${embedding.dims} axis; it needs at least 2`);
    this.distances = bhattacharyyaTo(basis);
    this.label = options.label ?? "live";
    this.interval = options.interval ?? 2000;
    this.color = options.color ?? "#111111";
    const view = options.view ?? "2d";
    if (view === "3d" && embedding.dims < 3) throw new InpcaInputError("liveMap: view \"3d\" needs an embedding of 3 axes or more");
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
    return this.placed.length;
  }

  /** Coordinates (all the embedding's axes) of the checkpoints placed so far, one array per checkpoint. */
  get coords(): readonly (readonly number[])[] {
    return this.placed;
  }

  /**
   * Places one checkpoint: `predictions` holds S·C probabilities on the basis set's samples (row-major
   * [sample][class]), or is a one-model PredictionSet. `meta` is stored with it (step, epoch, error, ...).
   * Redraws when the last redraw is at least `interval` ms old. Returns the checkpoint's coordinates.
   */
  add(predictions: Float32Array | PredictionSet, meta: Partial<ModelPoint> = {}): Float64Array {
    const { samples: S, classes: C } = this.basis;
    const row: ModelPoint = { ...meta, run: this.label, step: typeof meta.step === "number" ? meta.step : this.placed.length, kind: "model" };
    let one: PredictionSet;
    if (predictions instanceof PredictionSet) {
      if (predictions.models !== 1) throw new InpcaInputError(`liveMap.add: one checkpoint at a time, got ${predictions.models} model-points`);
      one = predictions.withMeta([row]);
    } else {
      if (predictions.length !== S * C) throw new InpcaInputError(`liveMap.add: checkpoint ${row.step} has ${predictions.length} probabilities; the map's samples need ${S} samples × ${C} classes = ${S * C}`);
      one = new PredictionSet({ probs: predictions, models: 1, samples: S, classes: C, labels: this.basis.labels, meta: [row], split: this.basis.split }, { source: `liveMap checkpoint ${row.step}` });
    }
    const t0 = performance.now();
    const cross = this.distances(one);
    const placed = this.embedding.addPoints(cross, [row]);
    const K = placed.dims;
    const x = Float64Array.from({ length: K }, (_, k) => placed.coord(placed.points - 1, k));
    this.placed.push(Array.from(x));
    this.metas.push(row);
    this.placeSeconds += (performance.now() - t0) / 1000;
    if (this.output && Date.now() - this.lastDraw >= this.interval) this.draw();
    return x;
  }

  /** The `recordPredictions` hook: places `predictions[split]` with the checkpoint's step, epoch and error. */
  checkpoint(checkpoint: ZooCheckpoint, predictions: Record<string, Float32Array>): void {
    const split = this.options.split ?? (this.basis.split && predictions[this.basis.split] ? this.basis.split : Object.keys(predictions)[0]);
    const p = split === undefined ? undefined : predictions[split];
    if (!p) throw new InpcaInputError(`liveMap: no predictions for split "${split}" (recorded: ${Object.keys(predictions).join(", ") || "none"})`);
    const error = checkpoint[`${split}Error`];
    this.add(p, { step: checkpoint.step, epoch: checkpoint.epoch, ...(typeof error === "number" ? { error } : {}) });
  }

  /** Draws the final state (always, whatever the interval). */
  done(): void {
    if (this.output) this.draw();
  }

  /**
   * The map with the live run drawn on it so far. The map's traces are frozen (so that redraws serialise them
   * once): to restyle them, build a new figure (`new Figure(fig.kind, { ...fig, data: fig.data.map((t) => ({ ...t })) })`).
   */
  figure(): Figure {
    const traces = this.placed.length === 0 ? [] : this.pairs.length === 0 ? this.traces3d() : this.pairs.flatMap(([a, b], p) => this.traces2d(a, b, p === 0 ? "" : String(p + 1), p === 0));
    return new Figure(this.base.kind, { data: [...this.base.data, ...traces], layout: this.base.layout, config: this.base.config });
  }

  private draw(): void {
    const t0 = performance.now();
    this.output!.update(this.figure());
    this.redraws++;
    this.lastDraw = Date.now();
    this.drawSeconds += (performance.now() - t0) / 1000;
  }

  private hover(): string[] {
    return this.metas.map((m) => `${this.label}<br>step ${m.step}${typeof m.epoch === "number" ? `<br>epoch ${(+m.epoch).toFixed(2)}` : ""}${typeof m["error"] === "number" ? `<br>error ${(+m["error"]).toFixed(3)}` : ""}`);
  }

  private traces2d(a: number, b: number, sx: string, legend: boolean): PlotTrace[] {
    const x = this.placed.map((c) => c[a]!), y = this.placed.map((c) => c[b]!);
    const text = this.hover();
    const common = { xaxis: `x${sx}`, yaxis: `y${sx}`, legendgroup: "live", hoverinfo: "text" };
    return [
      { ...common, type: "scatter", mode: "lines+markers", name: this.label, showlegend: legend, x, y, text, line: { color: this.color, width: 2.5 }, marker: { color: this.color, size: 4 } },
      { ...common, type: "scatter", mode: "markers", name: `${this.label}: now`, showlegend: false, x: x.slice(-1), y: y.slice(-1), text: text.slice(-1), marker: { color: "#ffffff", size: 13, line: { color: this.color, width: 3 } } },
    ];
  }

  private traces3d(): PlotTrace[] {
    const axes = this.options.axes ?? [0, 1, 2];
    const [x, y, z] = axes.map((k) => this.placed.map((c) => c[k]!));
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
