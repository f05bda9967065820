/**
 * Run files: one file holding every checkpoint of a run, [checkpoints, samples, classes] (the companion code's
 * per-seed HDF5 files, or a zoo-style .npy), with optional `steps`/`epochs` arrays beside the predictions (inside
 * the file, or in a `<name>.json` sidecar). Any array format whose shapes are read from a header (see
 * `io/formats/registry.ts`) can be one; discovery looks at shapes only.
 */
import { InpcaInputError } from "../../core/errors.js";
import type { ConfigValue } from "../../core/meta.js";
import type { DiscoveredCheckpoint, Item, RunFileRows } from "./walk.js";
import { arrayFormatOf, pickPredictionArray, type FileArray } from "../formats/registry.js";
import { readJsonObject } from "./sidecars.js";

const STEP_ARRAYS = ["steps", "step", "global_step", "global_steps", "iterations"];
const EPOCH_ARRAYS = ["epochs", "epoch"];

/** The checkpoint count (and stored steps/epochs) of a run file, or undefined for an ordinary checkpoint file. */
export function runFileRows(it: Item, options: { array?: string; split?: string }): RunFileRows | undefined {
  // checkpoint folders hold one checkpoint; a file named for a step or epoch is one checkpoint (a stacked array
  // there is an error, reported when it is read)
  if (it.path !== it.file || it.name.keyed) return undefined;
  const format = arrayFormatOf(it.file);
  if (!format?.cheapShapes) return undefined;
  let shape: number[] | undefined;
  let steps: number[] | undefined;
  let epochs: number[] | undefined;
  let f: ReturnType<typeof format.open>;
  try {
    f = format.open(it.file);
  } catch {
    return undefined; // unreadable, or h5wasm not loaded (sync discovery): reading it later reports the problem
  }
  try {
    // which array holds the predictions: a choice that fails here fails when read, so it is reported now
    const name = pickPredictionArray(f, options);
    try {
      shape = f.shape(name);
    } catch {
      return undefined; // a header that cannot be read: reading the file reports it
    }
    const oneD = (cands: string[]) => {
      const n = cands.find((c) => f.names.includes(c) && f.shape(c).length === 1);
      return n === undefined ? undefined : Array.from(f.read(n).data, Number);
    };
    steps = oneD(STEP_ARRAYS);
    epochs = oneD(EPOCH_ARRAYS);
  } finally {
    f.close();
  }
  if (shape.length !== 3 || shape[0]! <= 1) return undefined;
  const count = shape[0]!;
  if (it.sidecar) {
    const side = readJsonObject(it.sidecar, "a run file's sidecar");
    const list = (v: unknown, key: string) => {
      if (v === undefined) return undefined;
      if (!Array.isArray(v) || !v.every((x) => typeof x === "number" && Number.isFinite(x))) throw new InpcaInputError(`"${key}" must be an array of numbers`, { file: it.sidecar });
      return v as number[];
    };
    steps = list(side.steps, "steps") ?? steps;
    epochs = list(side.epochs, "epochs") ?? epochs;
  }
  for (const [key, v] of [["steps", steps], ["epochs", epochs]] as const) {
    if (v && v.length !== count) throw new InpcaInputError(`${v.length} ${key} for ${count} checkpoints along the first axis`, { file: it.file });
  }
  return { count, steps, epochs };
}

/** The checkpoints of a run file, one per row, numbered by its stored steps/epochs or by row. */
export function runFileCheckpoints(it: Item, stepsPerEpoch: number | undefined, config: Record<string, ConfigValue>): DiscoveredCheckpoint[] {
  const { count, steps, epochs } = it.rows!;
  const out: DiscoveredCheckpoint[] = [];
  for (let k = 0; k < count; k++) {
    const epoch = epochs?.[k];
    const step = steps?.[k] ?? (epoch !== undefined && stepsPerEpoch ? Math.round(epoch * stepsPerEpoch) : k);
    const c: DiscoveredCheckpoint = { path: `${it.path}#${k}`, format: it.format, file: it.file, step, config: { ...config }, fields: {}, row: k };
    if (epoch !== undefined) c.epoch = epoch;
    out.push(c);
  }
  for (let k = 1; k < out.length; k++) {
    if (steps && out[k]!.step < out[k - 1]!.step) throw new InpcaInputError(`steps are not increasing along the first axis (row ${k}: ${out[k]!.step} after ${out[k - 1]!.step})`, { file: it.file });
  }
  return out;
}

/** A checkpoint's array as read: the numbers, where they came from (for messages), and labels found beside them. */
export interface RawCheckpoint {
  array: FileArray;
  /** The file, plus the array name when the file holds several (and the row, for a run file). */
  source: string;
  labels?: Int32Array;
}

/** The run file last read (kept while its rows are taken, so the file is read once). */
export interface RunFileCache {
  file: string;
  raw: RawCheckpoint | null;
}

/** One row of a run file, [samples, classes], through `read` (which reads the whole file; see RunFileCache). */
export async function readRunFileRow(c: DiscoveredCheckpoint, cache: RunFileCache, read: (c: DiscoveredCheckpoint) => Promise<RawCheckpoint>): Promise<RawCheckpoint> {
  if (cache.file !== c.file || !cache.raw) {
    cache.raw = await read({ ...c, row: undefined });
    cache.file = c.file;
  }
  const { array, source, labels } = cache.raw;
  const [K, S, C] = array.shape as [number, number, number];
  if (array.shape.length !== 3 || c.row! >= K) throw new InpcaInputError(`expected [checkpoints, samples, classes] with at least ${c.row! + 1} checkpoints, found [${array.shape.join(", ")}]`, { file: source });
  const data = (array.data as Float32Array).subarray(c.row! * S * C, (c.row! + 1) * S * C);
  return { array: { data, shape: [S, C], dtype: array.dtype }, source: `${source} row ${c.row}`, labels };
}

