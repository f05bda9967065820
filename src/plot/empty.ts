/**
 * No silent empty figure: a figure builder whose input has nothing to draw throws, saying why, instead of
 * returning empty axes. One helper so every builder words it the same way.
 */
import { InpcaInputError } from "../core/errors.js";

/**
 * Throws `InpcaInputError("<kind>: nothing to draw: <why>")` unless `count` (the number of things the figure
 * would draw: finite points, values, cells) is above 0.
 */
export function requireSomethingToDraw(kind: string, count: number, why: () => string): void {
  if (count > 0) return;
  throw new InpcaInputError(`${kind}: nothing to draw: ${why()}`);
}

/** How many of `values` are finite numbers. */
export function finiteCount(values: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i]!)) n++;
  return n;
}
