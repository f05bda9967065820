/**
 * Recording predictions during training: evaluate a model in eval mode on fixed evaluation samples of each
 * split, turn logits into probabilities (softmax in float64), and append them with error and loss to a zoo
 * run, as training goes, so that a crashed run keeps what it recorded.
 */
import * as tf from "@tensorflow/tfjs";
import type { ConfigValue } from "../core/meta.js";
import { type RunWriter, type ZooCheckpoint, ZooWriter } from "../io/stores/zoo/index.js";
import { denseEarlySparseLate } from "./schedule.js";
import type { LabelledImages } from "./train.js";

/** A model's predictions on some samples: probabilities [n, C] (float32), error rate and mean cross-entropy. */
export interface Evaluation {
  /** Softmax probabilities, S×C row-major. */
  probs: Float32Array;
  /** Error rate in [0, 1] on the samples. */
  error: number;
  /** Mean cross-entropy in nats. */
  loss: number;
}

/** Softmax of logits [n, C] in float64, stored as float32; also error and cross-entropy against `labels`. */
export function softmaxEvaluation(logits: ArrayLike<number>, labels: ArrayLike<number>, classes: number): Evaluation {
  const n = labels.length;
  const probs = new Float32Array(n * classes);
  let wrong = 0;
  let loss = 0;
  const e = new Float64Array(classes);
  for (let i = 0; i < n; i++) {
    const o = i * classes;
    let max = -Infinity;
    let arg = 0;
    for (let c = 0; c < classes; c++) {
      const v = +logits[o + c]!;
      if (v > max) {
        max = v;
        arg = c;
      }
    }
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += e[c] = Math.exp(+logits[o + c]! - max);
    for (let c = 0; c < classes; c++) probs[o + c] = e[c]! / sum;
    const y = labels[i]!;
    if (arg !== y) wrong++;
    loss += Math.log(sum) - (+logits[o + y]! - max);
  }
  return { probs, error: wrong / n, loss: loss / n };
}

/** Runs `model` in eval mode (batch norm with running statistics, no dropout) on `data`, in batches. */
export function evaluate(model: tf.LayersModel, data: LabelledImages, batchSize = 250): Evaluation {
  const [h, w] = data.size ?? [28, 28];
  const C = (model.outputs[0]!.shape[1] as number) ?? 10;
  const logits = new Float32Array(data.n * C);
  for (let s = 0; s < data.n; s += batchSize) {
    const m = Math.min(batchSize, data.n - s);
    const out = tf.tidy(() => model.predict(tf.tensor4d(data.images.subarray(s * h * w, (s + m) * h * w), [m, h, w, 1])) as tf.Tensor);
    logits.set(out.dataSync() as Float32Array, s * C);
    out.dispose();
  }
  return softmaxEvaluation(logits, data.labels, C);
}

/** Evaluation samples per split, e.g. `{ train: ..., test: ... }`. */
export type EvaluationSets = Record<string, LabelledImages & {
  /** The samples' indices in the dataset split (stored in the zoo's manifest; default 0..n−1). */
  indices?: ArrayLike<number>;
}>;

/**
 * Evaluates `model` on every split and appends the checkpoint (step, epoch, phase, `<split>Error`,
 * `<split>Loss`) with the predictions to `run`. Returns the checkpoint record.
 */
export function recordCheckpoint(run: RunWriter, model: tf.LayersModel, sets: EvaluationSets, at: { step: number; epoch: number; phase?: string }, live?: CheckpointListener): ZooCheckpoint {
  const c: ZooCheckpoint = { step: at.step, epoch: +at.epoch.toFixed(6), ...(at.phase ? { phase: at.phase } : {}) };
  const preds: Record<string, Float32Array> = {};
  for (const [split, data] of Object.entries(sets)) {
    const ev = evaluate(model, data);
    c[`${split}Error`] = +ev.error.toFixed(6);
    c[`${split}Loss`] = +ev.loss.toFixed(6);
    preds[split] = ev.probs;
  }
  run.append(c, preds);
  live?.checkpoint(c, preds);
  return c;
}

