/**
 * Gradient kernels the tfjs wasm backend lacks, built from kernels it has (so they run at wasm speed):
 *
 * - Conv2DBackpropFilter (the filter gradient of every convolution);
 * - DepthwiseConv2dNativeBackpropFilter and DepthwiseConv2dNativeBackpropInput (ConvMixer's depthwise layers).
 *
 * Each one is the textbook identity that a convolution's filter gradient is itself a convolution of the input
 * with the output gradient (batch and channel axes swapped, the forward stride becoming a dilation), and the
 * input gradient of a stride-1 depthwise convolution is a depthwise convolution of the output gradient with
 * the flipped filter. Tests check each against the cpu backend's own kernels (test/train-kernels.test.ts).
 * Only NHWC (channelsLast) data is supported, as everywhere in tfjs layers.
 */
import * as tf from "@tensorflow/tfjs";

type Info = tf.TensorInfo;
type Backend = tf.KernelBackend & { disposeData(dataId: object): boolean };
type Attrs = Record<string, unknown>;

function call(name: string, inputs: Record<string, Info>, backend: Backend, attrs: Attrs = {}): Info {
  const k = tf.getKernel(name, "wasm");
  if (!k) throw new Error(`the wasm backend has no ${name} kernel`);
  return k.kernelFunc({ inputs, backend, attrs: attrs as tf.NamedAttrMap }) as Info;
}

/** Runs the chain of kernel calls `steps`, disposing every intermediate result but the last. */
function chain(backend: Backend, first: Info, steps: ((x: Info) => Info)[]): Info {
  let cur = first;
  let owned = false;
  for (const step of steps) {
    const next = step(cur);
    if (owned) backend.disposeData(cur.dataId);
    cur = next;
    owned = true;
  }
  return cur;
}

function padInfo(xShape: number[], filterShape: number[], strides: number | [number, number], pad: unknown, dimRoundingMode: unknown, depthwise: boolean) {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    1,
    pad as "same" | "valid",
    dimRoundingMode as "floor" | undefined,
    depthwise,
    "channelsLast",
  );
}

function checkFormat(attrs: Attrs, name: string): void {
  const f = attrs.dataFormat;
  if (f !== undefined && f !== "NHWC" && f !== "channelsLast") throw new Error(`${name} fallback: only NHWC data is supported, got ${String(f)}`);
}

/**
 * dW[kh, kw, ci, co] = Σ_{b,i,j} xpad[b, i·s + kh, j·s + kw, ci] · dy[b, i, j, co]
 * = Conv2D(xpadᵀ [ci, Hp, Wp, B], dyᵀ [OH, OW, B, co], dilation s), sliced to [ci, KH, KW, co], transposed.
 */
function conv2DBackpropFilter({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: object; attrs?: tf.NamedAttrMap }): Info {
  const b = backend as Backend;
  const a = (attrs ?? {}) as Attrs;
  checkFormat(a, "Conv2DBackpropFilter");
  const x = inputs.x!;
  const dy = inputs.dy!;
  const filterShape = a.filterShape as number[];
  const strides = a.strides as number | [number, number];
  const info = padInfo(x.shape, filterShape, strides, a.pad, a.dimRoundingMode, false);
  const [KH, KW, CI, CO] = filterShape as [number, number, number, number];
  const { top, bottom, left, right } = info.padInfo;
  const padded = top || bottom || left || right ? call("PadV2", { x }, b, { paddings: [[0, 0], [top, bottom], [left, right], [0, 0]], constantValue: 0 }) : x;
  const xt = call("Transpose", { x: padded }, b, { perm: [3, 1, 2, 0] });
  if (padded !== x) b.disposeData(padded.dataId);
  const dyt = call("Transpose", { x: dy }, b, { perm: [1, 2, 0, 3] });
  const conv = call("Conv2D", { x: xt, filter: dyt }, b, { strides: [1, 1], pad: "valid", dataFormat: "NHWC", dilations: [info.strideHeight, info.strideWidth], dimRoundingMode: undefined });
  b.disposeData(xt.dataId);
  b.disposeData(dyt.dataId);
  return chain(b, conv, [
    (t) => (t.shape[1] === KH && t.shape[2] === KW ? call("Identity", { x: t }, b) : call("Slice", { x: t }, b, { begin: [0, 0, 0, 0], size: [CI, KH, KW, CO] })),
    (t) => call("Transpose", { x: t }, b, { perm: [1, 2, 0, 3] }),
  ]);
}

