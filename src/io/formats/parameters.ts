/**
 * Telling model weights from predictions. InPCA compares what models *predict* on fixed samples; a file of
 * parameters (a PyTorch state_dict or optimizer state, Keras HDF5, safetensors / npz of weights, a TensorFlow.js
 * weights manifest) holds matrices that look like [samples, classes] arrays but mean nothing of the kind. Every
 * loader asks `looksLikeParameters` about a file's array names (and shapes) before picking the predictions, and
 * refuses a parameter file with `parametersError`, which names the route to predictions.
 *
 * The rule: a file with an array named like predictions (probs, logits, predictions, outputs, ... as the name
 * or its last segment) is never parameters (it keeps its predictions beside whatever else); otherwise any one of:
 * 1. a marker of a weights container: a TensorFlow.js `weightsManifest` / `modelTopology`, a Keras
 *    `model_weights/` or `optimizer_weights/` group, a PyTorch optimizer state (`state.<n>.<buffer>`, `param_groups`);
 * 2. arrays named like layer parameters (a path, `.` or `/` separated, ending in weight, bias, running_mean,
 *    running_var, num_batches_tracked, kernel, gamma, beta, moving_mean, ..., or in an optimizer buffer: exp_avg,
 *    momentum_buffer, ...; `:0` suffixes ignored);
 * 3. at least two numbered bare parameter names (W1, b1, w_2, ...);
 * 4. positional arrays only (`arr_0`, `arr_1`, ... of `np.savez(path, *weights)`) whose matrices chain like
 *    layers: one's leading size is another's trailing size, with a 1-D array (a bias) as long as a leading size.
 * A file of one unnamed array ("") is never parameters by name: it is judged as predictions (shape, values).
 */
import { InpcaInputError } from "../../core/errors.js";
import { fix } from "../../core/fixes.js";

/** Where predictions come from when a user has weights: shown in every refusal. */
export const RECORDER_ROUTE = "record predictions with the Python recorder that ships in inpca (python/inpca_recorder.py; docs/pytorch.md)";

/** Last path segments that name a layer parameter or a running statistic. */
const PARAMETER_LEAVES = new Set([
  "weight", "bias", "running_mean", "running_var", "num_batches_tracked", "kernel", "recurrent_kernel", "depthwise_kernel",
  "pointwise_kernel", "gamma", "beta", "moving_mean", "moving_variance", "in_proj_weight", "in_proj_bias", "weight_g", "weight_v",
]);
/** Leaves of recurrent-layer parameters (weight_ih_l0, bias_hh_l1_reverse, ...). */
const RECURRENT_LEAF = /^(weight|bias)_(ih|hh|hr)_l\d+(_reverse)?$/;
/** Buffers of a PyTorch optimizer's per-parameter state. */
const OPTIMIZER_LEAVES = new Set(["exp_avg", "exp_avg_sq", "max_exp_avg_sq", "momentum_buffer", "square_avg", "acc_delta", "grad_avg"]);
/** Names (or last segments) that hold predictions. */
const PREDICTION_LEAVES = new Set([
  "probs", "probabilities", "predictions", "prediction", "preds", "pred", "logits", "logprobs", "log_probs", "logprobabilities",
  "softmax", "outputs", "output", "yhat", "yh", "scores",
]);

/** Why a file's arrays look like model parameters, with a few of the names that show it. */
export interface ParameterEvidence {
  /** What was recognised, e.g. "arrays named like layer parameters". */
  reason: string;
  /** Up to three names (with shapes when known) that show it. */
  examples: string[];
}

function segments(name: string): string[] {
  return name.split(/[./]/).filter((s) => s.length > 0).map((s) => s.replace(/:\d+$/, ""));
}

/** Whether `name` is a path ending in a parameter's name (`net.0.weight`, `dense/kernel:0`). */
export function isParameterName(name: string): boolean {
  const seg = segments(name);
  if (seg.length < 2) return false;
  const leaf = seg[seg.length - 1]!.toLowerCase();
  return PARAMETER_LEAVES.has(leaf) || RECURRENT_LEAF.test(leaf) || OPTIMIZER_LEAVES.has(leaf);
}

/** Whether `name` is a numbered bare parameter name (W1, b2, w_0, kernel3). */
function isNumberedParameter(name: string): boolean {
  return /^(w|b|weights?|bias(es)?|kernel)[_-]?\d+$/i.test(name);
}

