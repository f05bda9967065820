/**
 * `inpca/train`: training with tfjs (backend choice, the zoo's architectures, the training loop, recording
 * predictions) and TensorFlow.js checkpoints. The only part of inpca that loads tfjs.
 */
export { chooseBackend, tf } from "./backend.js";
export { registerWasmFallbacks } from "./kernels.js";
export { ARCHITECTURES, buildModel, registerLayers, type Architecture } from "./models.js";
export { crossEntropy, logitsLoss, stepsPerEpoch, trainPhase, type CheckpointEvent, type LabelledImages, type OptimizerConfig, type PhaseOptions } from "./train.js";
export { evaluate, recordCheckpoint, recordPredictions, softmaxEvaluation, type EvaluationSets, type Evaluation, type RecordOptions, type CheckpointListener } from "./record.js";
export { cosineLearningRate, denseEarlySparseLate, evenSteps } from "./schedule.js";
export { runConfig, trainRun, TRAINED_THRESHOLD, type RunSpec } from "./run.js";
export { shiftCropFlip } from "./augment.js";
export { evaluateTfjsCheckpoint, loadTfjsModel, saveTfjsCheckpoint, type TfjsInputs } from "./checkpoints.js";
