/**
 * Checkpoint names: the step, epoch and configuration that file and folder names carry (`epoch_2`,
 * `step=500`, `ckpt-000500`, `{"arch":"allcnn","seed":0}`), and the natural order of such names.
 */
import { extname } from "node:path";
import type { ConfigValue } from "../../core/meta.js";
import { checkpointFileFormat } from "../formats/registry.js";

/**
 * Compares strings the way people number files: digit runs by value (`epoch_2` < `epoch_10`; `007` = `7`, the
 * shorter first on ties), the rest case-insensitively, then case-sensitively.
 */
export function naturalCompare(a: string, b: string): number {
  const ta = a.match(/\d+|\D+/g) ?? [];
  const tb = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.min(ta.length, tb.length); i++) {
    const x = ta[i]!;
    const y = tb[i]!;
    const dx = /^\d/.test(x);
    const dy = /^\d/.test(y);
    if (dx && dy) {
      const nx = x.replace(/^0+(?=\d)/, "");
      const ny = y.replace(/^0+(?=\d)/, "");
      if (nx.length !== ny.length) return nx.length - ny.length;
      if (nx !== ny) return nx < ny ? -1 : 1;
      if (x.length !== y.length) return x.length - y.length;
    } else if (x !== y) {
      const lx = x.toLowerCase();
      const ly = y.toLowerCase();
      if (lx !== ly) return lx < ly ? -1 : 1;
      return x < y ? -1 : 1;
    }
  }
  return ta.length - tb.length;
}

/**
 * Reads the step, epoch and embedded JSON configuration from a file or folder name (extension removed).
 * `step`/`epoch` are undefined when the name has no number for them; a bare number counts as a step.
 */
export function parseCheckpointName(name: string): {
  /** The step in the name, if any. */
  step?: number;
  /** The epoch in the name, if any. */
  epoch?: number;
  /** JSON configuration embedded in the name ({} when none). */
  config: Record<string, ConfigValue>;
} {
  const { step, epoch, config } = parseName(stripExt(name));
  return { step, epoch, config };
}

/** A parsed checkpoint name. */
export interface ParsedName {
  step?: number;
  epoch?: number;
  config: Record<string, ConfigValue>;
  /** True when the step/epoch came from a keyword or embedded JSON, not a bare number. */
  keyed: boolean;
}

/** `name` without its extension when that is a checkpoint file's. */
export function stripExt(name: string): string {
  const ext = extname(name);
  return checkpointFileFormat(name) ? name.slice(0, -ext.length) : name;
}

/** Step, epoch and embedded configuration of a name (extension already removed). */
export function parseName(name: string): ParsedName {
  const config: Record<string, ConfigValue> = {};
  let rest = name;
  let step: number | undefined;
  let epoch: number | undefined;
  let keyed = false;
  const open = name.indexOf("{");
  const close = name.lastIndexOf("}");
  if (open >= 0 && close > open) {
    try {
      const obj = JSON.parse(name.slice(open, close + 1)) as unknown;
      if (obj && typeof obj === "object" && !Array.isArray(obj)) {
        for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
          const lk = k.toLowerCase();
          if (typeof v === "number" && /^(step|global_step|iteration|iter|it|t)$/.test(lk)) {
            step = v;
            keyed = true;
          } else if (typeof v === "number" && /^(epoch|ep|e)$/.test(lk)) {
            epoch = v;
            keyed = true;
          } else config[k] = toConfigValue(v);
        }
        rest = `${name.slice(0, open)} ${name.slice(close + 1)}`;
      }
    } catch {
      // not JSON: the braces are part of an ordinary name
    }
  }
  const num = "(\\d+(?:\\.\\d+)?)";
  const long = new RegExp(`(global[_-]?step|steps?|iterations?|iters?|epochs?)[\\s=_:-]*${num}`, "gi");
  const short = new RegExp(`(?:^|[^a-z0-9])(ep|e|it)${num}(?![a-z0-9])`, "gi");
  for (const re of [long, short]) {
    for (const m of rest.matchAll(re)) {
      const word = m[1]!.toLowerCase();
      const value = Number(m[2]);
      if (word.startsWith("e")) epoch ??= value;
      else step ??= value;
      keyed = true;
    }
  }
  if (step === undefined && epoch === undefined) {
    const nums = rest.match(/\d+/g);
    if (nums) step = Number(nums[nums.length - 1]);
  }
  return { step, epoch, config, keyed };
}

/** A configuration value from JSON: scalars as they are, anything else as its JSON text. */
export function toConfigValue(v: unknown): ConfigValue {
  if (v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean") return v;
  return JSON.stringify(v);
}

/** `key=value,...` of a configuration (how a run named by a JSON configuration gets its id). */
export function keyValues(config: Record<string, ConfigValue>): string {
  return Object.entries(config).map(([k, v]) => `${k}=${v}`).join(",");
}
