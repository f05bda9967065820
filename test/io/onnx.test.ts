/**
 * ONNX checkpoints exported by the real torch.onnx.export (Debian python3-torch, scripts/fixtures-onnx.py) from a
 * small CNN with batch norm and dropout, evaluated through onnxruntime-node by loadCheckpoints; the predictions
 * equal PyTorch's eval-mode outputs to 1e-5.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadCheckpoints } from "../../src/io/checkpoints.js";
import { loadNpy } from "../../src/io/npy.js";
import { skipWhen } from "../helpers/skip.js";

const dir = join(__dirname, "..", "fixtures", "onnx");
let reason: string | null = null;
try {
  require.resolve("onnxruntime-node");
} catch {
  reason = "onnxruntime-node is not installed (a devDependency: npm ci)";
}
if (reason) console.warn(`ONNX tests skipped: ${reason}`);

describe("ONNX checkpoints", skipWhen(reason), () => {
  it("a folder of .onnx checkpoints, run on the inputs, gives PyTorch's eval-mode predictions to 1e-5", async () => {
    const x = loadNpy(join(dir, "inputs.npy"));
    const logits = loadNpy(join(dir, "expected-logits.npy"));
    const set = await loadCheckpoints(join(dir, "run"), { inputs: { data: x.data as Float32Array, shape: x.shape } });
    expect(set.meta.map((m) => m.step)).toEqual([0, 10, 29]);
    const [K, S, C] = logits.shape as [number, number, number];
    expect([set.models, set.samples, set.classes]).toEqual([K, S, C]);
    let worst = 0;
    for (let k = 0; k < K; k++) for (let n = 0; n < S; n++) {
      const o = (k * S + n) * C;
      let max = -Infinity;
      for (let c = 0; c < C; c++) max = Math.max(max, logits.data[o + c]!);
      let sum = 0;
      for (let c = 0; c < C; c++) sum += Math.exp(logits.data[o + c]! - max);
      for (let c = 0; c < C; c++) worst = Math.max(worst, Math.abs(set.probs[o + c]! - Math.exp(logits.data[o + c]! - max) / sum));
    }
    expect(worst).toBeLessThan(1e-5);
    expect(Array.from(set.labels!)).toEqual(Array.from({ length: S }, (_, i) => i % C));
    expect(set.meta[2]!.error).toBeLessThan(set.meta[0]!.error as number);
  });

  it("without inputs, or with inputs of the wrong shape, the error names the file and what to pass", async () => {
    await expect(loadCheckpoints(join(dir, "run"))).rejects.toThrow(/step_0\.onnx: is an ONNX model: loading it means running it, so pass options\.inputs/);
    await expect(loadCheckpoints(join(dir, "run"), { inputs: { data: new Float32Array(10), shape: [10] } })).rejects.toThrow(/step_0\.onnx: onnxruntime could not run the model on the inputs/);
    await expect(loadCheckpoints(join(dir, "run"), { inputs: { data: new Float32Array(3), shape: [2, 2] } })).rejects.toThrow(/shape \[2, 2\] needs 4 values, 3 given/);
  });
});
