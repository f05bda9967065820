/** The "random" selection of landmark InPCA, and the seeded draws the other stages make (docs/methods.md §13). */
import { uniform } from "../../linalg/random.js";

/**
 * L distinct indices of [0, M), seeded (partial Fisher–Yates), in the order drawn. "random" landmarks; also the
 * stress estimate's points and the seeded fill of a pivoted pool spanned early.
 */
export function randomPick(M: number, L: number, seed: number): number[] {
  const random = uniform(seed * 7 + 3);
  const ix = Int32Array.from({ length: M }, (_, i) => i);
  for (let i = 0; i < L; i++) {
    const j = i + Math.floor(random() * (M - i));
    const t = ix[i]!;
    ix[i] = ix[j]!;
    ix[j] = t;
  }
  return Array.from(ix.subarray(0, L));
}