/**
 * Depthwise filter gradient (channel multiplier m): dW[kh, kw, c, k] = Σ_{b,i,j} xpad[b, i·s+kh, j·s+kw, c] ·
 * dy[b, i, j, c·m + k]. Batch moves into the channel axis of a single depthwise convolution:
 * input [1, Hp, Wp, B·C·m] (x repeated m times per channel), filter dy as [OH, OW, B·C·m, 1] with dilation s.
 */
function depthwiseBackpropFilter({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: object; attrs?: tf.NamedAttrMap }): Info {
  const b = backend as Backend;
  const a = (attrs ?? {}) as Attrs;
  checkFormat(a, "DepthwiseConv2dNativeBackpropFilter");
  const x = inputs.x!;
  const dy = inputs.dy!;
  const filterShape = a.filterShape as number[];
  const dil = a.dilations as number | [number, number] | undefined;
  if (dil !== undefined && (Array.isArray(dil) ? dil.some((d) => d !== 1) : dil !== 1)) throw new Error("DepthwiseConv2dNativeBackpropFilter fallback: dilations > 1 are not supported");
  const info = padInfo(x.shape, filterShape, a.strides as number | [number, number], a.pad, a.dimRoundingMode, true);
  const [KH, KW, C, M] = filterShape as [number, number, number, number];
  const [B] = x.shape as [number];
  const [, OH, OW] = dy.shape as [number, number, number];
  const { top, bottom, left, right } = info.padInfo;
  const Hp = x.shape[1]! + top + bottom;
  const Wp = x.shape[2]! + left + right;
  const padded = top || bottom || left || right ? call("PadV2", { x }, b, { paddings: [[0, 0], [top, bottom], [left, right], [0, 0]], constantValue: 0 }) : x;
  // [B, Hp, Wp, C] → (repeat channel m times) [B, Hp, Wp, C, M] → [Hp, Wp, B, C·M] → [1, Hp, Wp, B·C·M]
  let rep: Info = padded;
  if (M > 1) {
    const r5 = call("Reshape", { x: padded }, b, { shape: [B, Hp, Wp, C, 1] });
    rep = call("Tile", { x: r5 }, b, { reps: [1, 1, 1, 1, M] });
    b.disposeData(r5.dataId);
  }
  const xin = chain(b, rep, [
    (t) => call("Reshape", { x: t }, b, { shape: [B, Hp, Wp, C * M] }),
    (t) => call("Transpose", { x: t }, b, { perm: [1, 2, 0, 3] }),
    (t) => call("Reshape", { x: t }, b, { shape: [1, Hp, Wp, B * C * M] }),
  ]);
  if (rep !== padded) b.disposeData(rep.dataId);
  if (padded !== x) b.disposeData(padded.dataId);
  // dy [B, OH, OW, C·M] → [OH, OW, B, C·M] → [OH, OW, B·C·M, 1]
  const filt = chain(b, dy, [(t) => call("Transpose", { x: t }, b, { perm: [1, 2, 0, 3] }), (t) => call("Reshape", { x: t }, b, { shape: [OH, OW, B * C * M, 1] })]);
  const conv = call("DepthwiseConv2dNative", { x: xin, filter: filt }, b, { strides: [1, 1], pad: "valid", dataFormat: "NHWC", dilations: [info.strideHeight, info.strideWidth] });
  b.disposeData(xin.dataId);
  b.disposeData(filt.dataId);
  const h = conv.shape[1]!;
  const w = conv.shape[2]!;
  return chain(b, conv, [
    (t) => call("Reshape", { x: t }, b, { shape: [h, w, B, C * M] }),
    (t) => call("Sum", { x: t }, b, { axis: [2], keepDims: false }),
    (t) => (h === KH && w === KW ? call("Identity", { x: t }, b) : call("Slice", { x: t }, b, { begin: [0, 0, 0], size: [KH, KW, C * M] })),
    (t) => call("Reshape", { x: t }, b, { shape: [KH, KW, C, M] }),
  ]);
}

/**
 * Depthwise input gradient for stride 1 (ConvMixer's case): dx = depthwise(dy padded by (K−1−pad), W flipped
 * in both spatial axes, channel multipliers summed). Strides > 1 raise a clear error.
 */
