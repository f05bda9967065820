/**
 * The zoo format: round trip through saveZoo/loadZoo, NumPy reads what we write (and we read what NumPy
 * writes by the recipe of docs/loading.md), incremental writing survives a crash, and malformed zoos are rejected
 * with the file and the problem named.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { numpyMissing, python } from "../helpers/python.js";
import { skipWhen } from "../helpers/skip.js";
import { PredictionSet } from "../../src/core/index.js";
import { fromFloat16Bits, toFloat16Bits } from "../../src/io/formats/npy.js";
import { loadZoo, saveZoo, ZooWriter } from "../../src/io/stores/zoo/index.js";
import { randomSet } from "../helpers/data.js";

const tmp = mkdtempSync(join(tmpdir(), "inpca-zoo-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Two runs × three checkpoints on a train and a test split with different sample counts. */
function sets() {
  const meta = (split: string) => ["a", "b"].flatMap((run) => [0, 10, 20].map((step) => ({ run, step, epoch: step / 10, split, config: { arch: run === "a" ? "mlp" : "vit", seed: 1 }, error: step / 100, loss: 2 - step / 20 })));
  const train = randomSet(6, 7, 4, 3);
  const test = randomSet(6, 5, 4, 4);
  return {
    train: new PredictionSet({ probs: train.probs, models: 6, samples: 7, classes: 4, labels: Int32Array.from([0, 1, 2, 3, 0, 1, 2]), meta: meta("train"), split: "train" }),
    test: new PredictionSet({ probs: test.probs, models: 6, samples: 5, classes: 4, labels: Int32Array.from([3, 2, 1, 0, 3]), meta: meta("test"), split: "test" }),
  };
}

describe("saveZoo / loadZoo", () => {
  it("round-trips predictions (float16 rounding only), labels, configuration and per-split metrics", () => {
    const s = sets();
    const dir = join(tmp, "rt");
    saveZoo(dir, s, { dataset: "toy" });
    const zoo = loadZoo(dir);
    expect(zoo.runs.map((r) => r.id)).toEqual(["a", "b"]);
    expect(zoo.splits).toEqual(["train", "test"]);
    expect(zoo.run("b").config).toEqual({ arch: "vit", seed: 1 });
    const train = zoo.predictions("train");
    expect([train.models, train.samples, train.classes]).toEqual([6, 7, 4]);
    train.probs.forEach((v, i) => expect(v).toBe(fromFloat16Bits(toFloat16Bits(s.train.probs[i]!))));
    expect(Array.from(train.labels!)).toEqual([0, 1, 2, 3, 0, 1, 2]);
    expect(train.meta[4]).toMatchObject({ run: "b", step: 10, epoch: 1, split: "train", error: 0.1, loss: 1.5, testError: 0.1, testLoss: 1.5 });
    const test = zoo.predictions("test", { where: (r) => r.config.arch === "vit", checkpoints: (c) => c.step > 0 });
    expect(test.meta.map((m) => [m.run, m.step])).toEqual([["b", 10], ["b", 20]]);
    expect(Array.from(test.probs.subarray(0, 20))).toEqual(Array.from(s.test.probs.subarray(4 * 20, 5 * 20)).map((v) => fromFloat16Bits(toFloat16Bits(v))));
    expect(String(zoo)).toMatch(/2 runs, 6 checkpoints; samples per split: train 7, test 5/);
  });

  it("NumPy reads the files with np.load (shape, dtype, values)", skipWhen(numpyMissing), () => {
    const dir = join(tmp, "rt");
    const out = execFileSync(python!, ["-c", `import numpy as np, json; a = np.load("${dir}/runs/b.test.npy"); l = np.load("${dir}/labels.train.npy"); print(json.dumps([list(a.shape), str(a.dtype), float(a[1, 2, 3]), l.tolist()]))`]).toString();
    const [shape, dtype, v, labels] = JSON.parse(out) as [number[], string, number, number[]];
    expect(shape).toEqual([3, 5, 4]);
    expect(dtype).toBe("float16");
    expect(v).toBe(loadZoo(dir).predictions("test").probs[((3 + 1) * 5 + 2) * 4 + 3]);
    expect(labels).toEqual([0, 1, 2, 3, 0, 1, 2]);
  });

  it("reads a zoo written by NumPy following the docs/loading.md recipe", skipWhen(numpyMissing), () => {
    const dir = join(tmp, "from-numpy");
    const script = `
import json, os, numpy as np
rng = np.random.default_rng(0)
os.makedirs("${dir}/runs", exist_ok=True)
S, C, K = 9, 3, 4
labels = rng.integers(0, C, S)
np.save("${dir}/labels.train.npy", labels.astype(np.int64))
logits = rng.normal(size=(K, S, C))
p = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
np.save("${dir}/runs/run0.train.npy", p.astype(np.float32))
json.dump({"format": "inpca-zoo", "version": 1, "dataset": {"name": "toy", "classes": ["x", "y", "z"]},
  "splits": {"train": {"indices": list(range(S))}},
  "runs": [{"id": "run0", "config": {"arch": "resnet18", "lr": 0.1},
            "checkpoints": [{"step": 100 * k, "epoch": k, "trainError": 0.5} for k in range(K)]}]},
  open("${dir}/manifest.json", "w"))
print(json.dumps(p.astype(np.float32).ravel().tolist()))`;
    const expected = JSON.parse(execFileSync(python!, ["-c", script]).toString()) as number[];
    const set = loadZoo(dir).predictions("train");
    expect([set.models, set.samples, set.classes]).toEqual([4, 9, 3]);
    set.probs.forEach((v, i) => expect(v).toBe(Math.fround(expected[i]!)));
    expect(set.meta[3]).toMatchObject({ run: "run0", step: 300, epoch: 3, config: { arch: "resnet18" } });
  });
});

