/**
 * Data helpers shared by the figure builders: reading metadata fields, deciding categorical vs continuous
 * colouring, grouping points into runs, hover templates over `customdata`, and decimation of long lines.
 * Pure functions over plain arrays.
 */
import { InpcaInputError } from "../core/errors.js";
import { field, rowsByRun, type ModelPoint } from "../core/meta.js";
import { colorOf } from "./style.js";

/** Anything that carries one metadata row per point: an array of rows, an Embedding, a PredictionSet. */
export type MetaSource = readonly ModelPoint[] | {
  /** One metadata row per point (a PredictionSet, an Embedding). */
  readonly meta: readonly ModelPoint[];
} | {
  /** One metadata row per row (a DistanceMatrix). */
  readonly rowMeta: readonly ModelPoint[];
};

/** The metadata rows of a source. */
export function metaOf(source: MetaSource): readonly ModelPoint[] {
  if (Array.isArray(source)) return source as readonly ModelPoint[];
  if ("meta" in source) return source.meta;
  if ("rowMeta" in source) return source.rowMeta;
  throw new InpcaInputError("expected metadata rows, an Embedding, a PredictionSet or a DistanceMatrix");
}

/** Points that are references rather than models: the geodesic and its endpoints. */
export function isReference(m: ModelPoint): boolean {
  return m.kind === "geodesic" || m.kind === "ignorance" || m.kind === "truth";
}

/** How points are coloured: by a field's values (categorical or continuous), or one colour. */
export type Coloring =
  | {
    /** One colour for every point. */
    type: "none";
  }
  | {
    /** Coloured by category. */
    type: "categorical";
    /** The field coloured by (or `colorTitle` for given values). */
    name: string;
    /** Each point's value, as text ("n/a" where missing). */
    values: string[];
    /** The distinct values, in legend order. */
    categories: string[];
    /** The colour of each category. */
    colors: Map<string, string>;
  }
  | {
    /** Coloured on a continuous scale (Viridis). */
    type: "continuous";
    /** The field coloured by (or `colorTitle` for given values). */
    name: string;
    /** Each point's value (NaN where missing). */
    values: number[];
    /** Smallest finite value (0 when none). */
    min: number;
    /** Largest finite value (1 when none). */
    max: number;
  };

/** Fields that are continuous whatever values they hold. */
const CONTINUOUS_FIELDS = new Set(["epoch", "step", "error", "loss", "trainError", "testError", "trainLoss", "testLoss", "lambda", "progress"]);

/** Options of `coloring`. */
export interface ColoringOptions {
  /** Force the kind of colouring (default: numbers with more than 12 distinct values, or a known continuous field, are continuous). */
  colorType?: "categorical" | "continuous";
  /** Explicit colours per category value. */
  colors?: Record<string, string>;
  /** Order of the categories in the legend (default: order of first appearance). */
  order?: readonly string[];
  /** Name of the colouring when `colorBy` is an array (its colour bar's or legend's title; default "value"). */
  colorTitle?: string;
}

/**
 * Colouring of the points `indices` of `meta` by `colorBy`: a field name read with `field()` (top level, then
 * configuration), or an array of values, one per row of `meta` (numbers → continuous, strings → categorical).
 * Missing values become the category "n/a" or NaN.
 */
export function coloring(meta: readonly ModelPoint[], indices: readonly number[], colorBy: string | ArrayLike<number | string> | undefined, options: ColoringOptions = {}): Coloring {
  if (colorBy === undefined) return { type: "none" };
  const name = typeof colorBy === "string" ? colorBy : options.colorTitle ?? "value";
  const raw: unknown[] = typeof colorBy === "string"
    ? indices.map((i) => field(meta[i]!, colorBy))
    : indices.map((i) => {
      if (i >= colorBy.length) throw new InpcaInputError(`colorBy has ${colorBy.length} values but there are ${meta.length} points`);
      return colorBy[i];
    });
  const numeric = raw.every((v) => v === undefined || v === null || typeof v === "number");
  const distinct = new Set(raw.filter((v) => v !== undefined && v !== null)).size;
  const continuous = options.colorType
    ? options.colorType === "continuous"
    : numeric && distinct > 0 && (CONTINUOUS_FIELDS.has(name) || distinct > 12);
  if (continuous) {
    const values = raw.map((v) => (typeof v === "number" ? v : Number.NaN));
    let min = Infinity, max = -Infinity;
    for (const v of values) if (Number.isFinite(v)) { if (v < min) min = v; if (v > max) max = v; }
    if (!(min <= max)) { min = 0; max = 1; }
    return { type: "continuous", name, values, min, max };
  }
  const values = raw.map((v) => (v === undefined || v === null ? "n/a" : String(v)));
  const seen = [...new Set(values)];
  const categories = options.order ? [...options.order.filter((c) => seen.includes(c)), ...seen.filter((c) => !options.order!.includes(c))] : numeric ? seen.sort((a, b) => Number(a) - Number(b)) : seen;
  const colors = new Map<string, string>();
  for (const c of categories) colors.set(c, options.colors?.[c] ?? colorOf(c));
  return { type: "categorical", name, values, categories, colors };
}