function isPredictionName(name: string): boolean {
  const seg = segments(name);
  const leaf = (seg[seg.length - 1] ?? "").toLowerCase();
  return PREDICTION_LEAVES.has(name.toLowerCase()) || PREDICTION_LEAVES.has(leaf) || [...PREDICTION_LEAVES].some((p) => leaf.startsWith(`${p}_`) || leaf.endsWith(`_${p}`));
}

function marker(name: string): string | null {
  const seg = segments(name);
  if (seg.some((s) => s === "weightsManifest" || s === "modelTopology")) return "a TensorFlow.js weights manifest";
  if (/^\/?(model_weights|optimizer_weights)(\/|$)/.test(name)) return "a Keras model file (model_weights group)";
  for (let i = 0; i + 2 < seg.length; i++) {
    if (seg[i] === "state" && /^\d+$/.test(seg[i + 1]!)) return "a PyTorch optimizer state (state.<n>.<buffer>)";
  }
  if (seg.includes("param_groups")) return "a PyTorch optimizer state (param_groups)";
  return null;
}

/** Shapes of a file's arrays: `shapes[i]` of `names[i]`, or a function of the name (asked lazily); undefined when unknown. */
export type ShapesOf = readonly (readonly number[] | undefined)[] | ((name: string) => readonly number[] | undefined);

/**
 * Whether a file whose arrays are `names` (with their `shapes`, used for the positional rule and the message)
 * holds model parameters rather than predictions, by the rule of the module comment; null when it does not.
 */
export function looksLikeParameters(names: readonly string[], shapes: ShapesOf = []): ParameterEvidence | null {
  const shapeOf = (n: string): readonly number[] | undefined => {
    try {
      return typeof shapes === "function" ? shapes(n) : shapes[names.indexOf(n)];
    } catch {
      return undefined; // an unreadable header: reading the array reports it
    }
  };
  const show = (n: string) => {
    const s = shapeOf(n);
    return s ? `${n} [${s.join(", ")}]` : n;
  };
  // a file that names its predictions holds them, whatever else it keeps (an optimizer state, the weights)
  if (names.some(isPredictionName)) return null;
  for (const n of names) {
    const m = marker(n);
    if (m) return { reason: m, examples: names.filter((x) => marker(x) === m).slice(0, 3).map(show) };
  }
  const params = names.filter(isParameterName);
  if (params.length > 0) return { reason: "arrays named like layer parameters", examples: params.slice(0, 3).map(show) };
  const numbered = names.filter(isNumberedParameter);
  if (numbered.length >= 2) return { reason: "arrays named like layer weights and biases", examples: numbered.slice(0, 3).map(show) };
  if (names.length >= 3 && names.every((n) => /^arr_\d+$/.test(n))) {
    const known = names.map((n) => ({ n, s: shapeOf(n) })).filter((x): x is { n: string; s: readonly number[] } => x.s !== undefined);
    const mats = known.filter((x) => x.s.length >= 2);
    const vecs = known.filter((x) => x.s.length === 1);
    for (const a of mats) {
      for (const b of mats) {
        if (a === b || b.s[b.s.length - 1] !== a.s[0]) continue;
        const bias = vecs.find((v) => v.s[0] === a.s[0] || v.s[0] === b.s[0]);
        if (bias) return { reason: "positional arrays that chain like layers (weights and biases)", examples: [a.n, b.n, bias.n].map(show) };
      }
    }
  }
  return null;
}

/**
 * The refusal of a parameter file `file` (an InpcaInputError naming it, what was recognised, and the route to
 * predictions: the Python recorder, or ONNX run on `inputs`).
 */
export function parametersError(file: string, evidence: ParameterEvidence): InpcaInputError {
  return new InpcaInputError(
    `holds model weights, not predictions (${evidence.reason}: ${evidence.examples.join(", ")}). ` +
      `InPCA compares what models predict on the same samples, so each checkpoint must be its outputs, [samples, classes], ` +
      `not its parameters: ${RECORDER_ROUTE}, or export each checkpoint to ONNX and pass ${fix("inputs")}`,
    { file },
  );
}

/**
 * Throws `parametersError` when the arrays `names` of `file` look like parameters, or when `array` (a name the
 * caller chose) is itself a parameter's name. `shape(name)` gives shapes for the messages and the positional rule.
 */
export function refuseParameters(file: string, names: readonly string[], shape?: (name: string) => readonly number[] | undefined, array?: string): void {
  const evidence = looksLikeParameters(names, shape ?? []);
  if (evidence) throw parametersError(file, evidence);
  if (array !== undefined && (isParameterName(array) || isNumberedParameter(array))) {
    throw parametersError(file, { reason: `the array asked for is named like a layer parameter`, examples: [array] });
  }
}
