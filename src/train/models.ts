/**
 * Small analogues of the paper's architectures for 28×28×1 images and 10 classes, as tfjs LayersModels that
 * output logits [N, 10]. Every initialiser is seeded, so a run is reproducible on one backend.
 *
 * - `mlp`: fully connected, 784 → 256 → 128 → 10, ReLU.
 * - `allcnn`: all-convolutional (strided convolutions instead of pooling, 1×1 classifier, global average), BN.
 * - `wrn-s` / `wrn-l`: a pre-activation wide ResNet with three stages of one basic block, width 8 vs 20
 *   (~6× the multiply-adds), for "larger networks go the same way, faster".
 * - `convmixer`: 2×2 patch embedding, depthwise 5×5 mixing with residual, pointwise 1×1 mixing, BN, ReLU.
 * - `vit`: 7×7 patches (16 tokens), learned position embedding, two pre-norm transformer blocks with
 *   4-head self-attention, mean over tokens.
 */
import * as tf from "@tensorflow/tfjs";

/** Names of the architectures `buildModel` knows. */
export const ARCHITECTURES = ["mlp", "allcnn", "wrn-s", "wrn-l", "convmixer", "vit"] as const;
/** One of `ARCHITECTURES`: "mlp", "allcnn", "wrn-s", "wrn-l", "convmixer" or "vit". */
export type Architecture = (typeof ARCHITECTURES)[number];

/** Seeded initialisers: each call gives the next seed of the run's sequence. */
class Init {
  private next: number;
  constructor(seed: number) {
    this.next = seed * 1000 + 1;
  }
  he(): Initializer {
    return tf.initializers.heNormal({ seed: this.next++ });
  }
  glorot(): Initializer {
    return tf.initializers.glorotUniform({ seed: this.next++ });
  }
  normal(stddev: number): Initializer {
    return tf.initializers.truncatedNormal({ stddev, seed: this.next++ });
  }
}

type Sym = tf.SymbolicTensor;
type Initializer = ReturnType<typeof tf.initializers.heNormal>;
const apply = (layer: tf.layers.Layer, x: Sym | Sym[]): Sym => layer.apply(x) as Sym;

function conv(x: Sym, init: Init, filters: number, kernelSize: number, strides = 1, useBias = false): Sym {
  return apply(tf.layers.conv2d({ filters, kernelSize, strides, padding: "same", useBias, kernelInitializer: init.he() }), x);
}
const bn = (x: Sym): Sym => apply(tf.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5 }), x);
const relu = (x: Sym): Sym => apply(tf.layers.activation({ activation: "relu" }), x);

function mlp(input: Sym, init: Init): Sym {
  let x = apply(tf.layers.flatten(), input);
  x = apply(tf.layers.dense({ units: 256, activation: "relu", kernelInitializer: init.he() }), x);
  x = apply(tf.layers.dense({ units: 128, activation: "relu", kernelInitializer: init.he() }), x);
  return apply(tf.layers.dense({ units: 10, kernelInitializer: init.glorot() }), x);
}

function allcnn(input: Sym, init: Init): Sym {
  let x = input;
  for (const [f, s] of [[24, 1], [24, 2], [48, 1], [48, 2], [48, 1]] as const) x = relu(bn(conv(x, init, f, 3, s)));
  x = apply(tf.layers.conv2d({ filters: 10, kernelSize: 1, kernelInitializer: init.glorot() }), x);
  return apply(tf.layers.globalAveragePooling2d({}), x);
}

function wideResNet(input: Sym, init: Init, width: number): Sym {
  let x = conv(input, init, width, 3);
  let channels = width;
  for (const [f, s] of [[width, 1], [2 * width, 2], [4 * width, 2]] as const) {
    const pre = relu(bn(x));
    let y = conv(pre, init, f, 3, s);
    y = conv(relu(bn(y)), init, f, 3, 1);
    const shortcut = s === 1 && channels === f ? x : conv(pre, init, f, 1, s);
    x = apply(tf.layers.add(), [y, shortcut]);
    channels = f;
  }
  x = apply(tf.layers.globalAveragePooling2d({}), relu(bn(x)));
  return apply(tf.layers.dense({ units: 10, kernelInitializer: init.glorot() }), x);
}

function convMixer(input: Sym, init: Init, dim = 32, depth = 4, kernel = 5): Sym {
  // ReLU instead of the original GELU: GELU's erf and its gradient took a third of a step on wasm
  let x = bn(relu(apply(tf.layers.conv2d({ filters: dim, kernelSize: 2, strides: 2, kernelInitializer: init.he() }), input)));
  for (let d = 0; d < depth; d++) {
    const mixed = bn(relu(apply(tf.layers.depthwiseConv2d({ kernelSize: kernel, padding: "same", depthwiseInitializer: init.he() }), x)));
    x = apply(tf.layers.add(), [mixed, x]);
    x = bn(relu(apply(tf.layers.conv2d({ filters: dim, kernelSize: 1, kernelInitializer: init.he() }), x)));
  }
  x = apply(tf.layers.globalAveragePooling2d({}), x);
  return apply(tf.layers.dense({ units: 10, kernelInitializer: init.glorot() }), x);
}

/** Adds a learned position embedding [tokens, dim] to its input [N, tokens, dim]. */
export class PositionEmbedding extends tf.layers.Layer {
  static className = "InpcaPositionEmbedding";
  private embedding!: tf.LayerVariable;
  private readonly seed: number | undefined;
  constructor(args: { seed?: number; name?: string } = {}) {
    super(args);
    this.seed = args.seed;
  }
  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const s = inputShape as number[];
    this.embedding = this.addWeight("embedding", [s[1]!, s[2]!], "float32", tf.initializers.truncatedNormal({ stddev: 0.02, seed: this.seed }));
    this.built = true;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    return tf.add(x, this.embedding.read());
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), seed: this.seed ?? null };
  }
}

