/**
 * The training loop of the model zoo: mini-batch SGD / SGD-Nesterov / Adam with the learning rate scaled by
 * batch size and annealed by a cosine, L2 weight decay, optional shift-crop-flip augmentation, and a callback
 * at the scheduled steps (where the recorder stores predictions in eval mode). Everything random is seeded.
 */
import * as tf from "@tensorflow/tfjs";
import { InpcaAbortError } from "../core/errors.js";
import { uniform } from "../linalg/random.js";
import { shiftCropFlip } from "./augment.js";
import { cosineLearningRate } from "./schedule.js";

/** Images and labels to train on: `images` [n, 28, 28, 1] in [0, 1], `labels` [n] in [0, 10). */
export interface LabelledImages {
  /** The images, row-major [n, height, width, channels], float32. */
  images: Float32Array;
  /** Their classes. */
  labels: Int32Array;
  /** Number of images. */
  n: number;
  /** [height, width] of one image (default [28, 28]). */
  size?: [number, number];
}

/** Optimiser settings of a run. */
export interface OptimizerConfig {
  /** "sgd" (plain), "nesterov" (momentum 0.9, Nesterov) or "adam". */
  optimizer: "sgd" | "nesterov" | "adam";
  /** Peak learning rate (already scaled for the batch size). */
  lr: number;
  /** Minibatch size. */
  batchSize: number;
  /** L2 penalty coefficient: the loss gains (weightDecay / 2)·Σ‖W‖² over kernels (PyTorch's `weight_decay`). */
  weightDecay: number;
  /** Shift-crop-flip augmentation. */
  augment: boolean;
  /** Cosine-anneal the learning rate to 0 over the phase (default true). */
  cosine?: boolean;
  /** Epochs of linear learning-rate warm-up at the start of the phase, before the cosine (default 0). */
  warmupEpochs?: number;
  /**
   * Clip each step's gradient to this global L2 norm (over all trainable weights, weight decay included), as
   * ViTs are trained with SGD (Dosovitskiy et al. clip at 1); default: no clipping.
   */
  clipNorm?: number;
}

/** What `trainPhase` reports at each scheduled step. */
export interface CheckpointEvent {
  /** Global step (offset included). */
  step: number;
  /** Global epoch (offset included), fractional. */
  epoch: number;
  /** The model at this checkpoint. */
  model: tf.LayersModel;
}

/** One phase of training (a run has one; corner initialisations have a pre-training phase first). */
export interface PhaseOptions extends OptimizerConfig {
  /** The training images. */
  data: LabelledImages;
  /** Epochs of this phase. */
  epochs: number;
  /** Seed of the data order and augmentation. */
  seed: number;
  /** Global steps and epochs already done before this phase (for numbering checkpoints). */
  stepOffset?: number;
  /** Epochs before this phase (added to the events' epochs). */
  epochOffset?: number;
  /** Local steps (0 = the start of this phase) at which to call `onCheckpoint`. */
  checkpointSteps?: readonly number[];
  /** Called at each of `checkpointSteps` with the model, step and epoch (awaited before training goes on). */
  onCheckpoint?: (e: CheckpointEvent) => void | Promise<void>;
  /** Called after every step with (local step, total local steps, last batch loss or NaN). */
  onStep?: (step: number, total: number) => void;
  /** Stops training at the next step (InpcaAbortError). */
  signal?: AbortSignal;
}

/** Mean softmax cross-entropy (nats) of `logits` [n, C] against integer `labels` [n]. */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const C = logits.shape[1];
    const lse = tf.logSumExp(logits, 1);
    const picked = tf.sum(tf.mul(logits, tf.oneHot(labels, C)), 1);
    return tf.mean(tf.sub(lse, picked)) as tf.Scalar;
  });
}

/**
 * A `model.compile({ loss })` function for the zoo's models, which output logits: the mean softmax
 * cross-entropy (nats) of `yPred` (logits [n, C]) against one-hot targets `yTrue` [n, C] (what `model.fit`
 * requires of a custom loss: targets shaped like the outputs; make them with `tf.oneHot(labels, C)`).
 * tfjs's "categoricalCrossentropy" expects probabilities and trains logits badly.
 */
export function logitsLoss(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.sub(tf.logSumExp(yPred, 1), tf.sum(tf.mul(yTrue, yPred), 1))) as tf.Scalar);
}

function makeOptimizer(c: OptimizerConfig): tf.Optimizer {
  if (c.optimizer === "sgd") return tf.train.sgd(c.lr);
  if (c.optimizer === "nesterov") return tf.train.momentum(c.lr, 0.9, true);
  if (c.optimizer === "adam") return tf.train.adam(c.lr);
  throw new Error(`unknown optimizer "${c.optimizer as string}" (sgd, nesterov, adam)`);
}

