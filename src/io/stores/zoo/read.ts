/**
 * Reading a zoo. The zoo format: a folder of training runs' predictions that a Python user can also write with NumPy.
 *
 *   manifest.json                 format, dataset, class names, the evaluation samples per split, and per run:
 *                                 id, configuration, flags, and per checkpoint: step, epoch, train/test error and loss
 *   labels.<split>.npy            int32 [S_split], the true class of each evaluation sample
 *   runs/<id>.<split>.npy         float16 or float32 [checkpoints, S_split, classes], softmax probabilities
 *   runs/<id>.json                (while a run is being recorded) the run's manifest entry, merged on load
 *
 * Runs are written incrementally (`ZooWriter`): after every checkpoint the rows are appended, the .npy header's
 * shape is rewritten in place (the header reserves room for that), and the run's JSON record is replaced
 * atomically, so a crashed run keeps every checkpoint it recorded and `np.load` still reads each file.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { InpcaInputError } from "../../../core/errors.js";
import type { ModelPoint } from "../../../core/meta.js";
import { PredictionSet } from "../../../core/prediction-set.js";
import { decodeNpyFloatsInto, readNpy, readNpyHeader } from "../../formats/npy.js";
import { readBytes } from "../../formats/read-bytes.js";
import { checkRunFile, pointMeta, readManifest, readRunRecords, validateRows, type ZooCheckpoint, type ZooManifest, type ZooRun } from "./format.js";

/** Which rows `Zoo.predictions` takes. */
export interface ZooSelection {
  /** Keep runs for which this returns true (e.g. `(r) => r.trained !== false`). */
  where?: (run: ZooRun) => boolean;
  /** Keep only these run ids (in this order). */
  runs?: readonly string[];
  /** Keep checkpoints for which this returns true (index is the row in the run's file). */
  checkpoints?: (checkpoint: ZooCheckpoint, index: number, run: ZooRun) => boolean;
}


/** A loaded zoo: the manifest, labels per split, and predictions read on demand. */
export class Zoo {
  /** Folder the zoo was read from. */
  readonly dir: string;
  /** The manifest as read. */
  readonly manifest: ZooManifest;
  /** Runs, manifest order, then runs still being recorded (runs/<id>.json). */
  readonly runs: readonly ZooRun[];
  /** Class names, index = label. */
  readonly classNames: readonly string[];
  private readonly labelCache = new Map<string, Int32Array>();

  /** A zoo read from `dir` (use `loadZoo`, which checks the manifest and the runs' records first). */
  constructor(dir: string, manifest: ZooManifest, runs: readonly ZooRun[]) {
    this.dir = dir;
    this.manifest = manifest;
    this.runs = runs;
    this.classNames = manifest.dataset.classes;
  }

  /** Names of the splits ("train", "test"). */
  get splits(): string[] {
    return Object.keys(this.manifest.splits);
  }

  /** Total number of checkpoints over all runs. */
  get checkpoints(): number {
    return this.runs.reduce((a, r) => a + r.checkpoints.length, 0);
  }

  /** The run with this id (throws naming the id when absent). */
  run(id: string): ZooRun {
    const r = this.runs.find((x) => x.id === id);
    if (!r) throw new InpcaInputError(`no run "${id}" in this zoo (${this.runs.length} runs)`, { file: this.dir });
    return r;
  }

  /** True labels of the evaluation samples of `split` (int32, length S). */
  labels(split: string): Int32Array {
    this.checkSplit(split);
    let l = this.labelCache.get(split);
    if (!l) {
      const file = join(this.dir, `labels.${split}.npy`);
      const a = readNpy(readBytes(file), file);
      const S = this.manifest.splits[split]!.indices.length;
      if (a.shape.length !== 1 || a.shape[0] !== S) throw new InpcaInputError(`labels have shape (${a.shape.join(", ")}), the manifest lists ${S} samples for "${split}"`, { file });
      if (!(a.data instanceof Int32Array)) throw new InpcaInputError(`labels must be integers, found dtype '${a.dtype}'`, { file });
      const C = this.classNames.length;
      a.data.forEach((y, n) => {
        if (y < 0 || y >= C) throw new InpcaInputError(`label ${y} of sample ${n} is outside [0, ${C})`, { file });
      });
      l = a.data;
      this.labelCache.set(split, l);
    }
    return l;
  }

