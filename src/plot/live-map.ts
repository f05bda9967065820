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
 * Cost per checkpoint: M·S·C multiply-adds in the WebAssembly kernel for the distances to the M fitted points,
 * whose square roots are packed once, on a worker thread of the map's own (`bhattacharyyaToOffThread`), so the
 * training thread only hands over the S·C probabilities and applies the out-of-sample formula when the distances
 * come back; and, when a redraw is due, the JSON of the live run only (the map's traces are frozen and serialised
 * once). `npm run bench -- --live` (notebook 12's 1,608-point map, 500 samples × 10 classes, 5 interleaved pairs of
 * runs on a 2-core machine): the map held the training's thread 3.0 % of its wall time (median; 2.9–3.8 %) and the
 * training took 10.6 % longer (3.1–23.8 %); with the distances on the training's thread (before 2026-12-02)
 * 4.6–7.4 % of the thread, and before the basis was packed once 12–25 %.
 * `placeSeconds`, `drawSeconds` and `workerSeconds` say what it cost.
 */
import { InpcaInputError } from "../core/errors.js";
import type { ModelPoint } from "../core/meta.js";
import { PredictionSet } from "../core/prediction-set.js";
import { DistanceMatrix } from "../core/distance-matrix.js";
import { bhattacharyyaTo, bhattacharyyaToOffThread, type OffThreadDistances } from "../geometry/distances.js";
import type { Embedding } from "../core/embedding.js";
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
  private readonly placed: number[][] = [];
  private readonly metas: ModelPoint[] = [];
  private output: LiveOutput | null = null;
  /** Distances to the basis on the calling thread, its square roots computed once (made when first needed). */
  private distancesHere: ((a: PredictionSet) => DistanceMatrix) | null = null;
  /** The same on the map's worker thread (null with `thread: false`, after `done()`, or when the worker failed). */
  private offThread: OffThreadDistances | null = null;
  /** The checkpoints sent to the worker, placed in order. */
  private pending: Promise<void> = Promise.resolve();
  private lastDraw = 0;
  /** Redraws so far (the first display included). */
  redraws = 0;
  /**
   * Seconds the calling thread spent placing checkpoints (the distances to the basis, unless they run on the worker,
   * and the out-of-sample formula), and redrawing: what watching costs the training.
   */
  placeSeconds = 0;
  drawSeconds = 0;
  /** Seconds from sending a checkpoint to the worker to its distances coming back, summed (0 without the worker). */
  workerSeconds = 0;
  /**
   * Checkpoints whose distances were computed on the map's worker thread, not the training's (a count of work, which
   * the notebook and tests check instead of a clock: with the worker, every checkpoint of `checkpoint`).
   */
  placedOffThread = 0;

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
    if (options.thread !== false) this.offThread = bhattacharyyaToOffThread(basis);
    this.label = options.label ?? "live";
    this.interval = options.interval ?? 2000;
    this.color = options.color ?? LIVE_COLOR;
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
    const t0 = performance.now();
    const one = this.checkpointSet(predictions, meta);
    const cross = (this.distancesHere ??= bhattacharyyaTo(this.basis))(one);
    return this.place(cross.data, one.meta[0]!, t0);
  }

  /** One checkpoint as a one-model PredictionSet on the basis's samples, with its meta row. */
  private checkpointSet(predictions: Float32Array | PredictionSet, meta: Partial<ModelPoint>): PredictionSet {
    const { samples: S, classes: C } = this.basis;
    const row: ModelPoint = { ...meta, run: this.label, step: typeof meta.step === "number" ? meta.step : this.placed.length, kind: "model" };
    if (predictions instanceof PredictionSet) {
      if (predictions.models !== 1) throw new InpcaInputError(`liveMap.add: one checkpoint at a time, got ${predictions.models} model-points`);
      return predictions.withMeta([row]);
    }
    if (predictions.length !== S * C) throw new InpcaInputError(`liveMap.add: checkpoint ${row.step} has ${predictions.length} probabilities; the map's samples need ${S} samples × ${C} classes = ${S * C}`);
    return new PredictionSet({ probs: predictions, models: 1, samples: S, classes: C, labels: this.basis.labels, meta: [row], split: this.basis.split }, { source: `liveMap checkpoint ${row.step}` });
  }

  /** The out-of-sample formula for one checkpoint's distances to the basis; redraws when due. */
  private place(cross: Float64Array, row: ModelPoint, t0: number): Float64Array {
    const matrix = new DistanceMatrix({ data: cross, rows: 1, cols: this.basis.models, kind: "bhattacharyya", rowMeta: [row], colMeta: this.basis.meta, symmetric: false });
    const placed = this.embedding.addPoints(matrix, [row]);
    const K = placed.dims;
    const x = Float64Array.from({ length: K }, (_, k) => placed.coord(placed.points - 1, k));
    this.placed.push(Array.from(x));
    this.metas.push(row);
    this.placeSeconds += (performance.now() - t0) / 1000;
    if (this.output && Date.now() - this.lastDraw >= this.interval) this.draw();
    return x;
  }

  /**
   * Places one checkpoint without waiting for it: its distances are computed on the map's worker thread, and it is
   * placed (in order) when they come back; without the worker, at once, as `add`. Errors of the worker fall back to
   * the calling thread.
   */
  private addOffThread(predictions: Float32Array, meta: Partial<ModelPoint>): void {
    const worker = this.offThread;
    if (!worker) {
      this.add(predictions, meta);
      return;
    }
    const t0 = performance.now();
    const one = this.checkpointSet(predictions, meta);
    const sent = performance.now();
    const answer = worker.distances(one.probs);
    this.placeSeconds += (performance.now() - t0) / 1000;
    answer.catch(() => { /* handled in order below */ });
    this.pending = this.pending.then(async () => {
      let cross: Float64Array;
      try {
        cross = await answer;
        this.workerSeconds += (performance.now() - sent) / 1000;
        this.placedOffThread++;
      } catch {
        // the worker could not take the basis (memory) or failed: place here from now on
        if (this.offThread === worker) this.offThread = null;
        void worker.close();
        const t1 = performance.now();
        cross = (this.distancesHere ??= bhattacharyyaTo(this.basis))(one).data;
        this.placeSeconds += (performance.now() - t1) / 1000;
      }
      this.place(cross, one.meta[0]!, performance.now());
    });
  }

  /** The `recordPredictions` hook: places `predictions[split]` with the checkpoint's step, epoch and error. */
  checkpoint(checkpoint: ZooCheckpoint, predictions: Record<string, Float32Array>): void {
    const split = this.options.split ?? (this.basis.split && predictions[this.basis.split] ? this.basis.split : Object.keys(predictions)[0]);
    const p = split === undefined ? undefined : predictions[split];
    if (!p) throw new InpcaInputError(`liveMap: no predictions for split "${split}" (recorded: ${Object.keys(predictions).join(", ") || "none"})`);
    const error = checkpoint[`${split}Error`];
    this.addOffThread(p, { step: checkpoint.step, epoch: checkpoint.epoch, ...(typeof error === "number" ? { error } : {}) });
  }

  /**
   * Waits for the checkpoints still on the worker, draws the final state (always, whatever the interval) and ends
   * the worker (later checkpoints are placed on the calling thread). The recorder awaits it when training ends.
   */
  async done(): Promise<void> {
    await this.pending;
    if (this.output) this.draw();
    const worker = this.offThread;
    this.offThread = null;
    await worker?.close();
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
