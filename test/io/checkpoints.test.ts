import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { InpcaAbortError, InpcaInputError, type PredictionSet } from "../../src/core/index.js";
import { discoverCheckpoints, loadCheckpoints, naturalCompare, parseCheckpointName, registerModelEvaluator } from "../../src/io/checkpoints/load.js";
import { loadNpy, writeNpy } from "../../src/io/formats/npy.js";
import { writeSafetensors } from "../../src/io/formats/safetensors.js";

const dir = join(__dirname, "..", "fixtures", "checkpoints");
const d = (...p: string[]) => join(dir, ...p);
const expected = (name: string) => loadNpy(d("expected", `${name}.npy`)).data;
const ylab = [0, 1, 2, 3, 0, 1]; // scripts/fixtures.py
const tmp = mkdtempSync(join(tmpdir(), "inpca-ckpt-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A fresh folder under the temporary directory with [S, C] float32 .npy files. */
function folder(name: string, files: Record<string, number[][]>): string {
  const p = join(tmp, name);
  mkdirSync(p, { recursive: true });
  for (const [file, rows] of Object.entries(files)) writeFileSync(join(p, file), writeNpy(Float32Array.from(rows.flat()), [rows.length, rows[0]!.length]));
  return p;
}

/** Exact float32 agreement with NumPy's float32 arrays; within a few ulps where the encoding was converted. */
function expectProbs(set: PredictionSet, ref: ArrayLike<number>, exact = true): void {
  expect(set.probs.length).toBe(ref.length);
  set.probs.forEach((v, i) => {
    if (exact) expect(v).toBe(Math.fround(ref[i]!));
    else expect(Math.abs(v - ref[i]!)).toBeLessThanOrEqual(4e-7 * Math.max(ref[i]!, 1e-30) + 1e-12);
  });
}

describe("loadCheckpoints on folders written by NumPy, h5py and hand-written safetensors", () => {
  it("npy files ordered epoch_1, epoch_2, epoch_10, with the config.json sidecar and labels.npy", async () => {
    const set = await loadCheckpoints(d("run-npy"), { split: "train" });
    expect(set.shape).toEqual([3, 6, 4]);
    expect(set.meta.map((m) => m.epoch)).toEqual([1, 2, 10]);
    expect(set.meta.map((m) => m.step)).toEqual([0, 1, 2]); // epoch-only names: step is the index
    expect(set.meta[0]).toMatchObject({ run: "mlp-s0", split: "train", config: { arch: "mlp", lr: 0.1, seed: 0, milestones: "[30,60]" } });
    expect(set.meta[2]!.file).toMatch(/run-npy[/\\]epoch_10\.npy$/);
    expect(set.split).toBe("train");
    expectProbs(set, expected("run-npy"));
    expect(Array.from(set.labels!)).toEqual(ylab);
    // error and loss per checkpoint, recomputed here from NumPy's probabilities
    const ref = expected("run-npy");
    set.meta.forEach((row, m) => {
      let wrong = 0;
      let loss = 0;
      for (let n = 0; n < 6; n++) {
        const p = Array.from({ length: 4 }, (_, c) => ref[(m * 6 + n) * 4 + c]!);
        if (p.indexOf(Math.max(...p)) !== ylab[n]) wrong++;
        loss -= Math.log(p[ylab[n]!]!);
      }
      expect(row.error).toBeCloseTo(wrong / 6, 12);
      expect(row.loss).toBeCloseTo(loss / 6, 6);
    });
    const spe = await loadCheckpoints(d("run-npy"), { stepsPerEpoch: 390 });
    expect(spe.meta.map((m) => m.step)).toEqual([390, 780, 3900]);
  });

  it("safetensors logits named step=500/1000/1500: detected as logits, softmaxed in float64, labels from inside the files", async () => {
    const set = await loadCheckpoints(d("run-safetensors"));
    expect(set.meta.map((m) => m.step)).toEqual([500, 1000, 1500]);
    expect(set.meta[0]!.run).toBe("run-safetensors");
    expectProbs(set, expected("run-safetensors"), false);
    expect(Array.from(set.labels!)).toEqual(ylab);
  });

  it("HDF5 ckpt-000500.h5: float16 'probs' by default, gzip log-probabilities by name", async () => {
    const f16 = await loadCheckpoints(d("run-h5"));
    expect(f16.meta.map((m) => m.step)).toEqual([500, 1000]);
    expectProbs(f16, expected("run-h5-f16"), true);
    const lp = await loadCheckpoints(d("run-h5"), { array: "log_probs" });
    expectProbs(lp, expected("run-h5-logprobs"), false);
    await expect(loadCheckpoints(d("run-h5"), { array: "logits" })).rejects.toThrow(/ckpt-000500\.h5: no array "logits" \(arrays: log_probs, probs\)/);
  });

  it("one folder per checkpoint (e1, e2, e12) with predictions.npz and a meta.json sidecar", async () => {
    const set = await loadCheckpoints(d("run-folders"));
    expect(set.meta.map((m) => [m.epoch, m.step, m.loss])).toEqual([[1, 100, 1], [2, 200, 0.5], [12, 1200, 1 / 12]]);
    expect(set.meta[2]!.file).toMatch(/run-folders[/\\]e12$/);
    expectProbs(set, expected("run-folders"));
    expect(set.labels).toBeNull();
  });

  it("JSON checkpoints (nested lists)", async () => {
    const set = await loadCheckpoints(d("run-json"));
    expect(set.meta.map((m) => m.step)).toEqual([0, 100]);
    expectProbs(set, expected("run-json"));
  });

  it("the authors' style: run folders named by their JSON configuration, selected with a glob", async () => {
    const set = await loadCheckpoints(`${d("authors")}/*/`);
    expect(set.runs()).toEqual(["arch=allcnn,bs=200,lr=0.1,seed=0", "arch=fc,bs=500,lr=0.05,seed=1"]);
    expect(set.meta.map((m) => m.epoch)).toEqual([0, 5, 0, 5]);
    expect(set.meta[2]!.config).toEqual({ arch: "fc", bs: 500, lr: 0.05, seed: 1 });
    const both = new Float64Array([...expected("authors-allcnn"), ...expected("authors-fc")]);
    expectProbs(set, both);
    const trajectories = set.trajectories();
    expect(trajectories.map((t) => t.config.arch)).toEqual(["allcnn", "fc"]);
  });

  it("... and files named by configuration plus epoch in one folder, grouped into runs", async () => {
    const runs = discoverCheckpoints(d("authors-flat"));
    expect(runs.map((r) => r.run)).toEqual(["authors-flat/arch=allcnn,seed=0", "authors-flat/arch=allcnn,seed=1"]);
    expect(runs[0]!.checkpoints.map((c) => c.epoch)).toEqual([1, 3]);
    expect(runs[1]!.config).toEqual({ arch: "allcnn", seed: 1 });
    const set = await loadCheckpoints(d("authors-flat"), { run: (r) => `allcnn-s${r.config.seed}`, config: { dataset: "toy" } });
    expect(set.runs()).toEqual(["allcnn-s0", "allcnn-s1"]);
    expect(set.meta[3]!.config).toEqual({ arch: "allcnn", seed: 1, dataset: "toy" });
    await expect(loadCheckpoints(d("authors-flat"), { run: "one" })).rejects.toThrow(/run: one id \("one"\) given, but 2 runs were found .*pass a function instead/);
  });

  it("a ** glob over run folders, and a per-file sidecar <name>.json", async () => {
    const runs = discoverCheckpoints(`${d("authors")}/**/epoch_*.npy`);
    expect(runs.map((r) => [r.run, r.checkpoints.length])).toEqual([["arch=allcnn,bs=200,lr=0.1,seed=0", 2], ["arch=fc,bs=500,lr=0.05,seed=1", 2]]);
    const p = folder("file-sidecar", { "step_1.npy": [[0.25, 0.75]], "step_2.npy": [[0.5, 0.5]] });
    writeFileSync(join(p, "step_2.json"), JSON.stringify({ epoch: 0.5, error: 0.3, config: { note: "half" } }));
    const set = await loadCheckpoints(p, { labels: [1] });
    expect(set.size).toBe(2); // the sidecar is not a checkpoint
    expect(set.meta[1]).toMatchObject({ step: 2, epoch: 0.5, error: 0.3, config: { note: "half" } });
    expect(set.meta[1]!.loss).toBeCloseTo(Math.log(2), 6); // computed from the labels, the sidecar has none
    expect(set.meta[0]).toMatchObject({ step: 1, error: 0 });
  });

  it("a list of paths, explicit labels (array or file) and an explicit kind", async () => {
    const files = ["epoch_10.npy", "epoch_1.npy"].map((n) => d("run-npy", n));
    const set = await loadCheckpoints(files, { labels: null, run: "pick" });
    expect(set.meta.map((m) => m.epoch)).toEqual([1, 10]);
    expect(set.labels).toBeNull();
    const withLabels = await loadCheckpoints(d("run-json"), { labels: d("run-npy", "labels.npy"), requireLabels: true });
    expect(Array.from(withLabels.labels!)).toEqual(ylab);
    const arr = await loadCheckpoints(d("run-json"), { labels: ylab });
    expect(arr.meta[1]!.error).toBeTypeOf("number");
    // epoch_1 holds probabilities, epoch_2 logits: with kind given both are read as logits
    const forced = await loadCheckpoints(d("bad-kind"), { kind: "logits" });
    expect(forced.size).toBe(2);
  });
});

describe("checkpoint names", () => {
  it("parses step and epoch in the usual spellings", () => {
    const cases: [string, { step?: number; epoch?: number }][] = [
      ["epoch_2.npy", { epoch: 2 }], ["epoch_10", { epoch: 10 }], ["step=500.safetensors", { step: 500 }],
      ["ckpt-000500.h5", { step: 500 }], ["e12", { epoch: 12 }], ["model_e12.npz", { epoch: 12 }],
      ["lr1e-3_epoch_5.npy", { epoch: 5 }], ["epoch_3_step_1500", { step: 1500, epoch: 3 }], ["it300", { step: 300 }],
      ["global_step2000", { step: 2000 }], ["epoch=2.5.npy", { epoch: 2.5 }], ["ep7", { epoch: 7 }], ["final", {}],
      ["iteration-42", { step: 42 }], ["000123", { step: 123 }],
    ];
    for (const [name, want] of cases) {
      const got = parseCheckpointName(name);
      expect({ step: got.step, epoch: got.epoch }, name).toEqual({ step: want.step, epoch: want.epoch });
    }
    expect(parseCheckpointName('{"arch":"allcnn","bs":200,"epoch":4}.npy')).toEqual({ step: undefined, epoch: 4, config: { arch: "allcnn", bs: 200 } });
  });

  it("natural sort puts epoch_2 before epoch_10", () => {
    const names = ["epoch_10", "epoch_2", "Epoch_1", "epoch_02", "epoch_100", "a"];
    expect([...names].sort(naturalCompare)).toEqual(["a", "Epoch_1", "epoch_2", "epoch_02", "epoch_10", "epoch_100"]);
  });
});

describe("loadCheckpoints errors name the file and the problem, and return nothing", () => {
  it("NaN, Infinity, shape mismatch within a run, mixed encodings, wrong label count, stacked arrays", async () => {
    const cases: [string, RegExp][] = [
      ["bad-nan", /bad-nan[/\\]epoch_2\.npy: NaN at sample 3, class 2/],
      ["bad-inf", /bad-inf[/\\]epoch_1\.npy: Infinity at sample 4, class 1/],
      ["bad-shape", /bad-shape[/\\]epoch_2\.npy: shape \[5, 4\] differs from \[6, 4\] of .*bad-shape[/\\]epoch_1\.npy \(checkpoints of run "bad-shape" must all have the same shape\)/],
      ["bad-kind", /bad-kind[/\\]epoch_2\.npy: holds logits but .*epoch_1\.npy holds probabilities; pass options\.kind/],
      ["bad-labels", /bad-labels[/\\]labels\.npy: 5 labels, but the checkpoints have 6 samples/],
      ["bad-3d", /bad-3d[/\\]epoch_1\.npy: array of shape \[2, 6, 4\]; a checkpoint must be \[samples, classes\] \(2 checkpoints in one array\?/],
      ["empty", /empty: no checkpoints: no \.npy\/.*files and no checkpoint folders/],
      ["tfjs", /tfjs[/\\]step_10: is a TensorFlow\.js LayersModel checkpoint \(model\.json\): .*pass options\.inputs/],
    ];
    for (const [name, message] of cases) {
      await expect(loadCheckpoints(d(name)), name).rejects.toThrow(message);
      await expect(loadCheckpoints(d(name)), name).rejects.toBeInstanceOf(InpcaInputError);
    }
    expect(() => discoverCheckpoints(folder("really-empty", {}))).toThrow(/really-empty: no checkpoints/);
  });

  it("a tfjs folder goes to the registered evaluator; without one, the error says what to import", async () => {
    const inputs = { images: new Float32Array(4), shape: [1, 2, 2] };
    await expect(loadCheckpoints(d("tfjs"), { inputs })).rejects.toThrow(/step_10: is a TensorFlow\.js checkpoint: evaluating it needs inpca's training module, which is not loaded; import "inpca\/train"/);
    const seen: string[] = [];
    registerModelEvaluator("tfjs", (folder) => {
      seen.push(folder);
      return { data: new Float32Array([0.25, 0.75]), shape: [1, 2] };
    });
    const set = await loadCheckpoints(d("tfjs"), { inputs, log: false });
    expect(seen).toEqual([d("tfjs", "step_10")]);
    expect(Array.from(set.probs)).toEqual([0.25, 0.75]);
  });

  it("paths, globs, labels and numbering problems", async () => {
    await expect(loadCheckpoints(d("nowhere"))).rejects.toThrow(/nowhere: no such file or folder/);
    await expect(loadCheckpoints(`${d("run-npy")}/*.h5`)).rejects.toThrow(/\*\.h5: the pattern matched no file or folder/);
    await expect(loadCheckpoints(d("run-json"), { requireLabels: true })).rejects.toThrow(/no labels found for .*run-json: looked for labels\.npy/);
    await expect(loadCheckpoints(d("run-json"), { labels: d("run-json", "labels.npy") })).rejects.toThrow(/run-json[/\\]labels\.npy: labels file not found/);
    await expect(loadCheckpoints(d("run-json"), { labels: [0, 1, 2] })).rejects.toThrow(/options\.labels: 3 labels, but the checkpoints have 6 samples/);
    await expect(loadCheckpoints(d("run-json"), { labels: [0, 1, 2, 3, 0, 9] })).rejects.toThrow(/options\.labels: label 5 is 9, outside the 4 classes/);
    const u = [[0.5, 0.5]];
    const dup = folder("dup", { "epoch_1.npy": u, "epoch_01.npy": u });
    await expect(loadCheckpoints(dup)).rejects.toThrow(/dup[/\\]epoch_01\.npy: same epoch 1 as .*dup[/\\]epoch_1\.npy; one of them is a duplicate/);
    const unnumbered = folder("unnumbered", { "epoch_1.npy": u, "final.npy": u });
    await expect(loadCheckpoints(unnumbered)).rejects.toThrow(/unnumbered[/\\]final\.npy: no step or epoch number in the name, while other checkpoints/);
    const a = folder("runA", { "step_1.npy": [[0.5, 0.5], [0.5, 0.5]] });
    const b = folder("runB", { "step_1.npy": u });
    await expect(loadCheckpoints([a, b])).rejects.toThrow(/runB[/\\]step_1\.npy: shape \[1, 2\] differs from \[2, 2\] of .*runA[/\\]step_1\.npy \(runs must share the same samples and classes\)/);
    const st = join(tmp, "two-arrays");
    mkdirSync(st);
    writeFileSync(join(st, "step_1.safetensors"), writeSafetensors({ a: { data: new Float32Array([0.5, 0.5]), shape: [1, 2] }, b: { data: new Float32Array([0.5, 0.5]), shape: [1, 2] } }));
    await expect(loadCheckpoints(st)).rejects.toThrow(/step_1\.safetensors: several arrays could be the predictions \(a, b\); pass options\.array/);
    expect((await loadCheckpoints(st, { array: "b" })).size).toBe(1);
    const ac = new AbortController();
    ac.abort();
    await expect(loadCheckpoints(d("run-npy"), { signal: ac.signal })).rejects.toBeInstanceOf(InpcaAbortError);
  });
});

describe("size", () => {
  it("200 npy checkpoints of 100 samples × 10 classes, named step_50 … step_10000, load in order", async () => {
    const p = join(tmp, "many");
    mkdirSync(p);
    const S = 100;
    const C = 10;
    const order = Array.from({ length: 200 }, (_, k) => k).sort((x, y) => ((x * 7919) % 200) - ((y * 7919) % 200)); // write in a scrambled order
    for (const k of order) {
      const probs = new Float32Array(S * C).fill(0.5 / (C - 1));
      for (let n = 0; n < S; n++) probs[n * C + (k % C)] = 0.5; // checkpoint k puts 0.5 on class k mod 10
      writeFileSync(join(p, `step_${(k + 1) * 50}.npy`), writeNpy(probs, [S, C]));
    }
    const t0 = performance.now();
    const set = await loadCheckpoints(p, { labels: null });
    const ms = performance.now() - t0;
    console.log(`loadCheckpoints: 200 files of ${S}×${C} in ${ms.toFixed(0)} ms`);
    expect(set.shape).toEqual([200, S, C]);
    expect(set.meta.map((m) => m.step)).toEqual(Array.from({ length: 200 }, (_, k) => (k + 1) * 50));
    for (let m = 0; m < 200; m++) expect(set.probs[m * S * C + (m % C)]).toBe(0.5);
  });
});

describe("layouts researchers already have", () => {
  it("per-seed HDF5 files (float16, LZ4, [checkpoints, samples, classes]) load as one run per file, labels from labels/", async () => {
    const set = await loadCheckpoints(d("per-seed-h5"), { split: "train" });
    expect(set.models).toBe(12);
    expect([...new Set(set.meta.map((m) => m.run))]).toEqual(["seed_0", "seed_1", "seed_2"]);
    expect(set.meta.slice(0, 4).map((m) => m.epoch)).toEqual([0, 1, 5, 20]);
    for (const seed of [0, 1, 2]) {
      const e = expected(`per-seed-h5-${seed}`);
      const got = set.probs.subarray(seed * e.length, (seed + 1) * e.length);
      // stored rounded to 3 decimals in float16, kept as stored (the distances divide each row by its sum)
      for (let i = 0; i < e.length; i++) expect(got[i]).toBe(e[i]);
    }
    expect(Array.from(set.labels!)).toEqual([0, 1, 2, 3, 0, 1]);
    const test = await loadCheckpoints(d("per-seed-h5"), { split: "test" });
    expect(Array.from(test.labels!)).toEqual([1, 0, 3, 2, 1, 0]);
  });

  it("a folder of run folders loads every run, with the labels of the parent folder; so does the glob form", async () => {
    for (const input of [d("parent-of-runs"), `${d("parent-of-runs")}/*/`]) {
      const set = await loadCheckpoints(input);
      expect([...new Set(set.meta.map((m) => m.run))]).toEqual(["run-a", "run-b"]);
      expect(set.meta.map((m) => m.epoch)).toEqual([1, 2, 3, 1, 2, 3]);
      expect(Array.from(set.labels!)).toEqual([0, 1, 2, 3, 0, 1]);
      const a = expected("parent-of-runs-run-a");
      for (let i = 0; i < a.length; i++) expect(set.probs[i]).toBeCloseTo(a[i]!, 6);
    }
  });
});
