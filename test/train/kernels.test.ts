/**
 * Gradient checks of the wasm fallback kernels (src/train/kernels.ts) against the cpu backend's own kernels,
 * on random inputs, for the stride/padding/multiplier cases the model zoo uses and a few it does not.
 */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { beforeAll, describe, expect, it } from "vitest";
import { registerWasmFallbacks } from "../../src/train/kernels.js";

function rand(shape: number[], seed: number): Float32Array {
  let s = seed >>> 0;
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32 - 0.5;
  }
  return out;
}

async function on<T>(backend: string, f: () => tf.Tensor): Promise<Float32Array> {
  await tf.setBackend(backend);
  const t = f();
  const v = (await t.data()) as Float32Array;
  t.dispose();
  return v;
}

function maxRelDiff(a: Float32Array, b: Float32Array): number {
  let scale = 0;
  let d = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]!));
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
  }
  return d / scale;
}

beforeAll(async () => {
  registerWasmFallbacks();
  await tf.setBackend("wasm");
  await tf.ready();
  await tf.setBackend("cpu");
});

describe("Conv2D filter gradient on wasm equals the cpu backend's", () => {
  const cases: [string, number[], number[], number, "same" | "valid"][] = [
    ["3x3 stride 1 same", [3, 9, 9, 2], [3, 3, 2, 4], 1, "same"],
    ["3x3 stride 2 same", [2, 10, 10, 3], [3, 3, 3, 5], 2, "same"],
    ["3x3 stride 2 valid (odd size)", [2, 11, 11, 3], [3, 3, 3, 2], 2, "valid"],
    ["7x7 stride 7 patches", [2, 28, 28, 1], [7, 7, 1, 6], 7, "valid"],
    ["1x1 stride 1", [4, 5, 5, 6], [1, 1, 6, 3], 1, "valid"],
  ];
  for (const [name, xs, ws, s, pad] of cases) {
    it(name, async () => {
      const x = rand(xs, 1);
      const w = rand(ws, 2);
      const f = () => {
        const g = tf.grad((W: tf.Tensor) => tf.conv2d(tf.tensor4d(x, xs as [number, number, number, number]), W as tf.Tensor4D, s, pad).square().sum());
        return g(tf.tensor4d(w, ws as [number, number, number, number]));
      };
      const cpu = await on("cpu", f);
      const wasm = await on("wasm", f);
      expect(wasm.length).toBe(cpu.length);
      expect(maxRelDiff(wasm, cpu)).toBeLessThan(1e-5);
    });
  }
});

describe("Conv2D input gradient (replacement kernel) on wasm equals the cpu backend's", () => {
  const cases: [string, number[], number[], number, "same" | "valid"][] = [
    ["3x3 stride 1 same", [3, 9, 9, 2], [3, 3, 2, 4], 1, "same"],
    ["3x3 stride 2 same, even size", [2, 10, 10, 3], [3, 3, 3, 5], 2, "same"],
    ["3x3 stride 2 same, odd size", [2, 9, 9, 3], [3, 3, 3, 5], 2, "same"],
    ["3x3 stride 2 valid, odd size (unused last row)", [2, 12, 12, 3], [3, 3, 3, 2], 2, "valid"],
    ["2x2 stride 2 valid (ConvMixer patches)", [2, 28, 28, 1], [2, 2, 1, 6], 2, "valid"],
    ["1x1 stride 2 (ResNet shortcut)", [2, 8, 8, 4], [1, 1, 4, 6], 2, "same"],
  ];
  for (const [name, xs, ws, s, pad] of cases) {
    it(name, async () => {
      const x = rand(xs, 8);
      const w = rand(ws, 9);
      const f = () => tf.grad((X: tf.Tensor) => tf.conv2d(X as tf.Tensor4D, tf.tensor4d(w, ws as [number, number, number, number]), s, pad).square().sum())(tf.tensor4d(x, xs as [number, number, number, number]));
      const cpu = await on("cpu", f);
      const wasm = await on("wasm", f);
      expect(wasm.length).toBe(cpu.length);
      expect(maxRelDiff(wasm, cpu)).toBeLessThan(1e-5);
    });
  }
});

describe("depthwise conv gradients on wasm equal the cpu backend's", () => {
  const cases: [string, number[], number[], number, "same" | "valid"][] = [
    ["5x5 same, multiplier 1 (ConvMixer)", [2, 8, 8, 4], [5, 5, 4, 1], 1, "same"],
    ["3x3 valid, multiplier 2", [2, 7, 7, 3], [3, 3, 3, 2], 1, "valid"],
    ["4x4 same (even kernel, asymmetric padding)", [1, 9, 9, 2], [4, 4, 2, 1], 1, "same"],
  ];
  for (const [name, xs, ws, s, pad] of cases) {
    it(name, async () => {
      const x = rand(xs, 3);
      const w = rand(ws, 4);
      const loss = (X: tf.Tensor, W: tf.Tensor) => tf.depthwiseConv2d(X as tf.Tensor4D, W as tf.Tensor4D, s, pad).square().sum();
      const gx = () => tf.grad((X: tf.Tensor) => loss(X, tf.tensor4d(w, ws as [number, number, number, number])))(tf.tensor4d(x, xs as [number, number, number, number]));
      const gw = () => tf.grad((W: tf.Tensor) => loss(tf.tensor4d(x, xs as [number, number, number, number]), W))(tf.tensor4d(w, ws as [number, number, number, number]));
      expect(maxRelDiff(await on("wasm", gx), await on("cpu", gx))).toBeLessThan(1e-5);
      expect(maxRelDiff(await on("wasm", gw), await on("cpu", gw))).toBeLessThan(1e-5);
    });
  }

  it("stride-2 depthwise input gradients say what is unsupported", async () => {
    await tf.setBackend("wasm");
    const g = tf.grad((X: tf.Tensor) => tf.depthwiseConv2d(X as tf.Tensor4D, tf.ones([3, 3, 2, 1]) as tf.Tensor4D, 2, "same").sum());
    expect(() => g(tf.ones([1, 6, 6, 2]))).toThrow(/only stride 1/);
  });
});