  /**
   * The predictions of the selected runs' checkpoints on `split` as one PredictionSet [M, S, C] (float32),
   * rows ordered run by run, checkpoint by checkpoint. Each file is read once and decoded straight into the
   * result. Meta rows carry run, step, epoch, split, config, phase, error/loss on this split and both splits'.
   */
  predictions(split: string, selection: ZooSelection = {}): PredictionSet {
    this.checkSplit(split);
    const S = this.manifest.splits[split]!.indices.length;
    const C = this.classNames.length;
    const runs = this.selectRuns(selection);
    const rows = runs.map((run) => run.checkpoints.map((c, i) => i).filter((i) => !selection.checkpoints || selection.checkpoints(run.checkpoints[i]!, i, run)));
    const M = rows.reduce((a, r) => a + r.length, 0);
    const probs = new Float32Array(M * S * C);
    const meta: ModelPoint[] = [];
    let m = 0;
    runs.forEach((run, k) => {
      if (rows[k]!.length === 0) return;
      const file = join(this.dir, "runs", `${run.id}.${split}.npy`);
      const bytes = readBytes(file);
      const h = checkRunFile(readNpyHeader(bytes, file), bytes.length, run, split, S, C, file);
      for (const i of rows[k]!) {
        decodeNpyFloatsInto(bytes, h, i * S * C, S * C, probs, m * S * C);
        meta.push(pointMeta(run, run.checkpoints[i]!, split));
        m++;
      }
      validateRows(probs, (m - rows[k]!.length) * S * C, m * S * C, C, S, meta, m - rows[k]!.length, file);
    });
    return new PredictionSet(
      { probs, models: M, samples: S, classes: C, labels: this.labels(split), classNames: this.classNames, meta, split, sampleIds: Int32Array.from(this.manifest.splits[split]!.indices) },
      { validate: false },
    );
  }

  /** The runs a selection keeps, in its order (see `ZooSelection`). */
  selectRuns(selection: ZooSelection = {}): ZooRun[] {
    let runs = this.runs.filter((r) => !selection.where || selection.where(r));
    if (selection.runs) {
      const byId = new Map(runs.map((r) => [r.id, r]));
      runs = selection.runs.map((id) => byId.get(id) ?? this.run(id)).filter((r) => byId.has(r.id));
    }
    return runs;
  }

  /** The summary (`toString`) when a notebook cell's last value is the zoo, or it is logged. */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }

  /** A one-line-per-fact summary for notebooks. */
  toString(): string {
    const archs = new Map<string, number>();
    for (const r of this.runs) archs.set(String(r.config.arch ?? "?"), (archs.get(String(r.config.arch ?? "?")) ?? 0) + 1);
    const splits = this.splits.map((s) => `${s} ${this.manifest.splits[s]!.indices.length}`).join(", ");
    const unfinished = this.runs.filter((r) => r.finished === false).length;
    const untrained = this.runs.filter((r) => r.trained === false).length;
    return [
      `Zoo ${this.dir}: ${this.manifest.dataset.name}, ${this.classNames.length} classes`,
      `  ${this.runs.length} runs, ${this.checkpoints} checkpoints; samples per split: ${splits}`,
      `  architectures: ${[...archs].map(([a, n]) => `${a} (${n})`).join(", ")}`,
      ...(untrained ? [`  ${untrained} runs flagged untrained (final train error above the threshold)`] : []),
      ...(unfinished ? [`  ${unfinished} runs unfinished (recording stopped early)`] : []),
    ].join("\n");
  }

  private checkSplit(split: string): void {
    if (!Object.hasOwn(this.manifest.splits, split)) throw new InpcaInputError(`no split "${split}" in this zoo (it has ${this.splits.join(", ")})`, { file: this.dir });
  }
}

/**
 * Reads a zoo folder. Runs listed in manifest.json come first; runs still being recorded (runs/<id>.json
 * without a manifest entry) follow. Nothing is read from the prediction files until `predictions` is called.
 */
export function loadZoo(dir: string): Zoo {
  const file = join(dir, "manifest.json");
  if (!existsSync(file)) throw new InpcaInputError("no manifest.json: not a zoo folder", { file: dir });
  // a consolidate running at the same time folds runs/<id>.json into the manifest and then deletes them: when
  // a record vanishes between listing and reading, read the manifest again (it holds the run by then)
  for (let attempt = 0; ; attempt++) {
    const manifest = readManifest(file);
    const records = readRunRecords(join(dir, "runs"));
    if (records === null && attempt < 5) continue;
    // a run's own record is newer than its manifest entry (a run restarted after a consolidate)
    const own = new Map((records ?? []).map((r) => [r.id, r]));
    const runs = manifest.runs.map((r) => own.get(r.id) ?? r);
    const known = new Set(manifest.runs.map((r) => r.id));
    for (const r of records ?? []) if (!known.has(r.id)) runs.push(r);
    return new Zoo(dir, manifest, runs);
  }
}

