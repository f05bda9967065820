/**
 * Gradient kernels the tfjs wasm backend lacks, built from kernels it has (so they run at wasm speed):
 *
 * - Conv2DBackpropFilter (the filter gradient of every convolution);
 * - DepthwiseConv2dNativeBackpropFilter and DepthwiseConv2dNativeBackpropInput (ConvMixer's depthwise layers);
 * - Conv2DBackpropInput and Tile, which the backend has but runs as plain loops (replaced; measured 7× and
 *   ~20× faster).
 *
 * Each one is the textbook identity that a convolution's filter gradient is itself a convolution of the input
 * with the output gradient (batch and channel axes swapped, the forward stride becoming a dilation), and the
 * input gradient of a stride-1 depthwise convolution is a depthwise convolution of the output gradient with
 * the flipped filter. Tests check each against the cpu backend's own kernels (test/train/kernels.test.ts).
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

/**
 * Runs the chain of kernel calls `steps`, disposing every intermediate result but the last; `first` is
 * disposed too when `ownFirst` (an intermediate of the caller's). Each disposal only drops one reference, so
 * kernels that return their input's data (Reshape) are safe.
 */
function chain(backend: Backend, first: Info, steps: ((x: Info) => Info)[], ownFirst = false): Info {
  let cur = first;
  let owned = ownFirst;
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

/** Zero-pads the two spatial axes of NHWC `x`; returns `x` itself when there is nothing to pad. */
function padHW(b: Backend, x: Info, top: number, bottom: number, left: number, right: number): Info {
  if (!(top || bottom || left || right)) return x;
  return call("PadV2", { x }, b, { paddings: [[0, 0], [top, bottom], [left, right], [0, 0]], constantValue: 0 });
}

function checkNoDilation(attrs: Attrs, name: string): void {
  const d = attrs.dilations as number | [number, number] | undefined;
  if (d !== undefined && (Array.isArray(d) ? d.some((v) => v !== 1) : d !== 1)) throw new Error(`${name} fallback: dilations > 1 are not supported`);
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
  const padded = padHW(b, x, top, bottom, left, right);
  const xt = call("Transpose", { x: padded }, b, { perm: [3, 1, 2, 0] });
  if (padded !== x) b.disposeData(padded.dataId);
  const dyt = call("Transpose", { x: dy }, b, { perm: [1, 2, 0, 3] });
  const conv = call("Conv2D", { x: xt, filter: dyt }, b, { strides: [1, 1], pad: "valid", dataFormat: "NHWC", dilations: [info.strideHeight, info.strideWidth], dimRoundingMode: undefined });
  b.disposeData(xt.dataId);
  b.disposeData(dyt.dataId);
  return chain(b, conv, [
    ...(conv.shape[1] === KH && conv.shape[2] === KW ? [] : [(t: Info) => call("Slice", { x: t }, b, { begin: [0, 0, 0, 0], size: [CI, KH, KW, CO] })]),
    (t: Info) => call("Transpose", { x: t }, b, { perm: [1, 2, 0, 3] }),
  ], true);
}

/**
 * Convolution input gradient, replacing the wasm backend's own Conv2DBackpropInput (a plain loop, measured
 * 10× slower than the forward convolution): dy is dilated by the stride (zeros between entries), padded by
 * K − 1 − pad, and convolved (stride 1, XNNPACK) with the filter flipped in both spatial axes and its
 * in/out channels swapped.
 */
function conv2DBackpropInput({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: object; attrs?: tf.NamedAttrMap }): Info {
  const b = backend as Backend;
  const a = (attrs ?? {}) as Attrs;
  checkFormat(a, "Conv2DBackpropInput");
  const dy = inputs.dy!;
  const filter = inputs.filter!;
  const inputShape = a.inputShape as number[];
  const info = padInfo(inputShape, filter.shape, a.strides as number | [number, number], a.pad, a.dimRoundingMode, false);
  const [KH, KW, , CO] = filter.shape as [number, number, number, number];
  const [B, H, W] = inputShape as [number, number, number];
  const [, OH, OW] = dy.shape as [number, number, number];
  const sh = info.strideHeight;
  const sw = info.strideWidth;
  const { top, left } = info.padInfo;
  if (top > KH - 1 || left > KW - 1) throw new Error("Conv2DBackpropInput fallback: padding larger than the kernel is not supported");
  // dilate: [B, OH, OW, CO] → [B, OH, 1, OW, 1, CO] → zeros after each entry → [B, OH·sh, OW·sw, CO]
  let dil: Info = dy;
  if (sh > 1 || sw > 1) {
    dil = chain(b, dy, [
      (t) => call("Reshape", { x: t }, b, { shape: [B, OH, 1, OW, 1, CO] }),
      (t) => call("PadV2", { x: t }, b, { paddings: [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]], constantValue: 0 }),
      (t) => call("Reshape", { x: t }, b, { shape: [B, OH * sh, OW * sw, CO] }),
    ]);
  }
  // needed extent: H + KH − 1 rows, of which KH − 1 − top come before the first dy row
  const pt = KH - 1 - top;
  const pl = KW - 1 - left;
  const pb = H + KH - 1 - pt - dil.shape[1]!;
  const pr = W + KW - 1 - pl - dil.shape[2]!;
  let padded = call("PadV2", { x: dil }, b, { paddings: [[0, 0], [pt, Math.max(0, pb)], [pl, Math.max(0, pr)], [0, 0]], constantValue: 0 });
  if (dil !== dy) b.disposeData(dil.dataId);
  if (pb < 0 || pr < 0) {
    const cut = call("Slice", { x: padded }, b, { begin: [0, 0, 0, 0], size: [B, H + KH - 1, W + KW - 1, CO] });
    b.disposeData(padded.dataId);
    padded = cut;
  }
  const wt = chain(b, filter, [(t) => call("Reverse", { x: t }, b, { dims: [0, 1] }), (t) => call("Transpose", { x: t }, b, { perm: [0, 1, 3, 2] })]);
  const out = call("Conv2D", { x: padded, filter: wt }, b, { strides: [1, 1], pad: "valid", dataFormat: "NHWC", dilations: [1, 1], dimRoundingMode: undefined });
  b.disposeData(padded.dataId);
  b.disposeData(wt.dataId);
  return out;
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
  checkNoDilation(a, "DepthwiseConv2dNativeBackpropFilter");
  const info = padInfo(x.shape, filterShape, a.strides as number | [number, number], a.pad, a.dimRoundingMode, true);
  const [KH, KW, C, M] = filterShape as [number, number, number, number];
  const [B] = x.shape as [number];
  const [, OH, OW] = dy.shape as [number, number, number];
  const { top, bottom, left, right } = info.padInfo;
  const Hp = x.shape[1]! + top + bottom;
  const Wp = x.shape[2]! + left + right;
  const padded = padHW(b, x, top, bottom, left, right);
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
    (t: Info) => call("Reshape", { x: t }, b, { shape: [h, w, B, C * M] }),
    (t: Info) => call("Sum", { x: t }, b, { axis: [2], keepDims: false }),
    ...(h === KH && w === KW ? [] : [(t: Info) => call("Slice", { x: t }, b, { begin: [0, 0, 0], size: [KH, KW, C * M] })]),
    (t: Info) => call("Reshape", { x: t }, b, { shape: [KH, KW, C, M] }),
  ], true);
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
  checkNoDilation(a, "DepthwiseConv2dNativeBackpropInput");
  const [KH, KW, C, M] = filter.shape as [number, number, number, number];
  const [B, H, W] = inputShape as [number, number, number];
  const { top, bottom, left, right } = info.padInfo;
  const pt = KH - 1 - top;
  const pb = KH - 1 - bottom;
  const pl = KW - 1 - left;
  const pr = KW - 1 - right;
  // negative padding (more forward padding than kernel-1) would need a crop; not produced by same/valid
  if (pt < 0 || pb < 0 || pl < 0 || pr < 0) throw new Error("DepthwiseConv2dNativeBackpropInput fallback: padding larger than the kernel is not supported");
  // dy [B, OH, OW, C·M] → [M·B, Hp, Wp, C]: multiplier k is its own depthwise convolution with filter[..., k]; sum over k
  const flipped = call("Reverse", { x: filter }, b, { dims: [0, 1] }); // [KH, KW, C, M]
  const OH = dy.shape[1]!;
  const OW = dy.shape[2]!;
  const folded = M === 1 ? dy : chain(b, dy, [
    (t) => call("Reshape", { x: t }, b, { shape: [B, OH, OW, C, M] }),
    (t) => call("Transpose", { x: t }, b, { perm: [4, 0, 1, 2, 3] }),
    (t) => call("Reshape", { x: t }, b, { shape: [M * B, OH, OW, C] }),
  ]);
  const dyC = padHW(b, folded, pt, pb, pl, pr);
  if (folded !== dy && dyC !== folded) b.disposeData(folded.dataId);
  const parts: Info[] = [];
  for (let k = 0; k < M; k++) {
    const dk = M === 1 ? dyC : call("Slice", { x: dyC }, b, { begin: [k * B, 0, 0, 0], size: [B, dyC.shape[1]!, dyC.shape[2]!, C] });
    const fk = M === 1 ? flipped : call("Slice", { x: flipped }, b, { begin: [0, 0, 0, k], size: [KH, KW, C, 1] });
    parts.push(call("DepthwiseConv2dNative", { x: dk, filter: fk }, b, { strides: [1, 1], pad: "valid", dataFormat: "NHWC", dilations: [1, 1] }));
    if (M > 1) {
      b.disposeData(dk.dataId);
      b.disposeData(fk.dataId);
    }
  }
  const out = M === 1 ? parts[0]! : call("AddN", parts as unknown as Record<string, Info>, b); // AddN takes its inputs as an array
  if (M > 1) for (const p of parts) b.disposeData(p.dataId);
  if (dyC !== dy) b.disposeData(dyC.dataId);
  b.disposeData(flipped.dataId);
  if (out.shape[1] !== H || out.shape[2] !== W) throw new Error(`DepthwiseConv2dNativeBackpropInput fallback: produced ${out.shape} for input ${inputShape}`);
  return out;
}

