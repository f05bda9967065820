/**
 * Weights are never predictions: files of model parameters in every readable format (fixtures written by real
 * torch.save, h5py and NumPy: test/fixtures/weights/make.py) are refused by every loader with "model weights,
 * not predictions", naming the file and the route (the Python recorder, or ONNX with inputs); real prediction
 * files, whatever their array is called, still load.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { InpcaInputError } from "../../src/core/errors.js";
import { checkpointSource } from "../../src/io/checkpoints/source.js";
import { loadCheckpoints } from "../../src/io/checkpoints/load.js";
import { openArrayFile } from "../../src/io/formats/registry.js";
import { hdf5Source } from "../../src/io/formats/hdf5/source.js";
import { loadPredictionsJson } from "../../src/io/formats/json.js";
import { writeNpy } from "../../src/io/formats/npy.js";
import { looksLikeParameters } from "../../src/io/formats/parameters.js";
import { writeSafetensors } from "../../src/io/formats/safetensors.js";

const fixtures = join(__dirname, "..", "fixtures", "weights");
const tmp = mkdtempSync(join(tmpdir(), "inpca-weights-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const quiet = { log: false as const };

/** The fixture folders, each a run of weight files, with one file of each to name in the error. */
const WEIGHT_FILES: [string, string][] = [
  ["torch/mlp-s0", "epoch_1.pt"], // model.state_dict()
  ["optimizer", "epoch_2.pt"], // optimizer.state_dict()
  ["optimizer-fresh", "epoch_0.pt"], // optimizer.state_dict() before the first step: param_groups only
  ["training-checkpoint", "epoch_2.pt"], // {"epoch", "model_state_dict", "optimizer_state_dict"}
  ["safetensors", "epoch_2.safetensors"],
  ["npz", "epoch_2.npz"],
  ["npz-positional", "epoch_2.npz"], // np.savez(path, *weights)
  ["npz-numbered", "epoch_2.npz"], // W1, b1, W2, b2
  ["keras", "epoch_2.h5"], // model.save: model_weights/...
  ["keras-weights", "epoch_2.h5"], // model.save_weights: dense/dense/kernel:0 ...
  ["tfjs", "epoch_2.json"], // model.json content: modelTopology + weightsManifest
  ["tfjs-manifest", "epoch_2.json"], // a bare weights manifest
];

/** Awaits `p` and returns the InpcaInputError it rejects with (fails the test when it resolves or throws another error). */
async function refusal(p: Promise<unknown>): Promise<InpcaInputError> {
  const e = await p.then(() => null, (x: unknown) => x);
  expect(e, "expected a refusal").toBeInstanceOf(InpcaInputError);
  return e as InpcaInputError;
}

