/** How prediction numbers are encoded (probabilities, log-probabilities or logits), and the guess from content. */

/** How a raw array of numbers should be read. */
export type PredictionKind = "probabilities" | "logProbabilities" | "logits";

/**
 * Guesses how raw prediction numbers are encoded: any negative value or a row not summing to 1 means log-space;
 * all-non-positive rows whose exp sums to 1 are log-probabilities, anything else with negatives is logits.
 * Looks at up to `maxRows` rows of C values. Returns the guess; loaders let the user override it.
 */
export function detectKind(data: ArrayLike<number>, classes: number, maxRows = 2048): PredictionKind {
  const rows = Math.min(Math.floor(data.length / classes), maxRows);
  let allProb = true;
  let allLogProb = true;
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    let expSum = 0;
    let anyNeg = false;
    let anyPos = false;
    for (let c = 0; c < classes; c++) {
      const v = +data[r * classes + c]!;
      sum += v;
      expSum += Math.exp(v);
      if (v < 0) anyNeg = true;
      if (v > 0) anyPos = true;
    }
    if (anyNeg || Math.abs(sum - 1) > 1e-2) allProb = false;
    if (anyPos || Math.abs(expSum - 1) > 1e-2) allLogProb = false;
    if (!allProb && !allLogProb) return "logits";
  }
  if (allProb) return "probabilities";
  return allLogProb ? "logProbabilities" : "logits";
}
