/**
 * PyTorch files read without Python: fixtures written by the real torch.save (Debian python3-torch,
 * scripts/fixtures-torch.py) compared with NumPy copies of the same tensors; pickles of anything but tensors
 * and plain containers are refused and never executed.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadCheckpoints } from "../../src/io/checkpoints/load.js";
import { loadNpy } from "../../src/io/formats/npy.js";
import { loadTorch, readTorch, torchTensors, type TorchTensor } from "../../src/io/formats/torch.js";

const dir = join(__dirname, "..", "fixtures", "torch");
const expected = (name: string) => loadNpy(join(dir, "expected", `${name}.npy`));

describe("torch.save files", () => {
  it("a bare float32 tensor: values and shape equal NumPy's copy", () => {
    const t = loadTorch(join(dir, "run", "step_50.pt")) as TorchTensor;
    const e = expected("step_50");
    expect(t.shape).toEqual(e.shape);
    expect(t.storage).toBe("FloatStorage");
    expect(Array.from(t.data)).toEqual(Array.from(e.data));
  });

  it("a dict: float16 predictions, int64 labels, nested numbers, strings, lists with None and booleans", () => {
    const v = loadTorch(join(dir, "dict.pt")) as Record<string, unknown>;
    const probs = v.probs as TorchTensor;
    expect(probs.storage).toBe("HalfStorage");
    expect(Array.from(probs.data)).toEqual(Array.from(expected("dict").data));
    expect(Array.from((v.labels as TorchTensor).data)).toEqual(Array.from({ length: 12 }, (_, i) => i % 4));
    expect(v.meta).toEqual({ epoch: 3, lr: 0.1, name: "x" });
    const extra = v.extra as unknown[];
    expect((extra[0] as TorchTensor).shape).toEqual([2]);
    expect(extra.slice(1)).toEqual([null, true]);
    expect(Object.keys(torchTensors(v as never))).toEqual(["probs", "labels", "extra.0"]);
  });

  it("float64, a transposed (strided) tensor and a tensor at a storage offset come out in C order", () => {
    const f64 = loadTorch(join(dir, "f64.pt")) as TorchTensor;
    expect(f64.data).toBeInstanceOf(Float64Array);
    expect(Array.from(f64.data)).toEqual(Array.from(expected("f64").data));
    const s = loadTorch(join(dir, "strided.pt")) as Record<string, TorchTensor>;
    expect(s.logits_t!.shape).toEqual([12, 4]);
    expect(Array.from(s.logits_t!.data)).toEqual(Array.from(expected("strided").data));
    expect(Array.from(s.offset!.data)).toEqual(Array.from(expected("offset").data));
  });

  it("refuses a pickled module, a pickle that would run a command, and the legacy format, naming the file", () => {
    expect(() => loadTorch(join(dir, "module.pt"))).toThrow(/module\.pt.*pickled torch\.nn\.modules\.linear\.Linear, which inpca does not load/s);
    expect(() => loadTorch(join(dir, "evil.pt"))).toThrow(/evil\.pt.*pickled (posix|os)\.system, which inpca does not load/s);
    expect(() => loadTorch(join(dir, "legacy.pt"))).toThrow(/legacy\.pt.*legacy \(pre-1\.6\)/s);
    expect(() => readTorch(new TextEncoder().encode("not a zip at all, long enough to look for a directory"), "x.pt")).toThrow(/x\.pt.*not a torch\.save file/s);
  });

  it("loadCheckpoints reads a folder of .pt checkpoints in step order, with labels from labels.npy", async () => {
    const set = await loadCheckpoints(join(dir, "run"));
    expect(set.models).toBe(3);
    expect(set.meta.map((m) => m.step)).toEqual([0, 50, 100]);
    for (const [m, step] of [0, 50, 100].entries()) {
      const e = expected(`step_${step}`).data;
      for (let i = 0; i < e.length; i++) expect(set.probs[m * e.length + i]).toBeCloseTo(e[i]!, 6);
    }
    expect(Array.from(set.labels!)).toEqual(Array.from({ length: 12 }, (_, i) => i % 4));
    // a dict file picks "probs" and finds "labels" inside it
    const d = await loadCheckpoints(join(dir, "dict.pt"));
    expect(Array.from(d.labels!)).toEqual(Array.from({ length: 12 }, (_, i) => i % 4));
  });
});
