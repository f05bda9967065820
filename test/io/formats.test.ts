import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { InpcaInputError } from "../../src/core/index.js";
import { isLabelsFile } from "../../src/io/checkpoints/walk.js";
import { discoverCheckpoints, loadCheckpoints } from "../../src/io/checkpoints/load.js";
import { ARRAY_EXTENSIONS, ARRAY_FORMATS, arrayFormatOf, CHECKPOINT_EXTENSIONS, checkpointFileFormat, openArrayFile, pickLabelArray, pickPredictionArray } from "../../src/io/formats/registry.js";
import { findLabelsFile, loadLabelsFile } from "../../src/io/checkpoints/labels.js";
import { writeNpy } from "../../src/io/formats/npy.js";
import { writeSafetensors } from "../../src/io/formats/safetensors.js";

const tmp = mkdtempSync(join(tmpdir(), "inpca-formats-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const fixtures = join(__dirname, "..", "fixtures", "checkpoints");

/** K checkpoints of S samples × C classes: row-normalised, distinct per checkpoint. */
function stack(K: number, S: number, C: number): Float32Array {
  const out = new Float32Array(K * S * C);
  for (let k = 0; k < K; k++) for (let s = 0; s < S; s++) {
    let sum = 0;
    for (let c = 0; c < C; c++) sum += out[(k * S + s) * C + c] = 1 + ((k * 7 + s * 3 + c * 5) % 11);
    for (let c = 0; c < C; c++) out[(k * S + s) * C + c] /= sum;
  }
  return out;
}

describe("the array-format registry", () => {
  it("maps every extension to one format, and checkpoint files add only .onnx", () => {
    const all = ARRAY_FORMATS.flatMap((f) => f.extensions);
    expect(new Set(all).size).toBe(all.length);
    expect(ARRAY_EXTENSIONS).toEqual(all);
    for (const f of ARRAY_FORMATS) for (const e of f.extensions) {
      expect(arrayFormatOf(`a/b/x${e.toUpperCase()}`)?.name).toBe(f.name);
      expect(checkpointFileFormat(`x${e}`)).toBe(f.name);
      expect(isLabelsFile(`labels.train${e}`)).toBe(true);
      expect(isLabelsFile(`step_3${e}`)).toBe(false);
    }
    expect(CHECKPOINT_EXTENSIONS.filter((e) => !all.includes(e))).toEqual([".onnx"]);
    expect(checkpointFileFormat("model.onnx")).toBe("onnx");
    expect(arrayFormatOf("model.onnx")).toBeUndefined();
    expect(arrayFormatOf("notes.txt")).toBeUndefined();
  });

  it("on files written by NumPy, h5py, torch and safetensors, the shapes listed without reading agree with the arrays read", async () => {
    const files: [string, string[], number[]][] = [
      [join(fixtures, "run-npy", "epoch_1.npy"), [""], [6, 4]],
      [join(fixtures, "run-folders", "e1", "predictions.npz"), ["probs"], [6, 4]],
      [join(fixtures, "run-h5", "ckpt-000500.h5"), ["log_probs", "probs"], [6, 4]],
      [join(fixtures, "run-json", "step_0.json"), [""], [6, 4]],
      [join(fixtures, "run-safetensors", "step=500.safetensors"), ["labels", "logits"], [6, 4]],
      [join(fixtures, "..", "torch", "run", "step_0.pt"), [""], [12, 4]],
    ];
    const seen = new Set<string>();
    for (const [file, names, predictions] of files) {
      const f = await openArrayFile(file);
      seen.add(arrayFormatOf(file)!.name);
      try {
        expect([...f.names].sort()).toEqual(names);
        for (const n of f.names) {
          const a = f.read(n);
          expect(f.shape(n)).toEqual(a.shape);
          expect(a.data.length).toBe(a.shape.reduce((x, y) => x * y, 1));
        }
        expect(f.shape(pickPredictionArray(f))).toEqual(predictions);
      } finally {
        f.close();
      }
    }
    expect(seen).toEqual(new Set(ARRAY_FORMATS.map((f) => f.name)));
  });

  it("picks predictions and labels by the names people use", () => {
    const shapes: Record<string, number[]> = { probs_test: [5, 3], probs_train: [6, 3], labels_train: [6], y: [5], steps: [4] };
    const f = { file: "f.npz", names: Object.keys(shapes), shape: (n: string) => shapes[n]! };
    expect(pickPredictionArray(f, { split: "train" })).toBe("probs_train");
    expect(pickPredictionArray(f, { split: "test" })).toBe("probs_test");
    expect(() => pickPredictionArray(f)).toThrow(/several arrays could be the predictions \(probs_test, probs_train\)/);
    expect(() => pickPredictionArray(f, { array: "nope" })).toThrow(/no array "nope" \(arrays: probs_test/);
    expect(pickLabelArray(f.names, { split: "train" })).toBe("labels_train");
    expect(pickLabelArray(f.names, { split: "test" })).toBe("y");
    expect(pickLabelArray(["probs"])).toBeUndefined();
    expect(pickLabelArray(["whatever"], { labelsFile: true })).toBe("whatever");
    expect(pickLabelArray([""])).toBe("");
  });

  it("refuses what is not an array file, naming it", async () => {
    const txt = join(tmp, "notes.txt");
    writeFileSync(txt, "x");
    await expect(openArrayFile(txt)).rejects.toThrow(InpcaInputError);
    await expect(openArrayFile(txt)).rejects.toThrow(/notes\.txt.*not an array file \(readable: \.npy, \.npz/);
    await expect(loadLabelsFile(join(tmp, "labels.csv"))).rejects.toThrow(/labels file not found/);
    writeFileSync(join(tmp, "labels.csv"), "0,1");
    await expect(loadLabelsFile(join(tmp, "labels.csv"))).rejects.toThrow(/labels file must be one of \.npy, \.npz/);
  });
});

describe("through the registry, every format with header shapes can be a run file", () => {
  it("a [checkpoints, samples, classes] safetensors file with steps loads as one run, equal to the same .npy run file", async () => {
    const [K, S, C] = [4, 5, 3];
    const probs = stack(K, S, C);
    const dir = join(tmp, "runfiles");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "seed0.safetensors"), writeSafetensors({ probs: { data: probs, shape: [K, S, C] }, steps: { data: Int32Array.of(0, 10, 30, 70), shape: [K], dtype: "I32" } }));
    writeFileSync(join(dir, "seed1.npy"), writeNpy(probs, [K, S, C]));
    writeFileSync(join(dir, "seed1.json"), JSON.stringify({ steps: [0, 10, 30, 70] }));
    writeFileSync(join(dir, "labels.npy"), writeNpy(Int32Array.of(0, 1, 2, 0, 1), [S]));
    const set = await loadCheckpoints(dir, { log: false });
    expect(set.runs()).toEqual(["seed0", "seed1"]);
    expect(set.meta.map((m) => m.step)).toEqual([0, 10, 30, 70, 0, 10, 30, 70]);
    expect(Array.from(set.probs.subarray(0, K * S * C))).toEqual(Array.from(probs));
    expect(Array.from(set.probs.subarray(K * S * C))).toEqual(Array.from(probs));
    expect(findLabelsFile(dir)).toBe(join(dir, "labels.npy"));
    expect(set.labels && Array.from(set.labels)).toEqual([0, 1, 2, 0, 1]);
  });

  it("a run file holding train and test arrays gives the split's own; an ambiguous one is refused at discovery", async () => {
    const [K, S, C] = [3, 4, 2];
    const dir = join(tmp, "two-splits");
    mkdirSync(dir, { recursive: true });
    const train = stack(K, S, C);
    const test = stack(K, S, C).map((v, i) => (i % C === 0 ? 0.25 : 0.75));
    writeFileSync(join(dir, "seed0.safetensors"), writeSafetensors({ train: { data: train, shape: [K, S, C] }, test: { data: test, shape: [K, S, C] } }));
    const got = await loadCheckpoints(dir, { split: "test", log: false, labels: null });
    expect(got.meta.map((m) => m.step)).toEqual([0, 1, 2]);
    expect(Array.from(got.probs)).toEqual(Array.from(test));
    expect(() => discoverCheckpoints(dir)).toThrow(/seed0\.safetensors: several arrays could be the predictions \(test, train\)/);
  });

  it("labels beside the checkpoints: .npy, then .json, then .npz (the order it always was)", async () => {
    const dir = join(tmp, "label-order");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "labels.npz"), "not read");
    writeFileSync(join(dir, "labels.json"), "[0, 1]");
    expect(findLabelsFile(dir)).toBe(join(dir, "labels.json"));
    writeFileSync(join(dir, "labels.npy"), writeNpy(Int32Array.of(1, 0), [2]));
    expect(findLabelsFile(dir)).toBe(join(dir, "labels.npy"));
  });

  it("float16 safetensors checkpoints get the float16 row-sum tolerance (C·2⁻¹⁰), float32 ones the default 1e-3", async () => {
    const C = 10, S = 3;
    const rows = new Float32Array(S * C).fill(0.1004); // rows sum to 1.004: within 10·2⁻¹⁰ ≈ 0.0098, beyond 1e-3
    for (const [dtype, ok] of [["F16", true], ["F32", false]] as const) {
      const dir = join(tmp, `f16-${dtype}`);
      mkdirSync(dir, { recursive: true });
      for (const step of [0, 1]) writeFileSync(join(dir, `step_${step}.safetensors`), writeSafetensors({ probs: { data: rows, shape: [S, C], dtype } }));
      const load = loadCheckpoints(dir, { log: false, kind: "probabilities" });
      if (ok) expect((await load).models).toBe(2);
      else await expect(load).rejects.toThrow(/sum/);
    }
  });

  it("a safetensors file named for a step stays one checkpoint, and a stacked array there is refused by name", async () => {
    const dir = join(tmp, "named");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "step_1.safetensors"), writeSafetensors({ probs: { data: stack(2, 5, 3), shape: [2, 5, 3] } }));
    writeFileSync(join(dir, "step_2.safetensors"), writeSafetensors({ probs: { data: stack(1, 5, 3), shape: [5, 3] } }));
    await expect(loadCheckpoints(dir, { log: false })).rejects.toThrow(/step_1\.safetensors\[probs\].*array of shape \[2, 5, 3\]; a checkpoint must be \[samples, classes\]/);
  });
});