function expectWeightsRefusal(e: InpcaInputError, file: string): void {
  expect(e.message).toContain("model weights, not predictions");
  expect(e.file).toBe(file);
  expect(e.message.startsWith(`${file}: `)).toBe(true);
  expect(e.message).toContain("record predictions with the Python recorder that ships in inpca (python/inpca_recorder.py; docs/pytorch.md)");
  expect(e.message).toMatch(/ONNX and pass options\.inputs \(.*\{ data: Float32Array, shape: \[samples, \.\.\.\] \}/);
}

describe("loaders refuse model weights", () => {
  for (const [dir, first] of WEIGHT_FILES) {
    it(`loadCheckpoints and checkpointSource refuse ${dir}/ (naming ${first})`, async () => {
      const folder = join(fixtures, dir);
      expectWeightsRefusal(await refusal(loadCheckpoints(folder, quiet)), join(folder, first));
      expectWeightsRefusal(await refusal(checkpointSource(folder, quiet)), join(folder, first));
      // the file alone, too
      expectWeightsRefusal(await refusal(loadCheckpoints(join(folder, first), quiet)), join(folder, first));
    });
  }

  it("an explicit array naming a parameter is refused, not read as [samples, classes] logits (the issue's case)", async () => {
    const folder = join(fixtures, "torch", "mlp-s0");
    for (const array of ["net.4.weight", "net.1.weight"]) {
      expectWeightsRefusal(await refusal(loadCheckpoints(folder, { ...quiet, array })), join(folder, "epoch_1.pt"));
    }
    const npz = join(fixtures, "npz-positional");
    expectWeightsRefusal(await refusal(loadCheckpoints(npz, { ...quiet, array: "arr_2" })), join(npz, "epoch_2.npz"));
  });

  it("a parameter named by `array` is refused even beside real predictions", async () => {
    const d = join(tmp, "mixed");
    mkdirSync(d);
    writeFileSync(join(d, "step_1.safetensors"), writeSafetensors({
      probs: { data: new Float32Array([0.25, 0.75, 0.5, 0.5]), shape: [2, 2] },
      "head.weight": { data: new Float32Array([1, 2, 3, 4]), shape: [2, 2] },
    }));
    // without `array` the predictions are taken; with the parameter's name, refused
    const set = await loadCheckpoints(d, quiet);
    expect(Array.from(set.probs)).toEqual([0.25, 0.75, 0.5, 0.5]);
    const e = await refusal(loadCheckpoints(d, { ...quiet, array: "head.weight" }));
    expectWeightsRefusal(e, join(d, "step_1.safetensors"));
    expect(e.message).toContain("head.weight");
  });

  it("hdf5Source refuses a Keras file, and loadPredictionsJson a tfjs model.json", async () => {
    const keras = join(fixtures, "keras", "epoch_2.h5");
    expectWeightsRefusal(await refusal(hdf5Source(keras, "model_weights/dense/dense/kernel:0")), keras);
    const tfjs = join(fixtures, "tfjs", "epoch_2.json");
    expectWeightsRefusal(await refusal(Promise.resolve().then(() => loadPredictionsJson(tfjs))), tfjs);
  });

  it("the files stay readable as arrays (openArrayFile lists the parameters): only reading them as predictions is refused", async () => {
    const f = await openArrayFile(join(fixtures, "torch", "mlp-s0", "epoch_1.pt"));
    expect(f.names).toContain("net.4.weight");
    expect(f.shape("net.4.weight")).toEqual([3, 16]);
    f.close();
  });
});

describe("prediction files still load", () => {
  const probs = Float32Array.from([0.1, 0.9, 0.6, 0.4, 0.3, 0.7]);
  const logits = Float32Array.from([1.5, -0.5, 0.2, 0.1, -2, 3]);
  for (const name of ["probs", "logits", "predictions", "outputs", "train.probs", "output/logits"]) {
    it(`a file whose one array is "${name}"`, async () => {
      const d = join(tmp, `named-${name.replace(/\W/g, "_")}`);
      mkdirSync(d);
      const data = name.includes("logits") ? logits : probs;
      for (const step of [1, 2]) writeFileSync(join(d, `step_${step}.safetensors`), writeSafetensors({ [name]: { data, shape: [3, 2] } }));
      const set = await loadCheckpoints(d, quiet);
      expect([set.models, set.samples, set.classes]).toEqual([2, 3, 2]);
    });
  }

  it("an unnamed array (.npy), and predictions beside labels and steps in an npz-like safetensors", async () => {
    const d = join(tmp, "bare");
    mkdirSync(d);
    for (const step of [1, 2]) writeFileSync(join(d, `step_${step}.npy`), writeNpy(probs, [3, 2]));
    expect((await loadCheckpoints(d, quiet)).models).toBe(2);
    const e = join(tmp, "with-labels");
    mkdirSync(e);
    writeFileSync(join(e, "step_1.safetensors"), writeSafetensors({
      scores: { data: probs, shape: [3, 2] },
      labels: { data: Int32Array.from([1, 0, 1]), shape: [3], dtype: "I32" },
    }));
    const set = await loadCheckpoints(e, quiet);
    expect(Array.from(set.labels!)).toEqual([1, 0, 1]);
  });

  it("a torch file of predictions beside the optimizer state (real torch.save) loads its predictions", async () => {
    const dir = join(fixtures, "not-weights", "probs-and-optimizer");
    const set = await loadCheckpoints(dir, quiet);
    expect([set.models, set.samples, set.classes]).toEqual([1, 10, 3]);
    // but an optimizer buffer asked for by name is not predictions
    expectWeightsRefusal(await refusal(loadCheckpoints(dir, { ...quiet, array: "optimizer.state.4.exp_avg" })), join(dir, "epoch_2.pt"));
  });

  it("an explicit array is held to the predictions' contract: at least 2 classes, as many samples as labels", async () => {
    const d = join(tmp, "contract");
    mkdirSync(d);
    writeFileSync(join(d, "step_1.safetensors"), writeSafetensors({
      probs: { data: probs, shape: [3, 2] },
      confidence: { data: Float32Array.from([0.9, 0.6, 0.7]), shape: [3, 1] },
    }));
    const one = await refusal(loadCheckpoints(d, { ...quiet, array: "confidence" }));
    expect(one.message).toMatch(/step_1\.safetensors\[confidence\]: array of shape \[3, 1\] has 1 class; predictions are \[samples, classes\] with at least 2 classes/);
    const few = await refusal(loadCheckpoints(d, { ...quiet, array: "probs", labels: [0, 1] }));
    expect(few.message).toMatch(/2 labels, but the checkpoints have 3 samples/);
  });
});

describe("looksLikeParameters", () => {
  it("recognises parameter names, markers and positional layer chains", () => {
    expect(looksLikeParameters(["net.0.weight", "net.0.bias"])?.reason).toBe("arrays named like layer parameters");
    expect(looksLikeParameters(["bn.running_mean", "bn.running_var", "bn.num_batches_tracked"])).not.toBeNull();
    expect(looksLikeParameters(["dense/kernel:0"])).not.toBeNull();
    expect(looksLikeParameters(["weightsManifest"])?.reason).toMatch(/TensorFlow\.js/);
    expect(looksLikeParameters(["model_weights/dense/dense/bias:0"])?.reason).toMatch(/Keras/);
    expect(looksLikeParameters(["state.0.momentum_buffer"])?.reason).toMatch(/optimizer/);
    expect(looksLikeParameters(["W1", "b1"])).not.toBeNull();
    expect(looksLikeParameters(["arr_0", "arr_1", "arr_2"], [[16, 12], [16], [3, 16]])?.reason).toMatch(/chain like layers/);
  });

  it("leaves prediction files alone", () => {
    for (const names of [[""], ["probs"], ["logits", "labels"], ["predictions", "steps"], ["outputs"], ["train.probs", "test.probs"],
      ["probs", "head.weight"], ["W"], ["arr_0"], ["yh", "epochs"], ["probs", "optimizer.state.0.exp_avg", "optimizer.param_groups"]]) {
      expect(looksLikeParameters(names), names.join(", ")).toBeNull();
    }
    // positional arrays that do not chain: predictions of two splits and labels
    expect(looksLikeParameters(["arr_0", "arr_1", "arr_2"], [[50, 10], [20, 10], [50]])).toBeNull();
  });
});