/** Options of `recordPredictions`. */
export interface RecordOptions {
  /** Zoo folder to write (created when new). */
  dir: string;
  /** Run id (file name stem). */
  id: string;
  /** Configuration stored with the run. */
  config?: Record<string, ConfigValue>;
  /** The dataset's name, for the zoo's manifest. */
  dataset?: string;
  /** The class names, index = label. */
  classNames?: readonly string[];
  /** Store float32 instead of float16. */
  float32?: boolean;
  /**
   * Told about every recorded checkpoint (with its predictions per split) and about the end of training: e.g.
   * `ip.liveMap(emb, set)`, which places each checkpoint on a map and redraws it as training goes.
   */
  live?: CheckpointListener;
}

/** What `recordPredictions(..., { live })` calls: after every recorded checkpoint, and when training ends. */
export interface CheckpointListener {
  /** `checkpoint`: step, epoch and per-split errors and losses; `predictions[split]`: S·C probabilities, row-major. */
  checkpoint(checkpoint: ZooCheckpoint, predictions: Record<string, Float32Array>): void;
  /** Training has ended: a listener that works off the training thread finishes here (awaited). */
  done?(): void | Promise<void>;
}

/**
 * A tfjs callback for `model.fit` that records predictions on fixed evaluation samples at the scheduled
 * optimisation steps into a zoo folder, incrementally. `schedule` is a list of steps, or `"paper"` for the
 * paper's dense-early, sparse-late preset (computed from the epochs and batches `fit` reports).
 * The run is marked finished when training ends; a crash leaves the checkpoints recorded so far.
 *
 * ```ts
 * await model.fit(x, y, { epochs: 5, batchSize: 64, callbacks: [ip.recordPredictions(model, { train, test }, "paper", { dir: "zoo", id: "mlp-s0" })] });
 * ```
 */
export function recordPredictions(model: tf.LayersModel, data: EvaluationSets, schedule: readonly number[] | "paper", options: RecordOptions): tf.CustomCallback {
  const classNames = options.classNames ?? Array.from({ length: (model.outputs[0]!.shape[1] as number) ?? 10 }, (_, c) => String(c));
  let run: RunWriter | undefined;
  let steps = new Set<number>(Array.isArray(schedule) ? schedule : []);
  let step = 0;
  let perEpoch = 1;
  const started = Date.now();
  const callback: tf.CustomCallback = new tf.CustomCallback({
    onTrainBegin: async () => {
      // tfjs sets `params` (epochs, samples, batchSize, steps) on the callback before training starts
      const p = (callback as unknown as { params?: Record<string, number> }).params;
      const samples = p?.samples ?? data[Object.keys(data)[0]!]!.n;
      const batchSize = p?.batchSize ?? 32;
      perEpoch = p?.steps ?? Math.ceil(samples / batchSize);
      if (schedule === "paper") steps = new Set(denseEarlySparseLate(p?.epochs ?? 1, perEpoch));
      const writer = ZooWriter.open(options.dir, {
        dataset: options.dataset ?? "unknown",
        classNames,
        float16: !options.float32,
        splits: Object.fromEntries(Object.entries(data).map(([s, d]) => [s, { indices: d.indices ?? Array.from({ length: d.n }, (_, i) => i), labels: d.labels }])),
      });
      run = writer.startRun(options.id, options.config ?? {});
      if (steps.has(0)) recordCheckpoint(run, model, data, { step: 0, epoch: 0 }, options.live);
    },
    onBatchEnd: async () => {
      step++;
      if (run && steps.has(step)) recordCheckpoint(run, model, data, { step, epoch: step / perEpoch }, options.live);
    },
    onTrainEnd: async () => {
      run?.finish({ wallSeconds: (Date.now() - started) / 1000, backend: tf.getBackend() });
      await options.live?.done?.();
    },
  });
  return callback;
}
