/**
 * One validation for everything a user or a file hands in: the options of the scale API, the CLI's flags, and
 * the stored records (plan.json, exact.json, block and task records, embedding.json). A rule says what a value
 * must be (type, range, integer-ness, one of a list, a memory size, the shape of an object); `validate` checks a
 * value against it and throws an InpcaInputError that names the file and the field ("plan.json: tasks[3][1] is
 * 1.5, not an integer"); cross-field consistency (indices < M) is checked after, with `ensure`. Nothing is
 * coerced: NaN, 1.5 for an integer, "3" for a number, null for a number are refused.
 */
import { InpcaInputError } from "./errors.js";

/** A rule for one value. Build rules with the helpers below (`integer`, `memory`, `object`, …). */
export type Rule =
  | { kind: "integer"; min: number; max: number }
  | { kind: "number"; min: number; max: number; open: boolean }
  | { kind: "string"; pattern?: RegExp; what?: string }
  | { kind: "boolean" }
  | { kind: "oneOf"; values: readonly (string | number | boolean | null)[] }
  | { kind: "memory" }
  | { kind: "array"; of: Rule; min: number; max: number }
  | { kind: "object"; fields: Readonly<Record<string, Rule>> }
  | { kind: "nullable"; rule: Rule }
  | { kind: "optional"; rule: Rule }
  | { kind: "any" };

/** An integer in [min, max] (default: any safe integer). */
export const integer = (min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): Rule => ({ kind: "integer", min, max });
/** A finite number in [min, max]; `open` excludes min (a positive number: `number(0, Infinity, true)`). */
export const number = (min = -Number.MAX_VALUE, max = Number.MAX_VALUE, open = false): Rule => ({ kind: "number", min, max, open });
/** A fraction in [0, 1]. */
export const fraction = (): Rule => number(0, 1);
/** A string, optionally matching `pattern` (`what` says what it must be, for the message). */
export const string = (pattern?: RegExp, what?: string): Rule => ({ kind: "string", pattern, what });
/** A hex digest of `chars` characters. */
export const digest = (chars = 32): Rule => string(new RegExp(`^[0-9a-f]{${chars}}$`), `${chars} hex digits`);
export const boolean = (): Rule => ({ kind: "boolean" });
/** One of the listed values. */
export const oneOf = (...values: (string | number | boolean | null)[]): Rule => ({ kind: "oneOf", values });
/** A memory size in bytes: a positive integer, or a string such as "512M", "3G", "800000K", "2GiB". */
export const memory = (): Rule => ({ kind: "memory" });
/** An array of `of`, with min..max elements. */
export const arrayOf = (of: Rule, min = 0, max = Number.MAX_SAFE_INTEGER): Rule => ({ kind: "array", of, min, max });
/** A plain object with (at least) these fields; fields not listed are allowed and not checked. */
export const object = (fields: Readonly<Record<string, Rule>>): Rule => ({ kind: "object", fields });
/** The rule, or null. */
export const nullable = (rule: Rule): Rule => ({ kind: "nullable", rule });
/** The rule, or undefined (absent). */
export const optional = (rule: Rule): Rule => ({ kind: "optional", rule });
/** Anything (checked elsewhere). */
export const any = (): Rule => ({ kind: "any" });

/** Where a value comes from, for the message: the file (or the function) and the field's path. */
export interface Place {
  /** The file the value was read from. */
  file?: string;
  /** The function or command it was given to ("exactInpca", "inpca plan"). */
  source?: string;
}

/** A value as a user would recognise it in a message. */
export function shown(v: unknown): string {
  if (typeof v === "number") return Number.isNaN(v) ? "NaN" : String(v);
  if (typeof v === "string") return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (v === null) return "null";
  if (v === undefined) return "missing";
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === "object") return "an object";
  return String(v);
}