function depthwiseBackpropInput({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: object; attrs?: tf.NamedAttrMap }): Info {
  const b = backend as Backend;
  const a = (attrs ?? {}) as Attrs;
  checkFormat(a, "DepthwiseConv2dNativeBackpropInput");
  const dy = inputs.dy!;
  const filter = inputs.filter!;
  const inputShape = a.inputShape as number[];
  const info = padInfo(inputShape, filter.shape, a.strides as number | [number, number], a.pad, a.dimRoundingMode, true);
  if (info.strideHeight !== 1 || info.strideWidth !== 1) throw new Error("DepthwiseConv2dNativeBackpropInput fallback: only stride 1 is supported on the wasm backend");
  const dil = a.dilations as number | [number, number] | undefined;
  if (dil !== undefined && (Array.isArray(dil) ? dil.some((d) => d !== 1) : dil !== 1)) throw new Error("DepthwiseConv2dNativeBackpropInput fallback: dilations > 1 are not supported");
  const [KH, KW, C, M] = filter.shape as [number, number, number, number];
  const [B, H, W] = inputShape as [number, number, number];
  const { top, bottom, left, right } = info.padInfo;
  const pt = KH - 1 - top;
  const pb = KH - 1 - bottom;
  const pl = KW - 1 - left;
  const pr = KW - 1 - right;
  // negative padding (more forward padding than kernel-1) would need a crop; not produced by same/valid
  if (pt < 0 || pb < 0 || pl < 0 || pr < 0) throw new Error("DepthwiseConv2dNativeBackpropInput fallback: padding larger than the kernel is not supported");
  // dy [B, OH, OW, C·M]: with M > 1, fold M into the batch so each multiplier is its own depthwise conv, then sum.
  const flipped = call("Reverse", { x: filter }, b, { dims: [0, 1] }); // [KH, KW, C, M]
  let dyC: Info;
  let filt: Info;
  if (M === 1) {
    dyC = call("PadV2", { x: dy }, b, { paddings: [[0, 0], [pt, pb], [pl, pr], [0, 0]], constantValue: 0 });
    filt = flipped;
  } else {
    const OH = dy.shape[1]!;
    const OW = dy.shape[2]!;
    // [B, OH, OW, C, M] → [M, B, OH, OW, C] → [M·B, OH, OW, C]
    dyC = chain(b, dy, [
      (t) => call("Reshape", { x: t }, b, { shape: [B, OH, OW, C, M] }),
      (t) => call("Transpose", { x: t }, b, { perm: [4, 0, 1, 2, 3] }),
      (t) => call("Reshape", { x: t }, b, { shape: [M * B, OH, OW, C] }),
      (t) => call("PadV2", { x: t }, b, { paddings: [[0, 0], [pt, pb], [pl, pr], [0, 0]], constantValue: 0 }),
    ]);
    filt = flipped; // handled per multiplier below
  }
  let out: Info;
  if (M === 1) {
    out = call("DepthwiseConv2dNative", { x: dyC, filter: filt }, b, { strides: [1, 1], pad: "valid", dataFormat: "NHWC", dilations: [1, 1] });
  } else {
    // per multiplier k: depthwise conv of dy[k] with filter[..., k]; stack and sum over k
    const parts: Info[] = [];
    for (let k = 0; k < M; k++) {
      const dk = call("Slice", { x: dyC }, b, { begin: [k * B, 0, 0, 0], size: [B, dyC.shape[1]!, dyC.shape[2]!, C] });
      const fk = chain(b, filt, [(t) => call("Slice", { x: t }, b, { begin: [0, 0, 0, k], size: [KH, KW, C, 1] })]);
      parts.push(call("DepthwiseConv2dNative", { x: dk, filter: fk }, b, { strides: [1, 1], pad: "valid", dataFormat: "NHWC", dilations: [1, 1] }));
      b.disposeData(dk.dataId);
      b.disposeData(fk.dataId);
    }
    out = call("AddN", parts as unknown as Record<string, Info>, b); // AddN takes its inputs as an array
    for (const p of parts) b.disposeData(p.dataId);
  }
  b.disposeData(dyC.dataId);
  b.disposeData(flipped.dataId);
  if (out.shape[1] !== H || out.shape[2] !== W) throw new Error(`DepthwiseConv2dNativeBackpropInput fallback: produced ${out.shape} for input ${inputShape}`);
  return out;
}

let registered = false;

/**
 * Registers the fallback kernels on the wasm backend (idempotent; kernels the backend already has are left
 * alone). Returns the names of the kernels it registered.
 */
export function registerWasmFallbacks(): string[] {
  if (registered) return [];
  registered = true;
  const added: string[] = [];
  const fallbacks: [string, tf.KernelFunc][] = [
    ["Conv2DBackpropFilter", conv2DBackpropFilter as unknown as tf.KernelFunc],
    ["DepthwiseConv2dNativeBackpropFilter", depthwiseBackpropFilter as unknown as tf.KernelFunc],
    ["DepthwiseConv2dNativeBackpropInput", depthwiseBackpropInput as unknown as tf.KernelFunc],
  ];
  for (const [kernelName, kernelFunc] of fallbacks) {
    if (tf.getKernel(kernelName, "wasm")) continue;
    tf.registerKernel({ kernelName, backendName: "wasm", kernelFunc });
    added.push(kernelName);
  }
  return added;
}
