/**
 * Live placement: each new checkpoint of a network being trained is placed on an existing embedding, out of sample
 * (docs/methods.md §5: its Bhattacharyya distances to the M points the embedding was fitted on, then Gower's formula
 * through `Embedding.addPoints`), in the order the checkpoints arrive. The computation behind `liveMap`
 * (plot/live-map.ts draws it).
 *
 * Cost per checkpoint: M·S·C multiply-adds in the WebAssembly kernel for the distances to the M fitted points,
 * whose square roots are packed once, on a worker thread of the placement's own (`bhattacharyyaToOffThread`), so
 * the training thread only hands over the S·C probabilities and applies the out-of-sample formula when the
 * distances come back. `placeSeconds` and `workerSeconds` say what it cost.
 */
import { InpcaInputError } from "../core/errors.js";
import type { ModelPoint } from "../core/meta.js";
import { PredictionSet } from "../core/prediction-set.js";
import { DistanceMatrix } from "../core/distance-matrix.js";
import type { Embedding } from "../core/embedding.js";
import type { ZooCheckpoint } from "../io/stores/zoo/index.js";
import { bhattacharyyaTo, bhattacharyyaToOffThread, type OffThreadDistances } from "./distances.js";

/** Options of `LivePlacement`. */
export interface LivePlacementOptions {
  /** Name of the live run in its points' `run` (default "live"). */
  label?: string;
  /** Split of the recorded predictions to place (default: the basis set's split, else the first recorded). */
  split?: string;
  /**
   * Compute the distances of the checkpoints that arrive through `checkpoint` on a worker thread of the placement's
   * own (default true); `add` always places on the calling thread.
   */
  thread?: boolean;
  /** Called after each checkpoint is placed (its coordinates are the last of `coords`). */
  onPlaced?: () => void;
}

/** Checkpoints placed on an embedding as they arrive (see the module comment). */
export class LivePlacement {
  private readonly label: string;
  private readonly placed: number[][] = [];
  private readonly rows: ModelPoint[] = [];
  /** Distances to the basis on the calling thread, its square roots computed once (made when first needed). */
  private distancesHere: ((a: PredictionSet) => DistanceMatrix) | null = null;
  /** The same on the worker thread (null with `thread: false`, after `close()`, or when the worker failed). */
  private offThread: OffThreadDistances | null = null;
  /** The checkpoints sent to the worker, placed in order. */
  private pending: Promise<void> = Promise.resolve();
  /**
   * Seconds the calling thread spent placing checkpoints: the distances to the basis (unless they run on the
   * worker) and the out-of-sample formula, without what `onPlaced` does.
   */
  placeSeconds = 0;
  /** Seconds from sending a checkpoint to the worker to its distances coming back, summed (0 without the worker). */
  workerSeconds = 0;
  /** Checkpoints whose distances were computed on the worker thread, not the caller's. */
  placedOffThread = 0;

  /**
   * `embedding`: exact or landmark InPCA; `basis`: the prediction set it was fitted on (for a landmark embedding,
   * its landmarks: `set.select(emb.landmark.landmarks)`), whose samples the new checkpoints are evaluated on.
   */
  constructor(readonly embedding: Embedding, readonly basis: PredictionSet, private readonly options: LivePlacementOptions = {}) {
    if (basis.models !== embedding.basis.size) {
      throw new InpcaInputError(`liveMap: the basis set has ${basis.models} model-points but the embedding was fitted on ${embedding.basis.size}${embedding.landmark ? " (a landmark embedding: pass set.select(emb.landmark.landmarks))" : ""}`);
    }
    this.label = options.label ?? "live";
    if (options.thread !== false) this.offThread = bhattacharyyaToOffThread(basis);
  }

  /** Checkpoints placed so far. */
  get points(): number {
    return this.placed.length;
  }

  /** Coordinates (all the embedding's axes) of the checkpoints placed so far, one array per checkpoint. */
  get coords(): readonly (readonly number[])[] {
    return this.placed;
  }

  /** Metadata rows of the checkpoints placed so far (run = the label, step, epoch, error). */
  get meta(): readonly ModelPoint[] {
    return this.rows;
  }

  /**
   * Places one checkpoint on the calling thread: `predictions` holds S·C probabilities on the basis set's samples
   * (row-major [sample][class]), or is a one-model PredictionSet; `meta` is stored with it. Returns its coordinates.
   */
  add(predictions: Float32Array | PredictionSet, meta: Partial<ModelPoint> = {}): Float64Array {
    const t0 = performance.now();
    const one = this.checkpointSet(predictions, meta);
    const cross = (this.distancesHere ??= bhattacharyyaTo(this.basis))(one);
    return this.place(cross.data, one.meta[0]!, t0);
  }

  /** The `recordPredictions` hook: places `predictions[split]` with the checkpoint's step, epoch and error. */
  checkpoint(checkpoint: ZooCheckpoint, predictions: Record<string, Float32Array>): void {
    const split = this.options.split ?? (this.basis.split && predictions[this.basis.split] ? this.basis.split : Object.keys(predictions)[0]);
    const p = split === undefined ? undefined : predictions[split];
    if (!p) throw new InpcaInputError(`liveMap: no predictions for split "${split}" (recorded: ${Object.keys(predictions).join(", ") || "none"})`);
    const error = checkpoint[`${split}Error`];
    this.addOffThread(p, { step: checkpoint.step, epoch: checkpoint.epoch, ...(typeof error === "number" ? { error } : {}) });
  }

  /** Waits until every checkpoint sent to the worker is placed. */
  async settled(): Promise<void> {
    await this.pending;
  }

  /** Ends the worker thread (later checkpoints are placed on the calling thread). */
  async close(): Promise<void> {
    const worker = this.offThread;
    this.offThread = null;
    await worker?.close();
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

  /** The out-of-sample formula for one checkpoint's distances to the basis; then `onPlaced`. */
  private place(cross: Float64Array, row: ModelPoint, t0: number): Float64Array {
    const matrix = new DistanceMatrix({ data: cross, rows: 1, cols: this.basis.models, kind: "bhattacharyya", rowMeta: [row], colMeta: this.basis.meta, symmetric: false });
    const placed = this.embedding.addPoints(matrix, [row]);
    const K = placed.dims;
    const x = Float64Array.from({ length: K }, (_, k) => placed.coord(placed.points - 1, k));
    this.placed.push(Array.from(x));
    this.rows.push(row);
    this.placeSeconds += (performance.now() - t0) / 1000;
    this.options.onPlaced?.();
    return x;
  }

  /**
   * Places one checkpoint without waiting for it: its distances are computed on the worker thread, and it is
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
}