function describe(rule: Rule): string {
  switch (rule.kind) {
    case "integer":
      return rule.min === Number.MIN_SAFE_INTEGER ? "an integer" : rule.max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${rule.min}` : `an integer in [${rule.min}, ${rule.max}]`;
    case "number":
      return rule.open && rule.min === 0 && rule.max === Number.MAX_VALUE ? "a positive number" : rule.min === -Number.MAX_VALUE ? "a finite number" : `a number in ${rule.open ? "(" : "["}${rule.min}, ${rule.max === Number.MAX_VALUE ? "∞)" : `${rule.max}]`}`;
    case "string":
      return rule.what ? `a string of ${rule.what}` : "a string";
    case "boolean":
      return "true or false";
    case "oneOf":
      return `one of ${rule.values.map((v) => JSON.stringify(v)).join(", ")}`;
    case "memory":
      return 'a memory size (bytes, or a string such as "512M" or "3G")';
    case "array":
      return rule.min === rule.max ? `an array of ${rule.min}` : `an array of ${rule.min}${rule.max === Number.MAX_SAFE_INTEGER ? " or more" : `–${rule.max}`}`;
    case "object":
      return "an object";
    case "nullable":
      return `${describe(rule.rule)} or null`;
    case "optional":
      return describe(rule.rule);
    case "any":
      return "anything";
  }
}

/** Bytes of a memory size given as a number or a string ("512M", "3G", "2GiB", "1.5G", "800000"); NaN when not one. */
export function parseMemory(v: unknown): number {
  if (typeof v === "number") return Number.isInteger(v) && v > 0 ? v : NaN;
  if (typeof v !== "string") return NaN;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?\s*$/i.exec(v);
  if (!m) return NaN;
  const bytes = Math.floor(Number(m[1]) * 1024 ** ["", "K", "M", "G", "T"].indexOf(m[2]!.toUpperCase()));
  return bytes > 0 ? bytes : NaN;
}

function fail(place: Place, path: string, v: unknown, expected: string): never {
  const head = place.source ? `${place.source}: ` : "";
  throw new InpcaInputError(`${head}${path} is ${shown(v)}; expected ${expected}`, place.file ? { file: place.file } : {});
}

/**
 * Checks `value` against `rule` and returns it (a memory size as its number of bytes). `path` names the value
 * ("dims", "--block", "tasks[3]"). Throws InpcaInputError naming the place, the path, what it is and what it
 * must be.
 */
export function validate<T = unknown>(value: unknown, rule: Rule, path: string, place: Place = {}): T {
  return check(value, rule, path, place) as T;
}

function check(v: unknown, rule: Rule, path: string, place: Place): unknown {
  switch (rule.kind) {
    case "any":
      return v;
    case "optional":
      return v === undefined ? undefined : check(v, rule.rule, path, place);
    case "nullable":
      return v === null ? null : check(v, rule.rule, path, place);
    case "integer":
      if (typeof v !== "number" || !Number.isInteger(v) || v < rule.min || v > rule.max) fail(place, path, v, describe(rule));
      return v;
    case "number":
      if (typeof v !== "number" || !Number.isFinite(v) || v < rule.min || v > rule.max || (rule.open && v === rule.min)) fail(place, path, v, describe(rule));
      return v;
    case "string":
      if (typeof v !== "string" || (rule.pattern && !rule.pattern.test(v))) fail(place, path, v, describe(rule));
      return v;
    case "boolean":
      if (typeof v !== "boolean") fail(place, path, v, describe(rule));
      return v;
    case "oneOf":
      if (!rule.values.includes(v as string)) fail(place, path, v, describe(rule));
      return v;
    case "memory": {
      const bytes = parseMemory(v);
      if (Number.isNaN(bytes)) fail(place, path, v, describe(rule));
      return bytes;
    }
    case "array": {
      if (!Array.isArray(v) || v.length < rule.min || v.length > rule.max) fail(place, path, v, describe(rule));
      const out = new Array<unknown>(v.length);
      for (let i = 0; i < v.length; i++) out[i] = check(v[i], rule.of, `${path}[${i}]`, place);
      return out;
    }
    case "object": {
      if (typeof v !== "object" || v === null || Array.isArray(v)) fail(place, path, v, describe(rule));
      const out: Record<string, unknown> = { ...(v as Record<string, unknown>) };
      for (const [k, r] of Object.entries(rule.fields)) {
        const got = check((v as Record<string, unknown>)[k], r, path ? `${path}.${k}` : k, place);
        if (got === undefined) delete out[k];
        else out[k] = got;
      }
      return out;
    }
  }
}

/**
 * Checks every element of `values` against `rule` (a list of indices against `integer(0, length - 1)`), naming
 * the first that fails as `path[i]` ("rows[3] is 12; expected an integer in [0, 9]"). Builds no path unless one
 * fails, so a long list costs one comparison per element.
 */
export function validateEach(values: ArrayLike<unknown>, rule: Rule, path: string, place: Place = {}): void {
  const ints = rule.kind === "integer";
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (ints && typeof v === "number" && Number.isInteger(v) && v >= rule.min && v <= rule.max) continue;
    check(v, rule, `${path}[${i}]`, place);
  }
}

/** Checks every field of `options` that `rules` names (absent ones are allowed); returns the checked copy. */
export function validateOptions<T extends object>(options: T | undefined, rules: Readonly<Record<string, Rule>>, source: string): T {
  if (options !== undefined && (typeof options !== "object" || options === null)) throw new InpcaInputError(`${source}: options must be an object, got ${shown(options)}`);
  const fields: Record<string, Rule> = {};
  for (const [k, r] of Object.entries(rules)) fields[k] = r.kind === "optional" ? r : optional(r);
  return check(options ?? {}, object(fields), "", { source }) as T;
}

/** Cross-field consistency: throws InpcaInputError naming the place and `path` with `message` unless `ok`. */
export function ensure(ok: boolean, path: string, message: string, place: Place = {}): asserts ok {
  if (!ok) {
    const head = place.source ? `${place.source}: ` : "";
    throw new InpcaInputError(`${head}${path} ${message}`, place.file ? { file: place.file } : {});
  }
}

/**
 * A command-line flag's text read as `rule` wants it: integers and numbers are parsed strictly ("1.5", "1e3",
 * "12abc" are not integers), memory sizes as sizes; then validated, named as `--name`.
 */
export function flag<T = unknown>(text: string | undefined, rule: Rule, name: string, place: Place = {}): T | undefined {
  if (text === undefined) return undefined;
  const inner = rule.kind === "optional" || rule.kind === "nullable" ? rule.rule : rule;
  let v: unknown = text;
  if (inner.kind === "integer") v = /^[+-]?\d+$/.test(text.trim()) ? Number(text) : text;
  else if (inner.kind === "number") v = text.trim() !== "" && Number.isFinite(Number(text)) ? Number(text) : text;
  return validate<T>(v, rule, `--${name}`, place);
}