describe("ZooWriter writes incrementally", () => {
  const init = { dataset: "toy", classNames: ["a", "b"], splits: { train: { indices: [5, 6, 7], labels: [0, 1, 1] } } };
  const row = (p: number) => [p, 1 - p, 0.5, 0.5, 1 - p, p];

  it("a run that stops mid-way keeps every recorded checkpoint, readable by loadZoo, flagged unfinished", () => {
    const dir = join(tmp, "crash");
    const w = ZooWriter.open(dir, init);
    const r = w.startRun("r1", { arch: "mlp" });
    r.append({ step: 0, epoch: 0, trainError: 0.5 }, { train: row(0.25) });
    r.append({ step: 5, epoch: 0.5, trainError: 0.25 }, { train: row(0.75) });
    r.close(); // no finish(): what a crash leaves
    const zoo = loadZoo(dir);
    expect(zoo.runs.map((x) => [x.id, x.finished])).toEqual([["r1", false]]);
    const s = zoo.predictions("train");
    expect(s.models).toBe(2);
    expect(Array.from(s.probs.subarray(6, 12))).toEqual(row(0.75));
    expect(w.finishedRuns().has("r1")).toBe(false);
    expect(String(zoo)).toMatch(/1 runs unfinished/);
  });

  it("rows appended after the last manifest update are ignored, not misread", () => {
    const dir = join(tmp, "crash");
    const w = ZooWriter.open(dir, init);
    const r = w.startRun("r2", {});
    r.append({ step: 0, epoch: 0 }, { train: row(0.5) });
    // simulate a crash between writing the rows and updating the run record: the file has 2 rows, the record 1
    const rec = readFileSync(join(dir, "runs", "r2.json"), "utf8");
    r.append({ step: 1, epoch: 1 }, { train: row(0.25) });
    writeFileSync(join(dir, "runs", "r2.json"), rec);
    r.close();
    expect(loadZoo(dir).predictions("train", { runs: ["r2"] }).models).toBe(1);
  });

  it("rejects bad rows before writing anything, naming run, step, split and sample", () => {
    const dir = join(tmp, "bad-rows");
    const r = ZooWriter.open(dir, init).startRun("r", {});
    expect(() => r.append({ step: 3, epoch: 0 }, { train: [0.5, 0.5, NaN, 1, 1, 0] })).toThrow(/run "r", step 3, split "train", sample 1: probability NaN/);
    expect(() => r.append({ step: 3, epoch: 0 }, { train: [0.5, 0.6, 0, 1, 1, 0] })).toThrow(/sample 0: probabilities sum to 1.1/);
    expect(() => r.append({ step: 3, epoch: 0 }, { train: [1, 0] })).toThrow(/2 values, expected 3 samples × 2 classes/);
    expect(loadZoo(dir).predictions("train").models).toBe(0);
    r.close();
  });

  it("refuses to reopen a folder holding a zoo of other samples", () => {
    const dir = join(tmp, "crash");
    expect(() => ZooWriter.open(dir, { ...init, splits: { train: { indices: [1, 2, 3], labels: [0, 1, 1] } } })).toThrow(/different dataset or evaluation samples/);
  });

  it("consolidate folds the per-run records into manifest.json", () => {
    const dir = join(tmp, "consolidate");
    const w = ZooWriter.open(dir, init);
    for (const id of ["z", "y"]) {
      const r = w.startRun(id, { seed: id === "z" ? 1 : 2 });
      r.append({ step: 0, epoch: 0 }, { train: row(0.5) });
      r.finish({ trained: true });
    }
    const m = w.consolidate((a, b) => a.id.localeCompare(b.id));
    expect(m.runs.map((r) => r.id)).toEqual(["y", "z"]);
    expect(existsSync(join(dir, "runs", "y.json"))).toBe(false);
    expect(loadZoo(dir).runs.map((r) => [r.id, r.finished, r.trained])).toEqual([["y", true, true], ["z", true, true]]);
    // a resumed zoo: the update re-flags runs and the given fields replace the manifest's old ones
    const again = ZooWriter.open(dir, init);
    const m2 = again.consolidate(undefined, (r) => { r.trained = r.id === "y"; }, { trainedThreshold: 0.25 });
    expect((m2 as unknown as { trainedThreshold: number }).trainedThreshold).toBe(0.25);
    expect(JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")).trainedThreshold).toBe(0.25);
    expect(loadZoo(dir).runs.map((r) => [r.id, r.trained])).toEqual([["y", true], ["z", false]]);
  });
});

describe("malformed zoos name the file and the problem", () => {
  const base = () => {
    const dir = mkdtempSync(join(tmp, "bad-"));
    saveZoo(dir, sets(), { dataset: "toy" });
    return dir;
  };
  const edit = (dir: string, f: (m: Record<string, any>) => void) => {
    const file = join(dir, "manifest.json");
    const m = JSON.parse(readFileSync(file, "utf8"));
    f(m);
    writeFileSync(file, JSON.stringify(m));
  };

  it("no manifest, invalid JSON, wrong format or version", () => {
    expect(() => loadZoo(join(tmp, "nowhere"))).toThrow(/nowhere: no manifest\.json: not a zoo folder/);
    const d1 = base();
    writeFileSync(join(d1, "manifest.json"), "{ not json");
    expect(() => loadZoo(d1)).toThrow(/manifest\.json: invalid JSON/);
    const d2 = base();
    edit(d2, (m) => (m.format = "other"));
    expect(() => loadZoo(d2)).toThrow(/manifest\.json: format is "other", expected "inpca-zoo"/);
    const d3 = base();
    edit(d3, (m) => (m.version = 99));
    expect(() => loadZoo(d3)).toThrow(/unsupported zoo version 99/);
    const d4 = base();
    edit(d4, (m) => m.runs.push(m.runs[0]));
    expect(() => loadZoo(d4)).toThrow(/run id "a" appears twice/);
  });

  it("a truncated prediction file, a shape that disagrees with the manifest, missing labels", () => {
    const d1 = base();
    const f = join(d1, "runs", "b.train.npy");
    truncateSync(f, readFileSync(f).length - 10);
    expect(() => loadZoo(d1).predictions("train")).toThrow(/b\.train\.npy: truncated/);
    const d2 = base();
    edit(d2, (m) => m.runs[0].checkpoints.push({ step: 30, epoch: 3 }));
    expect(() => loadZoo(d2).predictions("train")).toThrow(/a\.train\.npy: the manifest lists 4 checkpoints for run "a" but the file holds 3/);
    const d3 = base();
    edit(d3, (m) => m.splits.test.indices.push(99));
    expect(() => loadZoo(d3).predictions("test")).toThrow(/a\.test\.npy: predictions have shape \(3, 5, 4\), expected \(checkpoints, 6 samples, 4 classes\)/);
    const d4 = base();
    rmSync(join(d4, "labels.test.npy"));
    expect(() => loadZoo(d4).predictions("test")).toThrow(/labels\.test\.npy: cannot read/);
    expect(() => loadZoo(d4).predictions("valid")).toThrow(/no split "valid" in this zoo \(it has train, test\)/);
  });

  it("NaN or rows that do not sum to 1 inside a file: run, step and sample named", () => {
    const d = base();
    const f = join(d, "runs", "b.train.npy");
    const bytes = readFileSync(f);
    const start = bytes.length - 3 * 7 * 4 * 2; // float16 body
    bytes.writeUInt16LE(0x7e00, start + ((2 * 7 + 4) * 4 + 1) * 2); // NaN at checkpoint 2, sample 4, class 1
    writeFileSync(f, bytes);
    expect(() => loadZoo(d).predictions("train")).toThrow(/b\.train\.npy: run "b", step 20, sample 4, class 1: probability NaN/);
  });
});

describe("Zoo in a notebook", () => {
  it("shows its summary when inspected (a cell's last value, console.log)", async () => {
    const { inspect } = await import("node:util");
    const { loadZoo } = await import("../../src/io/stores/zoo/index.js");
    const zoo = loadZoo(join(__dirname, "..", "..", "data", "zoo"));
    expect(inspect(zoo)).toBe(String(zoo));
    expect(inspect(zoo)).toMatch(/^Zoo .*: Fashion-MNIST, 10 classes\n  \d+ runs, \d+ checkpoints/);
  });
});
