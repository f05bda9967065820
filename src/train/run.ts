/**
 * One training run of the model zoo, recorded into a zoo folder: build the network, optionally pre-train it
 * from a "corner" (random labels or a small subset, paper appendix E.1), train it, and record predictions on
 * the evaluation samples at the dense-early, sparse-late schedule, flagging both phases.
 */
import * as tf from "@tensorflow/tfjs";
import type { ConfigValue } from "../core/meta.js";
import { uniform } from "../linalg/random.js";
import type { RunWriter, ZooRun } from "../io/stores/zoo/index.js";
import { type Architecture, buildModel } from "./models.js";
import { type EvaluationSets, recordCheckpoint } from "./record.js";
import { denseEarlySparseLate, evenSteps } from "./schedule.js";
import { type LabelledImages, type OptimizerConfig, stepsPerEpoch, trainPhase } from "./train.js";

/** Everything that defines a run; stored as the run's configuration in the manifest. */
export interface RunSpec extends OptimizerConfig {
  /** The run id (file name stem in the zoo). */
  id: string;
  /** The architecture. */
  arch: Architecture;
  /** Seed of initialisation and data order. */
  seed: number;
  /** Epochs to train. */
  epochs: number;
  /** Corner initialisation: pre-train on fully random labels, or on a small class-balanced subset. */
  corner?: "random-labels" | "subset" | null;
  /** Epochs of the pre-training phase (corner runs). */
  pretrainEpochs?: number;
  /**
   * Images per class of the pre-training data: the "subset" corner's subset (default 30); for the
   * "random-labels" corner, the images whose labels are randomised (default: every image).
   */
  subsetPerClass?: number;
  /** Extra configuration fields to store (group names, notes). */
  extra?: Record<string, ConfigValue>;
}

/** The configuration stored in the manifest for `spec` (everything but the id). */
export function runConfig(spec: RunSpec, trainSize: number): Record<string, ConfigValue> {
  return {
    arch: spec.arch,
    optimizer: spec.optimizer,
    batchSize: spec.batchSize,
    lr: spec.lr,
    weightDecay: spec.weightDecay,
    augment: spec.augment,
    seed: spec.seed,
    epochs: spec.epochs,
    trainSize,
    corner: spec.corner ?? null,
    warmupEpochs: spec.warmupEpochs ?? 0,
    ...(spec.clipNorm !== undefined ? { clipNorm: spec.clipNorm } : {}),
    ...(spec.corner ? { pretrainEpochs: spec.pretrainEpochs ?? 0 } : {}),
    ...(spec.corner && spec.subsetPerClass !== undefined ? { subsetPerClass: spec.subsetPerClass } : {}),
    ...(spec.extra ?? {}),
  };
}

/**
 * Final train error above which a run is flagged `trained: false`: the paper's filter (configurations above 0.1
 * are dropped from its analyses); recorded in the manifest as `trainedThreshold`.
 */
export const TRAINED_THRESHOLD = 0.1;

/**
 * Trains `spec` on `data`, recording into `run` (opened by the caller with `ZooWriter.startRun`), and
 * finishes the run with its wall time, backend and `trained` flag. `onStep` reports (steps done, total).
 */
export async function trainRun(spec: RunSpec, data: LabelledImages, evalSets: EvaluationSets, run: RunWriter, options: { onStep?: (done: number, total: number) => void; signal?: AbortSignal } = {}): Promise<ZooRun> {
  const started = Date.now();
  const model = buildModel(spec.arch, spec.seed);
  try {
    let stepOffset = 0;
    let epochOffset = 0;
    const pre = spec.corner ? cornerData(spec, data) : null;
    const preEpochs = spec.corner ? spec.pretrainEpochs ?? 5 : 0;
    const preSteps = pre ? stepsPerEpoch(pre.n, spec.batchSize) * preEpochs : 0;
    const mainSteps = stepsPerEpoch(data.n, spec.batchSize) * spec.epochs;
    const total = preSteps + mainSteps;
    if (pre) {
      const per = stepsPerEpoch(pre.n, spec.batchSize);
      stepOffset = await trainPhase(model, {
        ...spec,
        data: pre,
        epochs: preEpochs,
        seed: spec.seed + 5000,
        // the pre-training is recorded sparsely (its end is the corner the run starts from): 12 even steps
        checkpointSteps: evenSteps(preEpochs * per, 12),
        onCheckpoint: (e) => void recordCheckpoint(run, e.model, evalSets, { step: e.step, epoch: e.epoch, phase: "pretrain" }),
        onStep: (s) => options.onStep?.(s, total),
        signal: options.signal,
      });
      epochOffset = preEpochs;
    }
    const per = stepsPerEpoch(data.n, spec.batchSize);
    // the first checkpoint of the main phase repeats the last of the pre-training: skip it
    const steps = denseEarlySparseLate(spec.epochs, per).filter((s) => !pre || s > 0);
    await trainPhase(model, {
      ...spec,
      data,
      seed: spec.seed,
      stepOffset,
      epochOffset,
      checkpointSteps: steps,
      onCheckpoint: (e) => void recordCheckpoint(run, e.model, evalSets, { step: e.step, epoch: e.epoch, ...(pre ? { phase: "train" } : {}) }),
      onStep: (s) => options.onStep?.(preSteps + s, total),
      signal: options.signal,
    });
    const last = run.run.checkpoints[run.run.checkpoints.length - 1];
    const finalTrainError = typeof last?.trainError === "number" ? last.trainError : NaN;
    return run.finish({ trained: finalTrainError <= TRAINED_THRESHOLD, wallSeconds: Math.round((Date.now() - started) / 100) / 10, backend: tf.getBackend() });
  } finally {
    model.dispose();
  }
}

/**
 * The pre-training data of a corner run: a class-balanced subset of `subsetPerClass` images per class (the
 * first ones of each class in `data`'s order), with uniformly random labels for the "random-labels" corner
 * (all of `data` when `subsetPerClass` is not set), or with their true labels for the "subset" corner.
 */
function cornerData(spec: RunSpec, data: LabelledImages): LabelledImages {
  const random = uniform(spec.seed * 131 + 7);
  const per = spec.subsetPerClass ?? (spec.corner === "random-labels" ? Infinity : 30);
  const pixels = (data.size?.[0] ?? 28) * (data.size?.[1] ?? 28);
  const taken: number[] = [];
  const count = new Array<number>(10).fill(0);
  for (let i = 0; i < data.n; i++) {
    const y = data.labels[i]!;
    if (count[y]! < per) {
      count[y]!++;
      taken.push(i);
    }
  }
  const images = new Float32Array(taken.length * pixels);
  taken.forEach((i, k) => images.set(data.images.subarray(i * pixels, (i + 1) * pixels), k * pixels));
  const labels = spec.corner === "random-labels" ? Int32Array.from(taken, () => Math.floor(random() * 10)) : Int32Array.from(taken.map((i) => data.labels[i]!));
  return { images, labels, n: taken.length, size: data.size };
}
