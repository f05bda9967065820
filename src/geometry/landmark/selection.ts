/**
 * Which landmarks: the given indices, or those of a selection ("pivoted", "spread", "farthest", "random";
 * docs/methods.md §13), from what `planLandmarks` has decided about the source and the memory budget.
 */
import { InpcaInputError } from "../../core/errors.js";
import type { SelectionContext } from "./selection-context.js";
import { progressProxy } from "./progress.js";
import { farthestPick } from "./select-farthest.js";
import { pivotedLandmarks } from "./select-pivoted.js";
import { randomPick } from "./select-random.js";
import { spreadPick } from "./select-spread.js";

export type { SelectionContext } from "./selection-context.js";

/** The landmarks chosen and by what: "given", or the selection that chose them ("spread" when "pivoted" fell back). */
export interface Selected {
  /** Source rows of the landmarks, ascending. */
  landmarks: number[];
  /** "pivoted", "spread", "farthest", "random" or "given". */
  select: string;
}

/**
 * The landmarks: `given` (checked: distinct indices of [0, M)), else the `select` selection. The default "pivoted"
 * (`explicit` false) falls back to "spread" when not even L model-points' predictions fit half the budget; asked for
 * explicitly, it throws InpcaInputError then.
 */
export async function selectLandmarks(context: SelectionContext, select: string, given: ArrayLike<number> | undefined, explicit: boolean): Promise<Selected> {
  const { src, count: L, seed } = context;
  let selected: string = select;
  let chosen: number[];
  if (given !== undefined) {
    chosen = checkIndices(given, src.models);
    selected = "given";
  }
  else if (select === "random") chosen = randomPick(src.models, L, seed);
  else if (select === "farthest") chosen = await farthestPick(context);
  else if (select === "spread") chosen = spreadPick(src.meta, L, await progressProxy(context));
  else if (select === "pivoted") {
    const picked = await pivotedLandmarks(context, explicit);
    if (picked) chosen = picked;
    else {
      chosen = spreadPick(src.meta, L, await progressProxy(context));
      selected = "spread";
    }
  }
  else throw new InpcaInputError(`landmarkInpca: select must be "pivoted", "spread", "farthest" or "random", got ${JSON.stringify(select)}`);
  chosen.sort((a, b) => a - b);
  return { landmarks: chosen, select: selected };
}

/** The given landmark indices as a list, checked: integers of [0, M), none twice (InpcaInputError naming the index). */
function checkIndices(ix: ArrayLike<number>, M: number): number[] {
  const out = Array.from(ix);
  const seen = new Set<number>();
  for (const i of out) {
    if (!(Number.isInteger(i) && i >= 0 && i < M)) throw new InpcaInputError(`landmarkInpca: landmark ${i} is outside [0, ${M})`);
    if (seen.has(i)) throw new InpcaInputError(`landmarkInpca: landmark ${i} is listed twice`);
    seen.add(i);
  }
  return out;
}