/**
 * Tile, replacing the wasm backend's own (a per-element index loop in JS, which made batch norm's gradient,
 * which tiles statistics to the batch shape, the slowest part of a training step): x [d0, d1, ...] is
 * reshaped to [1, d0, 1, d1, ...] and broadcast-added to zeros [r0, d0, r1, d1, ...] by the backend's
 * native broadcasting Add. Float32 only; other dtypes use the original kernel.
 */
function makeTile(original: tf.KernelFunc): tf.KernelFunc {
  return (({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: object; attrs?: tf.NamedAttrMap }): Info => {
    const b = backend as Backend;
    const x = inputs.x!;
    const reps = (attrs as Attrs).reps as number[];
    if (x.dtype !== "float32" || reps.length !== x.shape.length) return original({ inputs, backend: b, attrs } as never) as Info;
    // axes of x (size 1 broadcast, or kept) and of the target; adjacent axes of the same kind are merged,
    // because the backend's broadcasting (XNNPACK) handles at most 6 dimensions
    const xs: number[] = [];
    const ts: number[] = [];
    const push = (xd: number, td: number) => {
      const n = xs.length;
      const bcast = xd === 1 && td !== 1;
      if (n > 0 && (bcast ? xs[n - 1] === 1 && ts[n - 1] !== 1 : xs[n - 1] === ts[n - 1])) {
        xs[n - 1] = xs[n - 1]! * xd;
        ts[n - 1] = ts[n - 1]! * td;
      } else {
        xs.push(xd);
        ts.push(td);
      }
    };
    x.shape.forEach((d, i) => {
      const r = reps[i]!;
      if (r === 1) push(d, d);
      else if (d === 1) push(1, r);
      else {
        push(1, r);
        push(d, d);
      }
    });
    if (xs.length > 6) return original({ inputs, backend: b, attrs } as never) as Info;
    const expanded = xs;
    const target = ts;
    const outShape = x.shape.map((d, i) => d * reps[i]!);
    const xr = call("Reshape", { x }, b, { shape: expanded });
    const zeros = call("Fill", {}, b, { shape: target, value: 0, dtype: "float32" });
    const sum = call("Add", { a: xr, b: zeros }, b);
    b.disposeData(xr.dataId);
    b.disposeData(zeros.dataId);
    return chain(b, sum, [(t) => call("Reshape", { x: t }, b, { shape: outShape })], true);
  }) as unknown as tf.KernelFunc;
}