/**
 * Sets the step size of `opt` for its next step. SGD and momentum keep the step as a scalar tensor made by
 * `setLearningRate` (assigning their `learningRate` field alone changes nothing: every SGD and Nesterov run
 * trained before this fix ran at its initial rate, with neither warm-up nor cosine); Adam reads its (protected)
 * field at every step.
 */
export function setLearningRate(opt: tf.Optimizer, lr: number): void {
  const o = opt as unknown as { learningRate: number; setLearningRate?: (lr: number) => void };
  if (typeof o.setLearningRate === "function") o.setLearningRate(lr);
  else o.learningRate = lr;
}

/** Number of optimisation steps per epoch: full batches only (the remainder of a shuffled epoch is dropped). */
export function stepsPerEpoch(n: number, batchSize: number): number {
  return Math.max(1, Math.floor(n / batchSize));
}

/**
 * Trains `model` for one phase. Returns the number of steps taken. Checkpoint callbacks run between steps,
 * with the model in its current state (they should evaluate with `model.predict`, i.e. in eval mode).
 */
export async function trainPhase(model: tf.LayersModel, o: PhaseOptions): Promise<number> {
  const [h, w] = o.data.size ?? [28, 28];
  const pixels = h * w;
  if (o.data.n < o.batchSize) throw new Error(`${o.data.n} training images cannot fill a batch of ${o.batchSize}`);
  const perEpoch = stepsPerEpoch(o.data.n, o.batchSize);
  const total = perEpoch * o.epochs;
  const stepOffset = o.stepOffset ?? 0;
  const epochOffset = o.epochOffset ?? 0;
  const warmup = Math.round((o.warmupEpochs ?? 0) * perEpoch);
  const marks = new Set(o.checkpointSteps ?? []);
  const random = uniform(o.seed * 7919 + 17);
  const optimizer = makeOptimizer(o);
  const decayed = model.trainableWeights.filter((v) => v.shape.length >= 2).map((v) => v.read() as tf.Variable);
  const vars = model.trainableWeights.map((v) => v.read() as tf.Variable);
  const order = new Int32Array(o.data.n);
  const xb = new Float32Array(o.batchSize * pixels);
  const xa = new Float32Array(o.batchSize * pixels);
  const yb = new Int32Array(o.batchSize);
  const checkpoint = async (local: number) => {
    if (marks.has(local) && o.onCheckpoint) await o.onCheckpoint({ step: stepOffset + local, epoch: epochOffset + local / perEpoch, model });
  };
  await checkpoint(0);
  let step = 0;
  try {
    for (let epoch = 0; epoch < o.epochs; epoch++) {
      for (let i = 0; i < order.length; i++) order[i] = i;
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        const t = order[i]!;
        order[i] = order[j]!;
        order[j] = t;
      }
      for (let b = 0; b < perEpoch; b++) {
        if (o.signal?.aborted) throw new InpcaAbortError("training");
        for (let k = 0; k < o.batchSize; k++) {
          const idx = order[b * o.batchSize + k]!;
          xb.set(o.data.images.subarray(idx * pixels, (idx + 1) * pixels), k * pixels);
          yb[k] = o.data.labels[idx]!;
        }
        if (o.augment) shiftCropFlip(xb, xa, o.batchSize, h, w, random);
        if (o.cosine !== false) setLearningRate(optimizer, cosineLearningRate(o.lr, step, total, warmup));
        tf.tidy(() => {
          const x = tf.tensor4d(o.augment ? xa : xb, [o.batchSize, h, w, 1]);
          const y = tf.tensor1d(yb, "int32");
          const objective = () => {
            const logits = model.apply(x, { training: true }) as tf.Tensor2D;
            let loss = crossEntropy(logits, y);
            if (o.weightDecay > 0) loss = tf.add(loss, tf.mul(o.weightDecay / 2, tf.addN(decayed.map((v) => tf.sum(tf.square(v)))))) as tf.Scalar;
            return loss;
          };
          if (o.clipNorm === undefined) optimizer.minimize(objective, false, vars);
          else {
            const { grads } = tf.variableGrads(objective, vars);
            const names = Object.keys(grads);
            const norm = tf.sqrt(tf.addN(names.map((k) => tf.sum(tf.square(grads[k]!))))).dataSync()[0]!;
            const scale = norm > o.clipNorm ? o.clipNorm / norm : 1;
            optimizer.applyGradients(scale === 1 ? grads : Object.fromEntries(names.map((k) => [k, tf.mul(grads[k]!, scale)])) as tf.NamedTensorMap);
          }
        });
        step++;
        o.onStep?.(step, total);
        await checkpoint(step);
      }
    }
  } finally {
    optimizer.dispose();
  }
  return total;
}