/** Indices of `indices` grouped by run, each run ordered by step (runs in order of first appearance; core's `rowsByRun`). */
export function groupRuns(meta: readonly ModelPoint[], indices: readonly number[]): number[][] {
  return rowsByRun(meta, indices).map((g) => g.rows);
}

/**
 * At most `max` of the ordered indices for drawing a line: a uniform stride that always keeps the first and
 * last point (the line's shape at this resolution; markers still show every point).
 */
export function decimate(indices: readonly number[], max: number): number[] {
  const n = indices.length;
  if (n <= max || max < 2) return indices.slice();
  const out: number[] = [];
  for (let k = 0; k < max; k++) out.push(indices[Math.round((k * (n - 1)) / (max - 1))]!);
  return out;
}

/** One hover field: its name, how it is read, how it is formatted in the template. */
export interface HoverField {
  name: string;
  label: string;
  format: string;
}

/** Hover fields shown by default: the run, step, epoch, error, loss, λ where any point has them, then configuration. */
export function hoverFields(meta: readonly ModelPoint[], indices: readonly number[], options: { extra?: readonly string[]; config?: boolean; maxConfig?: number } = {}): HoverField[] {
  const names: string[] = ["run", "step"];
  const top = ["epoch", "error", "loss", "trainError", "testError", "lambda"];
  for (const f of top) if (indices.some((i) => typeof meta[i]![f] === "number")) names.push(f);
  for (const f of options.extra ?? []) if (!names.includes(f)) names.push(f);
  if (options.config !== false) {
    const keys: string[] = [];
    for (const i of indices) for (const k of Object.keys(meta[i]!.config ?? {})) if (!keys.includes(k)) keys.push(k);
    for (const k of keys.slice(0, options.maxConfig ?? 10)) if (!names.includes(k)) names.push(k);
  }
  return names.map((name) => {
    const numeric = indices.some((i) => typeof field(meta[i]!, name) === "number" && !Number.isInteger(field(meta[i]!, name)));
    return { name, label: name, format: numeric ? ":.4~g" : "" };
  });
}

/** The `customdata` rows of the points: one array of field values per point (null where absent). */
export function customData(meta: readonly ModelPoint[], indices: readonly (number | null)[], fields: readonly HoverField[]): (unknown[] | null)[] {
  return indices.map((i) => (i === null ? null : fields.map((f) => {
    const v = field(meta[i]!, f.name);
    return v === undefined ? null : v;
  })));
}

/**
 * A Plotly hover template over `customdata`: one `label: value` line per field, then `extraLines` (for
 * example the coordinates), with the trace name box suppressed.
 */
export function hoverTemplate(fields: readonly HoverField[], extraLines: readonly string[] = []): string {
  const lines = fields.map((f, k) => `${f.label}: %{customdata[${k}]${f.format}}`);
  return [...lines, ...extraLines].join("<br>") + "<extra></extra>";
}

/** Plain array of the numbers (typed arrays are not JSON). */
export function plain(values: ArrayLike<number>): number[] {
  return Array.from(values);
}

/**
 * One short hover string per point (compact hover for large inputs; null for a gap): "run · step N", then
 * one `label: value` line per further field.
 */
export function hoverText(meta: readonly ModelPoint[], indices: readonly (number | null)[], fields: readonly HoverField[]): (string | null)[] {
  const rest = fields.filter((f) => f.name !== "run" && f.name !== "step");
  return indices.map((i) => {
    if (i === null) return null;
    const m = meta[i]!;
    const lines = [`${m.run} · step ${m.step}`];
    for (const f of rest) {
      const v = field(m, f.name);
      lines.push(`${f.label}: ${typeof v === "number" && !Number.isInteger(v) ? Number(v.toPrecision(3)) : v ?? "–"}`);
    }
    return lines.join("<br>");
  });
}
