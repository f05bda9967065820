/**
 * Discovery: from a folder, a glob or a list of paths to runs of ordered checkpoints, without reading any array.
 * The walk (`walk.ts`) finds the items; here they are grouped into runs (by the folder they sit in and
 * the configuration in their names; a run file is a run of its own), numbered (sidecar, name, `stepsPerEpoch`,
 * index) and ordered, and each run gets its id and configuration.
 */
import { basename } from "node:path";
import { InpcaInputError } from "../../core/errors.js";
import type { ConfigValue } from "../../core/meta.js";
import { keyValues, naturalCompare, parseName, stripExt } from "./names.js";
import { collect, type DiscoveredCheckpoint, type Item } from "./walk.js";
import { checkLoadOptions } from "./options.js";
import { runFileCheckpoints, runFileRows } from "./run-files.js";
import { readCheckpointSidecar, readRunSidecar, type RunSidecar } from "./sidecars.js";

/** One checkpoint found on disk (defined beside the walk, which run files also build on). */
export type { DiscoveredCheckpoint };

/** One run found on disk: its checkpoints in order. */
export interface DiscoveredRun {
  /** Run id. */
  run: string;
  /** The folder holding the run's checkpoints. */
  dir: string;
  /** The run's configuration (without per-checkpoint additions). */
  config: Record<string, ConfigValue>;
  /** Checkpoints, ordered by step (then epoch, then name). */
  checkpoints: DiscoveredCheckpoint[];
}

/** How discovery names, configures and numbers runs (a part of `LoadCheckpointsOptions`). */
export interface DiscoverOptions {
  /** Name of the array to take from each file: npz member, safetensors tensor, HDF5 dataset, or JSON key. */
  array?: string;
  /** Split the samples come from ("train", "test"): in a file of several arrays, selects the split's own. */
  split?: string;
  /**
   * Run id: one string (a single run), or a function of each discovered run. Default: the sidecar's run/id/name,
   * else the folder name (a JSON configuration name becomes `key=value,...`), plus the configuration embedded in
   * file names when runs share a folder.
   */
  run?: string | ((run: DiscoveredRun) => string);
  /** Configuration merged into every row (wins over sidecars and names). */
  config?: Record<string, ConfigValue>;
  /** Derives the step from an epoch-only name (otherwise such checkpoints get step = their index in the run). */
  stepsPerEpoch?: number;
}

/**
 * Finds the checkpoints under `dirOrGlob` (a run folder, a glob, or a list of paths) and orders them, without
 * reading any array. Useful to check what `loadCheckpoints` will load.
 */
