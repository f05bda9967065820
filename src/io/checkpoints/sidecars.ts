/**
 * Sidecar JSON files: a run folder's configuration (`config.json`, `run.json`, `meta.json`, `metadata.json`,
 * `hparams.json`, `args.json`) and a checkpoint's own (`<name>.json` beside a file, or one of those names inside
 * a checkpoint folder) with its step, epoch, error, loss and more configuration.
 */
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { InpcaInputError } from "../../core/errors.js";
import type { ConfigValue } from "../../core/meta.js";
import { toConfigValue } from "./names.js";
import { parseJsonFile } from "../formats/json.js";

/** File names of sidecars, in the order they are looked for. */
export const SIDECARS: readonly string[] = ["config.json", "run.json", "meta.json", "metadata.json", "hparams.json", "args.json"];

/** Fields of a checkpoint sidecar copied onto its metadata row (each a finite number). */
export const ROW_FIELDS: readonly string[] = ["error", "loss", "trainError", "testError", "trainLoss", "testLoss", "accuracy", "trainAccuracy", "testAccuracy", "lr"];

/** What a run folder's sidecar says: the run id, its configuration, and the file it came from. */
export interface RunSidecar {
  run?: string;
  config: Record<string, ConfigValue>;
  file?: string;
}

/** What a checkpoint's sidecar says. */
export interface CheckpointSidecar {
  step?: number;
  epoch?: number;
  /** ROW_FIELDS given. */
  fields: Record<string, number>;
  config: Record<string, ConfigValue>;
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** The sidecar inside a checkpoint folder, if any. */
export function folderSidecar(dir: string): string | undefined {
  for (const n of SIDECARS) if (existsSync(join(dir, n))) return join(dir, n);
  return undefined;
}

/** Parses `path` as a JSON object (`what` names it in the error otherwise). */
export function readJsonObject(path: string, what: string): Record<string, unknown> {
  const v = parseJsonFile(path);
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw new InpcaInputError(`${what} must be a JSON object`, { file: path });
  return v as Record<string, unknown>;
}

/** The run sidecar of folder `dir`: the run id (`run`/`id`/`name`) and its `config` object (else its scalar fields). */
export function readRunSidecar(dir: string): RunSidecar {
  for (const n of SIDECARS) {
    const p = join(dir, n);
    if (!isFile(p)) continue;
    const obj = readJsonObject(p, "a run configuration sidecar");
    const id = obj.run ?? obj.id ?? obj.name;
    const config: Record<string, ConfigValue> = {};
    const src = obj.config && typeof obj.config === "object" && !Array.isArray(obj.config) ? (obj.config as Record<string, unknown>) : obj;
    for (const [k, v] of Object.entries(src)) {
      if (src === obj && ["run", "id", "name", "split", "classNames", "labels"].includes(k)) continue;
      config[k] = toConfigValue(v);
    }
    return { run: typeof id === "string" || typeof id === "number" ? String(id) : undefined, config, file: p };
  }
  return { config: {} };
}

/** Reads a checkpoint's sidecar: step, epoch, the ROW_FIELDS, and its `config` object. */
export function readCheckpointSidecar(file: string): CheckpointSidecar {
  const side = readJsonObject(file, "a checkpoint sidecar");
  const out: CheckpointSidecar = { fields: {}, config: {} };
  if (side.step !== undefined) out.step = numberField(side.step, "step", file);
  if (side.epoch !== undefined) out.epoch = numberField(side.epoch, "epoch", file);
  for (const k of ROW_FIELDS) if (side[k] !== undefined) out.fields[k] = numberField(side[k], k, file);
  if (side.config && typeof side.config === "object" && !Array.isArray(side.config)) {
    for (const [k, v] of Object.entries(side.config as Record<string, unknown>)) out.config[k] = toConfigValue(v);
  }
  return out;
}

function numberField(v: unknown, name: string, file: string): number {
  if (typeof v !== "number" || !Number.isFinite(v)) throw new InpcaInputError(`"${name}" is ${JSON.stringify(v)}, not a finite number`, { file });
  return v;
}