/**
 * Gradient of Tile as one reshape and one sum (dy [r0·d0, r1·d1, ...] → [r0, d0, r1, d1, ...] summed over the
 * r axes), replacing tfjs's own, which loops over the repetitions with a slice and an add each: layer
 * normalisation tiles its scale and offset to the batch, and that loop (2,048 slices per layer at batch 128)
 * made a small transformer's step take seconds. Registered for every backend; the value is the same.
 */
function registerTileGradient(): void {
  tf.registerGradient({
    kernelName: "Tile",
    inputsToSave: ["x"],
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
      const x = saved[0]!;
      const reps = (attrs as unknown as { reps: number[] }).reps;
      const g = dy as tf.Tensor;
      return {
        x: () => {
          const split = x.shape.flatMap((d, i) => [reps[i]!, d]);
          const axes = x.shape.map((_, i) => 2 * i);
          return tf.reshape(tf.sum(tf.reshape(g, split), axes), x.shape);
        },
      };
    },
  });
}

let registered = false;

/**
 * Registers the fallback kernels on the wasm backend (idempotent; kernels the backend already has are left
 * alone). Returns the names of the kernels it registered.
 */
export function registerWasmFallbacks(): string[] {
  if (registered) return [];
  registered = true;
  registerTileGradient();
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
  // a replacement, not a fallback: the backend's own kernel works but is slow
  if (tf.getKernel("Conv2DBackpropInput", "wasm")) tf.unregisterKernel("Conv2DBackpropInput", "wasm");
  tf.registerKernel({ kernelName: "Conv2DBackpropInput", backendName: "wasm", kernelFunc: conv2DBackpropInput as unknown as tf.KernelFunc });
  added.push("Conv2DBackpropInput");
  const tile = tf.getKernel("Tile", "wasm");
  if (tile) {
    tf.unregisterKernel("Tile", "wasm");
    // keep the original setup function: the fallback path calls the original kernel, which needs it
    tf.registerKernel({ kernelName: "Tile", backendName: "wasm", kernelFunc: makeTile(tile.kernelFunc), setupFunc: tile.setupFunc });
    added.push("Tile");
  }
  return added;
}
