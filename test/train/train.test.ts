/**
 * Training with the library's own code: determinism, tfjs checkpoints saved and loaded back through
 * loadCheckpoints without tfjs-node, the recorder callback for model.fit, and the quick zoo end to end.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, truncateSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCheckpoints } from "../../src/io/checkpoints/load.js";
import { FASHION_MNIST_DIR, loadFashionMnist } from "../../src/io/formats/idx.js";
import { loadTfjsModel, saveTfjsCheckpoint } from "../../src/train/checkpoints.js";
import { loadZoo } from "../../src/io/stores/zoo/index.js";
import { chooseBackend } from "../../src/train/backend.js";
import { buildModel } from "../../src/train/models.js";
import { evaluate, recordPredictions, softmaxEvaluation } from "../../src/train/record.js";
import { cosineLearningRate, denseEarlySparseLate, evenSteps } from "../../src/train/schedule.js";
import { logitsLoss, trainPhase, type LabelledImages } from "../../src/train/train.js";
import { skipWhen } from "../helpers/skip.js";

const tmp = mkdtempSync(join(tmpdir(), "inpca-train-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const haveData = existsSync(join(FASHION_MNIST_DIR, "train-images-idx3-ubyte.gz"));
const noData = !haveData && `no Fashion-MNIST under ${FASHION_MNIST_DIR} (Debian package dataset-fashion-mnist)`;
if (noData) console.warn(`train tests skipped: ${noData}`);

let data: LabelledImages;
let evalSet: LabelledImages;
beforeAll(async () => {
  await chooseBackend();
  if (!haveData) return;
  const d = loadFashionMnist("train");
  expect(d.shape).toEqual([60000, 28, 28, 1]);
  data = { images: d.images.slice(0, 512 * 784), labels: d.labels.slice(0, 512), n: 512 };
  evalSet = { images: d.images.slice(59000 * 784, 59100 * 784), labels: d.labels.slice(59000, 59100), n: 100 };
});

const opts = { optimizer: "nesterov" as const, lr: 0.05, batchSize: 64, weightDecay: 5e-4, augment: true };

describe("training", skipWhen(noData), () => {
  it("is deterministic: same seed, same backend → identical predictions after an epoch (ViT, with augmentation)", async () => {
    const probs: Float32Array[] = [];
    for (let k = 0; k < 2; k++) {
      const m = buildModel("vit", 3);
      await trainPhase(m, { ...opts, data, epochs: 1, seed: 3 });
      probs.push(evaluate(m, evalSet).probs);
      m.dispose();
    }
    expect(Array.from(probs[1]!)).toEqual(Array.from(probs[0]!));
    const other = buildModel("vit", 4);
    await trainPhase(other, { ...opts, data, epochs: 1, seed: 4 });
    expect(Array.from(evaluate(other, evalSet).probs)).not.toEqual(Array.from(probs[0]!));
    other.dispose();
  });

  it("lowers the loss: an MLP after 3 epochs on 512 images beats chance by far", async () => {
    const m = buildModel("mlp", 0);
    const before = evaluate(m, data);
    await trainPhase(m, { ...opts, augment: false, data, epochs: 3, seed: 0 });
    const after = evaluate(m, data);
    expect(before.error).toBeGreaterThan(0.6);
    expect(after.error).toBeLessThan(0.35);
    expect(after.loss).toBeLessThan(before.loss / 2);
    m.dispose();
  });
});

describe("schedules", () => {
  it("warm-up rises linearly to lr0, then the cosine falls from lr0 to 0 over the remaining steps", () => {
    const lr0 = 0.4, total = 100, warmup = 10;
    const lr = Array.from({ length: total + 1 }, (_, s) => cosineLearningRate(lr0, s, total, warmup));
    for (let s = 0; s < warmup; s++) expect(lr[s]).toBeCloseTo((lr0 * (s + 1)) / warmup, 15);
    expect(lr[warmup]).toBeCloseTo(lr0, 15);
    // halfway through the cosine part: lr0 / 2; at the end: 0
    expect(lr[warmup + 45]).toBeCloseTo(lr0 / 2, 12);
    expect(lr[total]).toBeCloseTo(0, 15);
    for (let s = warmup; s < total; s++) expect(lr[s + 1]!).toBeLessThan(lr[s]!);
    // without warm-up it is the plain cosine
    expect(cosineLearningRate(1, 25, 100)).toBeCloseTo(0.5 * (1 + Math.cos(Math.PI / 4)), 15);
  });

  it("evenSteps spreads count steps over 0..total, both ends included, unique", () => {
    expect(evenSteps(200, 12)).toEqual([0, 18, 36, 55, 73, 91, 109, 127, 145, 164, 182, 200]);
    expect(evenSteps(3, 12)).toEqual([0, 1, 2, 3]);
  });

  it("the paper's schedule keeps at least 40 checkpoints for the zoo's 40 epochs at 10 and 5 steps per epoch", () => {
    expect(denseEarlySparseLate(40, 10).length).toBe(43);
    expect(denseEarlySparseLate(40, 5).length).toBeGreaterThanOrEqual(40);
  });
});

describe("gradient clipping", () => {
  it("one SGD step with clipNorm equals the step along the gradient scaled to that global norm", async () => {
    await chooseBackend();
    // a linear model on 100 random images: gradient by hand, then compare
    const n = 100;
    const images = new Float32Array(n * 784).map((_, i) => ((i * 2654435761) % 1000) / 1000);
    const labels = Int32Array.from({ length: n }, (_, i) => i % 10);
    const input = tf.input({ shape: [28, 28, 1] });
    const flat = tf.layers.flatten().apply(input) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: 10, kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }).apply(flat) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: out });
    const w0 = model.getWeights().map((w) => Float32Array.from(w.dataSync()));
    const x = tf.tensor4d(images, [n, 28, 28, 1]);
    const { grads } = tf.variableGrads(() => {
      const logits = model.apply(x) as tf.Tensor2D;
      return tf.mean(tf.sub(tf.logSumExp(logits, 1), tf.sum(tf.mul(logits, tf.oneHot(tf.tensor1d(labels, "int32"), 10)), 1))) as tf.Scalar;
    }, model.trainableWeights.map((v) => v.read() as tf.Variable));
    const g = Object.values(grads).map((t) => Float32Array.from(t.dataSync()));
    const norm = Math.sqrt(g.reduce((a, v) => a + v.reduce((b, u) => b + u * u, 0), 0));
    const clip = norm / 4;
    await trainPhase(model, { optimizer: "sgd", lr: 0.5, batchSize: n, weightDecay: 0, augment: false, cosine: false, clipNorm: clip, data: { images, labels, n }, epochs: 1, seed: 0 });
    const w1 = model.getWeights().map((w) => w.dataSync());
    expect(norm).toBeGreaterThan(clip);
    w1.forEach((w, k) => w.forEach((v, i) => expect(v).toBeCloseTo(w0[k]![i]! - (0.5 * clip / norm) * g[k]![i]!, 5)));
    model.dispose();
  });
});

describe("the learning-rate schedule reaches the optimizer", () => {
  // A linear softmax model on 60 tiny images, one full batch per step: every step's update recomputed by hand in
  // float64 from that step's own gradient and the scheduled rate (warm-up 2 steps, then the cosine), for each
  // optimizer's textbook update. Before the fix, SGD and Nesterov ignored the schedule and ran at lr0 throughout.
  const n = 60, h = 2, w = 3, P = h * w, C = 4, epochs = 6, lr0 = 0.3;
  const images = new Float32Array(n * P).map((_, i) => (((i * 2654435761) >>> 0) % 1000) / 1000 - 0.5);
  const labels = Int32Array.from({ length: n }, (_, i) => (i * 7) % C);
  function gradient(W: Float64Array, b: Float64Array): [Float64Array, Float64Array] {
    const gW = new Float64Array(P * C), gb = new Float64Array(C);
    for (let i = 0; i < n; i++) {
      const z = Array.from({ length: C }, (_, c) => b[c]! + Array.from({ length: P }, (_, j) => images[i * P + j]! * W[j * C + c]!).reduce((a, v) => a + v, 0));
      const m = Math.max(...z), e = z.map((v) => Math.exp(v - m)), s = e.reduce((a, v) => a + v, 0);
      for (let c = 0; c < C; c++) {
        const r = (e[c]! / s - (labels[i] === c ? 1 : 0)) / n;
        gb[c] += r;
        for (let j = 0; j < P; j++) gW[j * C + c] += images[i * P + j]! * r;
      }
    }
    return [gW, gb];
  }
  for (const optimizer of ["sgd", "nesterov", "adam"] as const) {
    it(`${optimizer}: every step moves the weights by the scheduled rate`, async () => {
      await chooseBackend();
      const input = tf.input({ shape: [h, w, 1] });
      const flat = tf.layers.flatten().apply(input) as tf.SymbolicTensor;
      const out = tf.layers.dense({ units: C, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }).apply(flat) as tf.SymbolicTensor;
      const model = tf.model({ inputs: input, outputs: out });
      const [W0, b0] = model.getWeights().map((t) => Float64Array.from(t.dataSync()));
      const seen: Float64Array[][] = [];
      await trainPhase(model, {
        optimizer, lr: lr0, batchSize: n, weightDecay: 0, augment: false, warmupEpochs: 2, data: { images, labels, n, size: [h, w] }, epochs, seed: 0,
        onStep: () => void seen.push(model.getWeights().map((t) => Float64Array.from(t.dataSync()))),
      });
      // the reference, step by step
      let W = W0!, b = b0!;
      const state = [W, b].map((v) => ({ m: new Float64Array(v.length), v: new Float64Array(v.length) }));
      const rates = Array.from({ length: epochs }, (_, t) => cosineLearningRate(lr0, t, epochs, 2));
      expect(new Set(rates).size).toBeGreaterThan(3); // the schedule does vary
      for (let t = 0; t < epochs; t++) {
        const g = gradient(W, b);
        const next = [W, b].map((p, k) => p.map((x, i) => {
          const gi = g[k]![i]!, st = state[k]!;
          if (optimizer === "sgd") return x - rates[t]! * gi;
          if (optimizer === "nesterov") {
            st.m[i] = 0.9 * st.m[i]! + gi;
            return x - rates[t]! * (gi + 0.9 * st.m[i]!);
          }
          st.m[i] = 0.9 * st.m[i]! + 0.1 * gi;
          st.v[i] = 0.999 * st.v[i]! + 0.001 * gi * gi;
          const mh = st.m[i]! / (1 - 0.9 ** (t + 1)), vh = st.v[i]! / (1 - 0.999 ** (t + 1));
          return x - (rates[t]! * mh) / (Math.sqrt(vh) + 1e-7);
        }));
        [W, b] = next as [Float64Array, Float64Array];
        const got = seen[t]!;
        for (const [k, ref] of [W, b].entries()) {
          const err = Math.max(...ref.map((v, i) => Math.abs(v - got[k]![i]!)));
          expect(err, `step ${t}, ${k === 0 ? "kernel" : "bias"}`).toBeLessThan(2e-5);
        }
      }
      model.dispose();
    });
  }
});

describe("logitsLoss", () => {
  it("equals the cross-entropy of the softmax, computed by hand", () => {
    const logits = [0, Math.log(3), 2, -1];
    const loss = logitsLoss(tf.tensor2d([0, 1, 1, 0], [2, 2]), tf.tensor2d(logits, [2, 2])).dataSync()[0]!;
    const want = (Math.log(1 + 3) - Math.log(3) + Math.log(Math.exp(2) + Math.exp(-1)) - 2) / 2;
    expect(loss).toBeCloseTo(want, 6);
  });
});

describe("softmaxEvaluation", () => {
  it("matches the closed form on hand-made logits, including huge ones", () => {
    const ev = softmaxEvaluation([0, 0, Math.log(2), 1000, 0, -1000], [2, 1], 3);
    expect(ev.probs[0]).toBeCloseTo(0.25, 7);
    expect(ev.probs[2]).toBeCloseTo(0.5, 7);
    expect(ev.probs[3]).toBe(1);
    expect(ev.error).toBe(0.5); // sample 0 right (class 2), sample 1 wrong
    expect(ev.loss).toBeCloseTo((Math.log(4 / 2) + 1000) / 2, 9);
  });
});

describe("tfjs checkpoints (model.json + weights.bin) written and read with plain file I/O", skipWhen(noData), () => {
  it("loadCheckpoints runs each checkpoint folder on the inputs, in step order, equal to evaluating the live model", async () => {
    const dir = join(tmp, "ckpts", "vit-run");
    const m = buildModel("vit", 1);
    const expected: Float32Array[] = [];
    for (const step of [0, 8, 16]) {
      if (step > 0) await trainPhase(m, { ...opts, data: { ...data, n: 512 }, epochs: 1, seed: step });
      await saveTfjsCheckpoint(m, join(dir, `ckpt-${String(step).padStart(6, "0")}`));
      expected.push(evaluate(m, evalSet).probs);
    }
    m.dispose();
    const set = await loadCheckpoints(dir, { inputs: { images: evalSet.images, shape: [100, 28, 28, 1] }, labels: evalSet.labels });
    expect([set.models, set.samples, set.classes]).toEqual([3, 100, 10]);
    expect(set.meta.map((p) => p.step)).toEqual([0, 8, 16]);
    for (let k = 0; k < 3; k++) {
      const got = set.probs.subarray(k * 1000, (k + 1) * 1000);
      let d = 0;
      for (let i = 0; i < 1000; i++) d = Math.max(d, Math.abs(got[i]! - expected[k]![i]!));
      expect(d).toBeLessThan(1e-6);
    }
  });

  it("a truncated weight shard or a missing model.json piece is named", async () => {
    const dir = join(tmp, "broken");
    const m = buildModel("mlp", 1);
    await saveTfjsCheckpoint(m, dir);
    m.dispose();
    const shard = join(dir, "weights.bin");
    truncateSync(shard, statSync(shard).size - 4);
    await expect(loadTfjsModel(dir)).rejects.toThrow(/broken\/model\.json: the weight shards hold \d+ bytes but the manifest's weights need \d+/);
    rmSync(shard);
    await expect(loadTfjsModel(dir)).rejects.toThrow(/weights\.bin: weight shard missing/);
  });
});

describe("recordPredictions (a model.fit callback)", skipWhen(noData), () => {
  it("records the paper's schedule into a zoo that loads back with the right shapes", async () => {
    const dir = join(tmp, "fit-zoo");
    const m = buildModel("mlp", 2);
    m.compile({ optimizer: tf.train.adam(1e-3), loss: logitsLoss });
    const x = tf.tensor4d(data.images, [512, 28, 28, 1]);
    const y = tf.oneHot(tf.tensor1d(data.labels, "int32"), 10);
    const cb = recordPredictions(m, { train: { ...data, n: 200, images: data.images.subarray(0, 200 * 784), labels: data.labels.subarray(0, 200) }, test: evalSet }, "paper", { dir, id: "mlp-fit", config: { arch: "mlp" }, dataset: "Fashion-MNIST" });
    await m.fit(x, y, { epochs: 2, batchSize: 64, callbacks: [cb], verbose: 0 });
    x.dispose();
    y.dispose();
    const zoo = loadZoo(dir);
    const run = zoo.run("mlp-fit");
    expect(run.finished).toBe(true);
    expect(run.checkpoints.map((c) => c.step)).toEqual(denseEarlySparseLate(2, 8));
    const test = zoo.predictions("test");
    expect([test.models, test.samples, test.classes]).toEqual([run.checkpoints.length, 100, 10]);
    expect(run.checkpoints.at(-1)!.testError!).toBeLessThan(run.checkpoints[0]!.testError!);
    m.dispose();
  });
});

describe("npm run zoo -- --quick", skipWhen(noData), () => {
  it("trains the tiny zoo, resumes without retraining, and its manifest and predictions load back", () => {
    const out = join(tmp, "quick");
    const run = () => execFileSync("npx", ["tsx", "scripts/zoo.ts", "--quick", "--out", out], { cwd: join(__dirname, "..", ".."), encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    const log = run();
    expect(log).toMatch(/3 runs, 0 already finished, 3 to train/);
    const zoo = loadZoo(out);
    expect(zoo.runs.map((r) => r.id)).toEqual(["mlp-nesterov-b100-nowd-noaug-s0", "vit-nesterov-b100-nowd-noaug-s0", "mlp-nesterov-b100-nowd-noaug-randlabels-s0"]);
    for (const r of zoo.runs) expect(r.finished).toBe(true);
    const corner = zoo.run("mlp-nesterov-b100-nowd-noaug-randlabels-s0");
    expect(new Set(corner.checkpoints.map((c) => c.phase))).toEqual(new Set(["pretrain", "train"]));
    const steps = corner.checkpoints.map((c) => c.step);
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
    expect(new Set(steps).size).toBe(steps.length);
    // the pre-training is recorded at 12 even steps at most; the recipe is in the stored configuration
    expect(corner.checkpoints.filter((c) => c.phase === "pretrain").length).toBeLessThanOrEqual(12);
    expect(zoo.run("vit-nesterov-b100-nowd-noaug-s0").config).toMatchObject({ warmupEpochs: 2, clipNorm: 1, batchSize: 100, trainSize: 500 });
    const train = zoo.predictions("train");
    expect([train.samples, train.classes]).toEqual([100, 10]);
    expect(train.models).toBe(zoo.checkpoints);
    expect(run()).toMatch(/3 runs, 3 already finished, 0 to train/);
  }, 120_000);
});