describe("Tile (replacement kernel) on wasm equals the cpu backend's", () => {
  const cases: [number[], number[]][] = [
    [[1, 1, 1, 5], [4, 3, 3, 1]], // batch-norm statistics to the batch shape
    [[2, 3], [3, 2]],
    [[2, 1, 3, 1, 2, 1, 2], [1, 2, 2, 3, 1, 2, 2]], // many axes: merged below XNNPACK's six
    [[3], [1]],
  ];
  for (const [shape, reps] of cases) {
    it(`[${shape}] × [${reps}]`, async () => {
      const x = rand(shape, 11);
      const f = () => tf.tile(tf.tensor(x, shape), reps);
      const cpu = await on("cpu", f);
      const wasm = await on("wasm", f);
      expect(Array.from(wasm)).toEqual(Array.from(cpu));
    });
  }
});

describe("Tile gradient (reshape and sum instead of a slice per repetition)", () => {
  it("equals the sum of the output gradient over the repetitions, computed by hand", async () => {
    await tf.setBackend("wasm");
    const shape = [1, 2, 3];
    const reps = [4, 3, 2];
    const w = rand([4, 6, 6], 12);
    const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.tile(x, reps), tf.tensor(w, [4, 6, 6]))))(tf.tensor(rand(shape, 13), shape));
    const got = await g.data();
    const want = new Float64Array(6);
    for (let a = 0; a < 4; a++) for (let b = 0; b < 6; b++) for (let c = 0; c < 6; c++) want[(b % 2) * 3 + (c % 3)] += w[(a * 6 + b) * 6 + c]!;
    want.forEach((v, i) => expect(got[i]).toBeCloseTo(v, 5));
  });
});

describe("fallback kernels do not leak memory", () => {
  it("the tensor count and bytes stay flat over repeated gradient steps", async () => {
    await tf.setBackend("wasm");
    const x = tf.tensor4d(rand([2, 8, 8, 3], 5), [2, 8, 8, 3]);
    const w = tf.variable(tf.tensor4d(rand([3, 3, 3, 4], 6), [3, 3, 3, 4]));
    const d = tf.variable(tf.tensor4d(rand([5, 5, 4, 1], 7), [5, 5, 4, 1]));
    const step = () => tf.tidy(() => {
      const { grads } = tf.variableGrads(() => tf.depthwiseConv2d(tf.conv2d(x, w, 2, "same"), d, 1, "same").square().sum() as tf.Scalar);
      w.assign(w.sub(grads[w.name]!.mul(0.001)));
      d.assign(d.sub(grads[d.name]!.mul(0.001)));
    });
    step();
    const before = tf.memory();
    for (let i = 0; i < 5; i++) step();
    const after = tf.memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
    expect(after.numDataBuffers).toBe(before.numDataBuffers);
  });

  it("no backend buffer outlives a call of any replaced kernel (the count the engine does not see)", async () => {
    await tf.setBackend("wasm");
    const x = tf.tensor4d(rand([2, 8, 8, 3], 5), [2, 8, 8, 3]);
    const w = tf.tensor4d(rand([3, 3, 3, 4], 6), [3, 3, 3, 4]);
    const d = tf.tensor4d(rand([5, 5, 4, 2], 7), [5, 5, 4, 2]);
    const ones = tf.ones([1, 1, 1, 3]);
    const calls: Record<string, () => tf.Tensor> = {
      "conv input, stride 1": () => tf.grad((X: tf.Tensor) => tf.conv2d(X as tf.Tensor4D, w, 1, "same").sum())(x),
      "conv input, stride 2": () => tf.grad((X: tf.Tensor) => tf.conv2d(X as tf.Tensor4D, w, 2, "same").sum())(x),
      "conv filter, stride 1": () => tf.grad((W: tf.Tensor) => tf.conv2d(x, W as tf.Tensor4D, 1, "same").sum())(w),
      "conv filter, stride 2 valid": () => tf.grad((W: tf.Tensor) => tf.conv2d(x, W as tf.Tensor4D, 2, "valid").sum())(w),
      "depthwise filter and input, multiplier 2": () => tf.tidy(() => { const g = tf.grads((X: tf.Tensor, D: tf.Tensor) => tf.depthwiseConv2d(tf.conv2d(X as tf.Tensor4D, w, 1, "same"), D as tf.Tensor4D, 1, "same").sum())([x, d]); return tf.add(g[0]!.sum(), g[1]!.sum()); }),
      tile: () => tf.tile(ones, [2, 8, 8, 1]),
      "tile gradient": () => tf.grad((v: tf.Tensor) => tf.tile(v, [2, 8, 8, 1]).sum())(ones),
    };
    for (const [name, f] of Object.entries(calls)) {
      tf.dispose(f());
      const before = tf.memory().numDataBuffers;
      for (let i = 0; i < 4; i++) tf.dispose(f());
      expect({ name, leaked: tf.memory().numDataBuffers - before }).toEqual({ name, leaked: 0 });
    }
  });
});
