/**
 * Number and text formatting shared by the report's modules (`inpca report`): integers with thousands
 * separators, fixed digits with a dash for unknown values, quantiles of a list.
 */

/** An integer with thousands separators ("12,345"). */
export function fmtInt(n: number): string {
  return n.toLocaleString("en-US");
}

/** `v` with `digits` decimals, or "—" when null or not finite. */
export function num(v: number | null, digits = 3): string {
  return v === null || !Number.isFinite(v) ? "—" : v.toFixed(digits);
}

/** Minimum, median and maximum of the finite values (NaN each when there are none). */
export function quantiles(values: number[]): { min: number; median: number; max: number } {
  const s = values.filter(Number.isFinite).sort((a, b) => a - b);
  return { min: s[0] ?? NaN, median: s.length ? (s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2) : NaN, max: s[s.length - 1] ?? NaN };
}

/** A metadata or configuration value for a table cell: "" when absent, "—" for null, numbers to 4 significant digits. */
export function formatValue(v: unknown): string {
  if (v === undefined) return "";
  if (v === null) return "—";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
  return String(v);
}

/** The string with its first letter in upper case. */
export function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
