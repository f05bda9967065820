/**
 * The Python recorder shipped in the package (python/inpca_recorder.py), run with Debian's /usr/bin/python3:
 *
 * - real PyTorch training on scikit-learn's bundled digits (an MLP and a small CNN, 2 seeds each, 3 epochs): recorded
 *   during training with `Recorder.record` (b), and the state_dicts saved at each epoch turned into a zoo with
 *   `from_state_dicts` (c). Both zoos are read with loadZoo / zooSource and checked against a forward pass written in
 *   NumPy (test/python/numpy_reference.py, which derives the evaluation samples from sklearn itself), against the
 *   run specification given here (runs, steps, epochs, configs) and the labels; `inpca report` reads both.
 * - the zoo writer alone (a) in a process where `import torch` fails: what it writes loads, every bad input is refused
 *   naming the file, run, step, split and sample (nothing written), and a process killed after or inside a checkpoint
 *   leaves a zoo that loads with the checkpoints recorded so far, which re-opening continues.
 *
 * Needs /usr/bin/python3 with torch, numpy and sklearn (Debian python3-torch python3-sklearn; scripts/system-deps.sh
 * installs them). Without them the tests fail, saying so: they are never skipped.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { errorAndLoss } from "../../src/core/rows.js";
import { loadNpy, loadNpyHeader } from "../../src/io/formats/npy.js";
import { zooSource } from "../../src/io/stores/zoo/source.js";
import { loadZoo, ZooWriter, type Zoo } from "../../src/io/stores/zoo/index.js";

/** Debian's Python (python3-torch, python3-sklearn); INPCA_RECORDER_PYTHON overrides it (e.g. to see the failure without torch). */
const PYTHON = process.env.INPCA_RECORDER_PYTHON || "/usr/bin/python3";
const HERE = __dirname;
const ROOT = join(HERE, "..", "..");
const CLI = join(ROOT, "dist", "cli", "main.js");
const tmp = mkdtempSync(join(tmpdir(), "inpca-recorder-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs `python args` and returns its stdout; a failure throws with Python's stderr. */
function py(args: string[], allowStatus: number[] = [0]): { stdout: string; status: number; seconds: number } {
  const t = Date.now();
  // no __pycache__ beside python/inpca_recorder.py (the folder is packed)
  const r = spawnSync(PYTHON, args, { encoding: "utf8", maxBuffer: 1 << 28, timeout: 300_000, env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" } });
  if (r.error) throw new Error(`${PYTHON} could not be run (${r.error.message}): install Debian's python3 (bash scripts/system-deps.sh)`);
  if (!allowStatus.includes(r.status ?? -1)) throw new Error(`${PYTHON} ${args.join(" ")} failed (exit ${r.status}):\n${r.stderr}`);
  return { stdout: r.stdout, status: r.status!, seconds: (Date.now() - t) / 1000 };
}

/** Why the PyTorch tests cannot run (thrown, so they fail with it), or null. */
function torchMissing(): string | null {
  const r = spawnSync(PYTHON, ["-c", "import torch, numpy, sklearn"], { encoding: "utf8" });
  if (r.status === 0) return null;
  const why = r.error ? r.error.message : r.stderr.trim().split("\n").pop();
  return `the Python recorder's tests need ${PYTHON} with torch, numpy and sklearn (${why}); install them with ` +
    "bash scripts/system-deps.sh (Debian python3-torch python3-sklearn)";
}

/** Largest |a - b| over two equally long arrays (and their lengths must agree). */
function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

// the first test trains (seconds alone; more on a machine shared with a CI run)
describe("the Python recorder with PyTorch: digits, an MLP and a CNN, two seeds each", { timeout: 300_000 }, () => {
  const spec = {
    dataSeed: 7, test: 500, trainEval: 300, epochs: 3, batch: 64, lr: 0.05, recordEvery: 10,
    runs: [
      { id: "mlp-s0", arch: "mlp", width: 32, seed: 0 }, { id: "mlp-s1", arch: "mlp", width: 32, seed: 1 },
      { id: "cnn-s0", arch: "cnn", channels: 6, seed: 0 }, { id: "cnn-s1", arch: "cnn", channels: 6, seed: 1 },
    ],
  };
  const DIGITS = 1797; // sklearn's digits
  const stepsPerEpoch = Math.ceil((DIGITS - spec.test) / spec.batch);
  const out = join(tmp, "digits");
  const configOf = (r: (typeof spec.runs)[number]) => ({ arch: r.arch, ...(r.width ? { width: r.width } : {}), ...(r.channels ? { channels: r.channels } : {}), seed: r.seed, lr: spec.lr, batchSize: spec.batch });
  const S: Record<string, number> = { train: spec.trainEval, test: spec.test };
  type Summary = { stepsPerEpoch: number; recorded: Record<string, number>[]; trainSeconds: number; stateDictSeconds: number };
  let trained: { summary?: Summary; error?: Error } | undefined;
  /**
   * Trains and records once (in the first test that asks), then the NumPy reference. A missing torch or a failed
   * script fails every test of this block with the reason (a throwing beforeAll would report them as skipped).
   */
  function training(): Summary {
    if (!trained) {
      try {
        const missing = torchMissing();
        if (missing) throw new Error(missing);
        writeFileSync(join(tmp, "spec.json"), JSON.stringify(spec));
        const train = py([join(HERE, "train_digits.py"), join(tmp, "spec.json"), out]);
        const summary = JSON.parse(train.stdout) as Summary;
        const ref = py([join(HERE, "numpy_reference.py"), join(tmp, "spec.json"), out]);
        console.log(`recorder: training + recording ${train.seconds.toFixed(1)} s wall (of which training with record() ${summary.trainSeconds.toFixed(1)} s, ` +
          `from_state_dicts ${summary.stateDictSeconds.toFixed(1)} s); NumPy reference ${ref.seconds.toFixed(1)} s`);
        trained = { summary };
      } catch (e) {
        trained = { error: e as Error };
      }
    }
    if (trained.error) throw trained.error;
    return trained.summary!;
  }

  /** The NumPy forward pass of run `id` on `split`: [epochs + 1, S, 10] float64. */
  const reference = (id: string, split: string) => loadNpy(join(out, "ref", `${id}.${split}.npy`));

  /** Checks runs, configs, labels and sample indices of a zoo against the specification. */
  function checkMetadata(zoo: Zoo) {
    expect(zoo.runs.map((r) => r.id).sort()).toEqual(spec.runs.map((r) => r.id).sort());
    expect(zoo.manifest.dataset).toEqual({ name: "digits", classes: range(10).map(String) });
    for (const r of spec.runs) {
      expect(zoo.run(r.id).config).toEqual(configOf(r));
      expect(zoo.run(r.id).finished).toBe(true);
    }
    for (const split of ["train", "test"]) {
      expect(zoo.manifest.splits[split]!.indices).toEqual(range(S[split]!));
      const labels = loadNpy(join(out, "ref", `labels.${split}.npy`)).data;
      expect(Array.from(zoo.labels(split))).toEqual(Array.from(labels));
      expect(new Set(zoo.labels(split)).size).toBe(10);
    }
  }

  it("(b) recorded during training: runs, configs, labels, every step and epoch of the schedule", () => {
    expect(training().stepsPerEpoch).toBe(stepsPerEpoch);
    const zoo = loadZoo(join(out, "zoo-live"));
    checkMetadata(zoo);
    const last = spec.epochs * stepsPerEpoch;
    const steps = range(last + 1).filter((s) => s % spec.recordEvery === 0 || s % stepsPerEpoch === 0);
    for (const r of spec.runs) {
      const cps = zoo.run(r.id).checkpoints;
      expect(cps.map((c) => c.step)).toEqual(steps);
      expect(cps.map((c) => c.epoch)).toEqual(steps.map((s) => s / stepsPerEpoch));
      expect(zoo.run(r.id).trained).toBe(true);
    }
  });

  it("(b) the predictions at every epoch end equal NumPy's forward pass of the saved state_dicts (float32, 1e-5), on both splits", async () => {
    training();
    const zoo = loadZoo(join(out, "zoo-live"));
    for (const split of ["train", "test"]) {
      const src = zooSource(zoo, split);
      const set = await src.read(range(src.models));
      const n = S[split]! * 10;
      for (const r of spec.runs) {
        const ref = reference(r.id, split);
        expect(ref.shape).toEqual([spec.epochs + 1, S[split], 10]);
        // the networks learned: their predictions moved, and the last ones are mostly right
        expect(maxDiff(ref.data.subarray(0, n), ref.data.subarray(spec.epochs * n))).toBeGreaterThan(0.5);
        for (let k = 0; k <= spec.epochs; k++) {
          const m = set.meta.findIndex((p) => p.run === r.id && p.step === k * stepsPerEpoch);
          expect(m, `${r.id} step ${k * stepsPerEpoch}`).toBeGreaterThanOrEqual(0);
          expect(maxDiff(set.probs.subarray(m * n, (m + 1) * n), ref.data.subarray(k * n, (k + 1) * n)), `${r.id} epoch ${k} ${split}`).toBeLessThan(1e-5);
        }
      }
    }
  });

  it("(b) each checkpoint's stored error and loss on each split are those of its stored predictions", () => {
    training();
    const zoo = loadZoo(join(out, "zoo-live"));
    for (const split of ["train", "test"]) {
      const set = zoo.predictions(split);
      const labels = zoo.labels(split);
      const n = S[split]! * 10;
      set.meta.forEach((p, m) => {
        const { error, loss } = errorAndLoss(set.probs, m * n, labels, S[split]!, 10);
        expect(p.error).toBeCloseTo(error, 9);
        expect(p.loss).toBeCloseTo(loss, 5);
      });
      const finals = spec.runs.map((r) => set.meta.filter((p) => p.run === r.id).at(-1)!.error as number);
      expect(Math.max(...finals), `final ${split} errors ${finals}`).toBeLessThan(0.3);
    }
  });

  it("(c) from_state_dicts: steps and epochs from the file names, configs from config.json, resumable, predictions equal NumPy's", async () => {
    // recorded in three calls: without the last epoch's files, with them (each run continued), and again (nothing new)
    const per = (n: number) => Object.fromEntries(spec.runs.map((r) => [r.id, n]));
    expect(training().recorded).toEqual([per(spec.epochs), per(1), per(0)]);
    const zoo = loadZoo(join(out, "zoo-sd"));
    checkMetadata(zoo);
    // consolidated: every run is in manifest.json, no per-run records are left
    expect(zoo.manifest.runs.map((r) => r.id).sort()).toEqual(spec.runs.map((r) => r.id).sort());
    expect(existsSync(join(out, "zoo-sd", "runs", "mlp-s0.json"))).toBe(false);
    for (const r of spec.runs) {
      expect(zoo.run(r.id).checkpoints.map((c) => [c.step, c.epoch])).toEqual(range(spec.epochs + 1).map((k) => [k * stepsPerEpoch, k]));
    }
    for (const split of ["train", "test"]) {
      const src = zooSource(zoo, split);
      const set = await src.read(range(src.models));
      const n = S[split]! * 10;
      for (const r of spec.runs) {
        const ref = reference(r.id, split);
        const m = set.meta.findIndex((p) => p.run === r.id);
        expect(maxDiff(set.probs.subarray(m * n, (m + spec.epochs + 1) * n), ref.data), `${r.id} ${split}`).toBeLessThan(1e-5);
      }
    }
  });

  it("`inpca report` reads both zoos (exit 0, a page naming the runs)", () => {
    training();
    expect(existsSync(CLI), `${CLI} is missing: run node scripts/build.mjs`).toBe(true);
    for (const z of ["zoo-live", "zoo-sd"]) {
      const page = join(tmp, `${z}.html`);
      const t = Date.now();
      const r = spawnSync(process.execPath, [CLI, "report", join(out, z), "-o", page, "--quiet"], { encoding: "utf8", timeout: 240_000 });
      console.log(`inpca report ${z}: ${((Date.now() - t) / 1000).toFixed(1)} s`);
      expect(r.status, r.stderr).toBe(0);
      expect(statSync(page).size).toBeGreaterThan(100_000);
      const html = readFileSync(page, "utf8");
      for (const run of spec.runs) expect(html).toContain(run.id);
    }
  });
});

describe("the recorder's zoo writer with NumPy only (import torch fails)", () => {
  const script = join(HERE, "numpy_zoo.py");
  const CLASSES = ["cat", "dog", "bird", "fish"];
  const S: Record<string, number> = { train: 9, test: 6 };
  const labelsOf = (split: string) => range(S[split]!).map((n) => (n * 3 + 1) % 4);

  it("writes a zoo ip.loadZoo reads: runs, configs, steps, epochs, fields, sample indices, labels, probabilities (float16)", () => {
    const dir = join(tmp, "np");
    const expected = join(tmp, "np-expected");
    const res = JSON.parse(py([script, "write", dir, expected]).stdout);
    expect(res.torchImported).toBe(false);
    expect(res.recorderError).toMatch(/Recorder and from_state_dicts need PyTorch/);
    const zoo = loadZoo(dir);
    expect(zoo.runs.map((r) => [r.id, r.config, r.finished])).toEqual([["a", { arch: "mlp", seed: 0 }, true], ["b", { arch: "cnn", seed: 1, lr: 0.1 }, true]]);
    expect(zoo.classNames).toEqual(CLASSES);
    for (const r of zoo.runs) {
      expect(r.checkpoints.map((c) => [c.step, c.epoch, c.wall])).toEqual([0, 10, 20, 30].map((s) => [s, s / 20, s * 0.5]));
    }
    for (const split of ["train", "test"]) {
      expect(zoo.manifest.splits[split]!.indices).toEqual(range(S[split]!).map((n) => 2 * n));
      expect(Array.from(zoo.labels(split))).toEqual(labelsOf(split));
      const set = zoo.predictions(split);
      expect(set.meta.map((p) => `${p.run}@${p.step}`)).toEqual(["a", "b"].flatMap((r) => [0, 10, 20, 30].map((s) => `${r}@${s}`)));
      const n = S[split]! * 4;
      for (const [k, run] of ["a", "b"].entries()) {
        const want = loadNpy(join(expected, `${run}.${split}.npy`)).data;
        // float16 rounding of values in [0, 1]: at most 2^-12
        expect(maxDiff(set.probs.subarray(k * 4 * n, (k + 1) * 4 * n), want)).toBeLessThanOrEqual(2 ** -12);
        // error and loss were computed by the recorder from the float64 rows
        for (let c = 0; c < 4; c++) {
          const { error, loss } = errorAndLoss(want, c * n, labelsOf(split), S[split]!, 4);
          expect(zoo.run(run).checkpoints[c]![`${split}Error`]).toBeCloseTo(error, 12);
          expect(zoo.run(run).checkpoints[c]![`${split}Loss`]).toBeCloseTo(loss, 12);
        }
      }
    }
    // inpca's own writer accepts the folder as the same zoo and folds the Python records into the manifest
    const w = ZooWriter.open(dir, { dataset: "toy", classNames: CLASSES, float16: true, splits: Object.fromEntries(["train", "test"].map((s) => [s, { indices: range(S[s]!).map((n) => 2 * n), labels: labelsOf(s) }])) });
    expect(w.consolidate().runs.map((r) => r.id)).toEqual(["a", "b"]);
    expect(loadZoo(dir).predictions("test").probs).toEqual(zoo.predictions("test").probs);
  });

  it("refuses bad rows, shapes, steps, metrics, labels and a second writer, naming file, run, step, split and sample; writes nothing", () => {
    const dir = join(tmp, "np-bad");
    const msg = JSON.parse(py([script, "refusals", dir]).stdout) as Record<string, string | null>;
    const file = (split: string) => `${dir}/runs/r.${split}.npy: run "r", step 20, split "${split}"`;
    expect(msg.sum).toContain(`${file("train")}, sample 7: probabilities sum to 0.9, not 1`);
    expect(msg.nan).toContain(`${file("test")}, sample 3, class 2: probability nan is not a finite non-negative number`);
    expect(msg.negative).toContain(`${file("train")}, sample 4, class 1: probability -0.29`);
    expect(msg.shape).toContain(`${file("test")}: predictions have shape (5, 4), expected (6 samples, 4 classes)`);
    expect(msg.missing).toContain(`${dir}/runs/r.json: run "r", step 20: no predictions for split "test"`);
    expect(msg.step).toContain(`run "r", step 10: steps must increase, and this run already holds step 10`);
    expect(msg.metric).toContain(`run "r", step 20: train_error is nan`);
    expect(msg.second).toMatch(new RegExp(`${dir}/runs/r\\.lock: run "r" is being written by process \\d+`));
    expect(msg.config).toContain(`run "r" was recorded with config {"arch": "mlp"}; this call gives {"arch": "cnn"}`);
    expect(msg.label).toContain(`${dir}-labels: split "test", sample 4: label 12 is outside [0, 4)`);
    expect(msg.other).toContain(`${dir}/manifest.json: this folder holds a zoo of a different dataset, classes or evaluation samples (classes ["cat", "dog", "bird", "fish"], not ["cat", "dog", "bird"])`);
    // nothing of the refused checkpoints reached the disk: one checkpoint listed and counted
    const zoo = loadZoo(dir);
    expect(zoo.run("r").checkpoints.map((c) => c.step)).toEqual([10]);
    for (const split of ["train", "test"]) {
      expect(loadNpyHeader(join(dir, "runs", `r.${split}.npy`)).shape).toEqual([1, S[split], 4]);
      expect(zoo.predictions(split).models).toBe(1);
    }
    expect(existsSync(`${dir}-labels/manifest.json`)).toBe(false);
  });

  // where the process dies, and how many rows the .npy headers count then
  const kills = [
    { midway: 0, when: "after the 3rd checkpoint", headerRows: 3 },
    { midway: 1, when: "inside the 4th checkpoint, its rows and headers written but not its record", headerRows: 4 },
    { midway: 2, when: "inside the 4th checkpoint, its rows written but not its headers", headerRows: 3 },
  ];
  for (const { midway, when, headerRows } of kills) {
    it(`a process killed ${when} leaves a loadable zoo with 3; re-opening continues the run`, () => {
      const dir = join(tmp, `np-kill-${midway}`);
      const expected = join(tmp, `np-kill-expected-${midway}`);
      expect(py([script, "kill", dir, expected, "3", String(midway)], [9]).status).toBe(9);
      let zoo = loadZoo(dir);
      expect(zoo.run("victim").finished).toBe(false);
      expect(zoo.run("victim").checkpoints.map((c) => c.step)).toEqual([0, 10, 20]);
      expect(existsSync(join(dir, "runs", "victim.lock"))).toBe(true); // left by the dead process, taken over below
      for (const split of ["train", "test"]) {
        expect(loadNpyHeader(join(dir, "runs", `victim.${split}.npy`)).shape[0]).toBe(headerRows);
        const n = S[split]! * 4;
        const want = loadNpy(join(expected, `victim.${split}.npy`)).data;
        expect(maxDiff(zoo.predictions(split).probs, Float32Array.from(want.subarray(0, 3 * n)))).toBe(0);
      }
      const res = JSON.parse(py([script, "resume", dir, "6"]).stdout);
      expect(res).toEqual({ lastStepBefore: 20, shapes: { train: [6, 9, 4], test: [6, 6, 4] }, torchImported: false });
      zoo = loadZoo(dir);
      expect(zoo.run("victim").finished).toBe(true);
      expect(zoo.run("victim").checkpoints.map((c) => [c.step, c.epoch])).toEqual([0, 10, 20, 30, 40, 50].map((s) => [s, s / 20]));
      expect(existsSync(join(dir, "runs", "victim.lock"))).toBe(false);
      for (const split of ["train", "test"]) {
        const n = S[split]! * 4;
        const want = loadNpy(join(expected, `victim.${split}.npy`)).data;
        expect(maxDiff(zoo.predictions(split).probs, Float32Array.from(want.subarray(0, 6 * n)))).toBe(0);
      }
    });
  }
});
