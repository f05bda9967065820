/**
 * The outputs of a landmark job array's tasks in WORK: `<name>.f64` (float64 values) and its record
 * `<name>.json`, written atomically, the record last, so a killed task leaves no record for data it did not
 * finish. The record binds the values to what they were computed from: the plan's id, the task and its rows,
 * the content digests of the predictions read, the source's stamp, and the SHA-256 of the values. Reading back
 * checks all of it and says why an output is not usable.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { any, digest, integer, nullable, object, oneOf, validate, type Rule } from "../core/options.js";
import { writeFileAtomic } from "../io/stores/atomic.js";

/** Format and version of a task output's record. */
export const RESULT_FORMAT = "inpca-task-output";
const VERSION = 2;

/** What a task output records besides its values: the fields `readResult` compares with what is expected. */
export type ResultBinding = Readonly<Record<string, string | number | null>>;

const RECORD: Rule = object({ format: oneOf(RESULT_FORMAT), version: oneOf(VERSION), values: integer(0), sha256: digest(64), binding: object({}), origin: any(), stamp: nullable(digest()) });

/** A usable output: its values, the content digest of what it was computed from (`origin`), and the stamp then. */
export interface TaskResult {
  values: Float64Array;
  origin: string | null;
  stamp: string | null;
}

const sha256 = (data: Uint8Array) => createHash("sha256").update(data).digest("hex");

/** Writes `values` as WORK/<name>.f64 and then its record WORK/<name>.json, both atomically. */
export function writeResult(work: string, name: string, values: Float64Array, binding: ResultBinding, origin: string | null, stamp: string | null): void {
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  writeFileAtomic(join(work, `${name}.f64`), bytes);
  writeFileAtomic(join(work, `${name}.json`), JSON.stringify({ format: RESULT_FORMAT, version: VERSION, values: values.length, sha256: sha256(bytes), binding, origin, stamp }));
}

/**
 * The stored output WORK/<name> of `length` values bound to `binding`, or why it is not usable: "missing",
 * "stale: …" (another plan, task or rows; an earlier inpca) or "corrupt: …" (size, SHA-256, record).
 */
export function readResult(work: string, name: string, length: number, binding: ResultBinding): TaskResult | string {
  const rec = join(work, `${name}.json`);
  const data = join(work, `${name}.f64`);
  if (!existsSync(rec)) return "missing";
  let r: { values: number; sha256: string; binding: Record<string, unknown>; origin: unknown; stamp: string | null };
  try {
    r = validate(JSON.parse(readFileSync(rec, "utf8")), RECORD, "record");
  } catch (e) {
    if (e instanceof SyntaxError) return `corrupt: ${name}.json is not JSON`;
    return `stale: ${name}.json was written by an earlier inpca or is damaged (${(e as Error).message})`;
  }
  for (const [k, v] of Object.entries(binding)) {
    if (JSON.stringify(r.binding[k] ?? null) !== JSON.stringify(v)) {
      return k === "plan" ? `stale: computed for another plan (re-planned since, or copied from another WORK)` : `stale: its ${k} is ${JSON.stringify(r.binding[k] ?? null)}, expected ${JSON.stringify(v)} (copied or renamed from elsewhere)`;
    }
  }
  if (r.values !== length) return `stale: ${r.values} values, expected ${length}`;
  const size = statSync(data, { throwIfNoEntry: false })?.size;
  if (size === undefined) return `corrupt: ${name}.f64 is missing`;
  if (size !== length * 8) return `corrupt: ${name}.f64 has ${size} bytes, expected ${length * 8}`;
  const bytes = readFileSync(data);
  if (r.sha256 !== sha256(bytes)) return `corrupt: ${name}.f64 does not match its SHA-256`;
  const values = new Float64Array(length);
  new Uint8Array(values.buffer).set(bytes);
  return { values, origin: typeof r.origin === "string" ? r.origin : null, stamp: r.stamp };
}