/** Multi-head self-attention over [N, T, D] with a fused QKV projection and an output projection. */
export class SelfAttention extends tf.layers.Layer {
  static className = "InpcaSelfAttention";
  private readonly heads: number;
  private readonly seed: number | undefined;
  private wq!: tf.LayerVariable;
  private wk!: tf.LayerVariable;
  private wv!: tf.LayerVariable;
  private wo!: tf.LayerVariable;
  private bo!: tf.LayerVariable;
  constructor(args: { heads: number; seed?: number; name?: string }) {
    super(args);
    this.heads = args.heads;
    this.seed = args.seed;
  }
  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const d = (inputShape as number[])[2]!;
    const s = this.seed;
    const init = (k: number) => tf.initializers.glorotUniform({ seed: s === undefined ? undefined : s + k });
    this.wq = this.addWeight("query", [d, d], "float32", init(0));
    this.wk = this.addWeight("key", [d, d], "float32", init(1));
    this.wv = this.addWeight("value", [d, d], "float32", init(2));
    this.wo = this.addWeight("output", [d, d], "float32", init(3));
    this.bo = this.addWeight("output_bias", [d], "float32", tf.initializers.zeros());
    this.built = true;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0]! : inputs) as tf.Tensor3D;
      const [n, t, d] = x.shape;
      const h = this.heads;
      const dh = d / h;
      const flat = tf.reshape(x, [n * t, d]) as tf.Tensor2D;
      // [n·t, d] → [n, t, h, dh] → [n, h, t, dh] → [n·h, t, dh]
      const heads = (w: tf.LayerVariable) => tf.reshape(tf.transpose(tf.reshape(tf.matMul(flat, w.read() as tf.Tensor2D), [n, t, h, dh]), [0, 2, 1, 3]), [n * h, t, dh]) as tf.Tensor3D;
      const q = heads(this.wq);
      const k = heads(this.wk);
      const v = heads(this.wv);
      const att = tf.softmax(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(dh)));
      const o = tf.reshape(tf.transpose(tf.reshape(tf.matMul(att, v), [n, h, t, dh]), [0, 2, 1, 3]), [n * t, d]) as tf.Tensor2D;
      return tf.reshape(tf.add(tf.matMul(o, this.wo.read() as tf.Tensor2D), this.bo.read()), [n, t, d]);
    });
  }
  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return inputShape as tf.Shape;
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), heads: this.heads, seed: this.seed ?? null };
  }
}

let customRegistered = false;
/** Registers the custom layers with tfjs serialisation so saved checkpoints load back (idempotent). */
export function registerLayers(): void {
  if (customRegistered) return;
  customRegistered = true;
  tf.serialization.registerClass(PositionEmbedding as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);
  tf.serialization.registerClass(SelfAttention as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);
}

function vit(input: Sym, init: Init, seed: number, dim = 48, depth = 2, heads = 4, patch = 7): Sym {
  const grid = 28 / patch;
  // patchify by reshaping ([28, 28] → [16 patches, 49 pixels]) and a dense projection: cheaper on wasm than a
  // strided convolution, whose input gradient (not needed for the input) tfjs computes anyway
  let x = apply(tf.layers.reshape({ targetShape: [grid, patch, grid, patch] }), input);
  x = apply(tf.layers.permute({ dims: [1, 3, 2, 4] }), x);
  x = apply(tf.layers.reshape({ targetShape: [grid * grid, patch * patch] }), x);
  x = apply(tf.layers.dense({ units: dim, kernelInitializer: init.glorot() }), x);
  x = apply(new PositionEmbedding({ seed: seed * 1000 + 500 }), x);
  for (let b = 0; b < depth; b++) {
    const a = apply(new SelfAttention({ heads, seed: seed * 1000 + 600 + 10 * b }), apply(tf.layers.layerNormalization({ epsilon: 1e-6 }), x));
    x = apply(tf.layers.add(), [x, a]);
    let m = apply(tf.layers.layerNormalization({ epsilon: 1e-6 }), x);
    m = apply(tf.layers.dense({ units: 2 * dim, activation: "gelu" as "relu", kernelInitializer: init.glorot() }), m);
    m = apply(tf.layers.dense({ units: dim, kernelInitializer: init.glorot() }), m);
    x = apply(tf.layers.add(), [x, m]);
  }
  x = apply(tf.layers.globalAveragePooling1d({}), apply(tf.layers.layerNormalization({ epsilon: 1e-6 }), x));
  return apply(tf.layers.dense({ units: 10, kernelInitializer: init.glorot() }), x);
}

/** Builds architecture `arch` for [28, 28, 1] inputs with all initialisers seeded by `seed`; outputs logits. */
export function buildModel(arch: Architecture, seed: number): tf.LayersModel {
  registerLayers();
  const init = new Init(seed);
  const input = tf.input({ shape: [28, 28, 1] });
  const output =
    arch === "mlp" ? mlp(input, init)
    : arch === "allcnn" ? allcnn(input, init)
    : arch === "wrn-s" ? wideResNet(input, init, 8)
    : arch === "wrn-l" ? wideResNet(input, init, 20)
    : arch === "convmixer" ? convMixer(input, init)
    : arch === "vit" ? vit(input, init, seed)
    : (() => {
        throw new Error(`unknown architecture "${arch as string}" (known: ${ARCHITECTURES.join(", ")})`);
      })();
  return tf.model({ inputs: input, outputs: output, name: arch });
}