export function discoverCheckpoints(dirOrGlob: string | readonly string[], options: DiscoverOptions = {}): DiscoveredRun[] {
  checkLoadOptions(dirOrGlob, options);
  const items = collect(dirOrGlob);
  for (const it of items) it.rows = runFileRows(it, options);
  // group by run folder and by the configuration embedded in the file name; a run file is a run of its own
  const groups = new Map<string, Item[]>();
  for (const it of items) {
    const key = it.rows ? `${it.runDir}\0${it.base}\0file` : `${it.runDir}\0${JSON.stringify(it.name.config)}`;
    const g = groups.get(key);
    if (g) g.push(it);
    else groups.set(key, [it]);
  }
  const keys = [...groups.keys()].sort(naturalCompare);
  if (typeof options.run === "string" && keys.length > 1) {
    const dirs = [...new Set(keys.map((k) => groups.get(k)![0]!.runDir))];
    throw new InpcaInputError(`run: one id ("${options.run}") given, but ${keys.length} runs were found (${dirs.slice(0, 3).join(", ")}${dirs.length > 3 ? ", …" : ""}${dirs.length === 1 ? ", told apart by the configuration in their file names" : ""}); pass a function instead`);
  }
  const runs: DiscoveredRun[] = [];
  const sidecarCache = new Map<string, RunSidecar>();
  for (const key of keys) {
    const group = groups.get(key)!;
    const dir = group[0]!.runDir;
    let side = sidecarCache.get(dir);
    if (!side) {
      side = readRunSidecar(dir);
      sidecarCache.set(dir, side);
    }
    const dirName = parseName(basename(dir));
    const fileConfig = group[0]!.name.config;
    const config: Record<string, ConfigValue> = { ...dirName.config, ...side.config, ...fileConfig, ...(options.config ?? {}) };
    const runFile = group[0]!.rows ? group[0]! : null;
    const checkpoints = runFile ? runFileCheckpoints(runFile, options.stepsPerEpoch, config) : orderRun(group, options.stepsPerEpoch, config);
    const baseId = side.run ?? (Object.keys(dirName.config).length ? keyValues(dirName.config) : basename(dir));
    const fileId = runFile ? stripExt(runFile.base) : null;
    const draft: DiscoveredRun = { run: fileId ?? (Object.keys(fileConfig).length ? `${baseId}/${keyValues(fileConfig)}` : baseId), dir, config, checkpoints };
    if (typeof options.run === "string") draft.run = options.run;
    else if (typeof options.run === "function") draft.run = options.run(draft);
    runs.push(draft);
  }
  const seen = new Map<string, string>();
  for (const r of runs) {
    const other = seen.get(r.run);
    if (other !== undefined) throw new InpcaInputError(`two runs have the id "${r.run}" (${other} and ${r.dir}); pass options.run as a function to tell them apart`);
    seen.set(r.run, r.dir);
  }
  return runs;
}

/** The checkpoints of one run, numbered and ordered (duplicates and half-numbered runs refused). */
function orderRun(group: Item[], stepsPerEpoch: number | undefined, runConfig: Record<string, ConfigValue>): DiscoveredCheckpoint[] {
  const entries = group.map((it) => {
    let step = it.name.step;
    let epoch = it.name.epoch;
    const config: Record<string, ConfigValue> = { ...runConfig };
    const fields: Record<string, unknown> = {};
    if (it.sidecar) {
      const side = readCheckpointSidecar(it.sidecar);
      step = side.step ?? step;
      epoch = side.epoch ?? epoch;
      Object.assign(fields, side.fields);
      Object.assign(config, side.config);
    }
    return { it, step, epoch, config, fields };
  });
  const allStep = entries.every((e) => e.step !== undefined);
  const allEpoch = entries.every((e) => e.epoch !== undefined);
  const none = entries.every((e) => e.step === undefined && e.epoch === undefined);
  if (!allStep && !allEpoch && !none) {
    const bad = entries.find((e) => e.step === undefined && e.epoch === undefined) ?? entries.find((e) => e.step === undefined)!;
    throw new InpcaInputError(`no step or epoch number in the name, while other checkpoints in ${group[0]!.runDir} have one; rename it, or select the checkpoints with a glob`, { file: bad.it.path });
  }
  const key = (e: (typeof entries)[number]) => (allStep ? e.step! : allEpoch ? e.epoch! : 0);
  entries.sort((a, b) => key(a) - key(b) || (a.epoch ?? 0) - (b.epoch ?? 0) || naturalCompare(a.it.base, b.it.base));
  if (!none) {
    for (let i = 1; i < entries.length; i++) {
      const a = entries[i - 1]!;
      const b = entries[i]!;
      if (key(a) === key(b) && a.epoch === b.epoch) {
        throw new InpcaInputError(`same ${allStep ? "step" : "epoch"} ${key(a)} as ${a.it.path}; one of them is a duplicate`, { file: b.it.path });
      }
    }
  }
  return entries.map((e, i) => {
    const step = e.step ?? (e.epoch !== undefined && stepsPerEpoch ? Math.round(e.epoch * stepsPerEpoch) : i);
    const c: DiscoveredCheckpoint = { path: e.it.path, format: e.it.format, file: e.it.file, step, config: e.config, fields: e.fields };
    if (e.epoch !== undefined) c.epoch = e.epoch;
    return c;
  });
}
