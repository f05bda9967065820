/**
 * Schedules: when to record a checkpoint (the paper's dense-early, sparse-late pattern) and the learning rate
 * along training (cosine annealing).
 */

/**
 * The steps at which to record, for `epochs` epochs of `stepsPerEpoch` steps: step 0; eight times in the first
 * epoch (at 1/16, 1/8, 3/16, 1/4, 3/8, 1/2, 3/4, 1 epoch), every quarter epoch to 3, every half epoch to 5,
 * every epoch to 25, every 5 epochs to 65, every 15 after, and the last step. Sorted, unique integers.
 * (The paper's 200-epoch runs have 67 checkpoints of the same shape.)
 */
export function denseEarlySparseLate(epochs: number, stepsPerEpoch: number): number[] {
  const at = new Set<number>([0]);
  const add = (e: number) => {
    if (e <= epochs) at.add(Math.round(e * stepsPerEpoch));
  };
  for (const f of [1 / 16, 1 / 8, 3 / 16, 1 / 4, 3 / 8, 1 / 2, 3 / 4, 1]) add(f);
  for (let e = 1.25; e <= 3; e += 0.25) add(e);
  for (let e = 3.5; e <= 5; e += 0.5) add(e);
  for (let e = 6; e <= 25; e++) add(e);
  for (let e = 30; e <= 65; e += 5) add(e);
  for (let e = 80; e <= epochs; e += 15) add(e);
  at.add(Math.round(epochs * stepsPerEpoch));
  return [...at].sort((a, b) => a - b);
}

/**
 * Learning rate at `step` (0-based) of `total` steps: a linear warm-up from lr0/warmup to lr0 over the first
 * `warmup` steps (none by default), then cosine annealing from `lr0` to 0 over the remaining steps.
 */
export function cosineLearningRate(lr0: number, step: number, total: number, warmup = 0): number {
  if (step < warmup) return (lr0 * (step + 1)) / warmup;
  const span = Math.max(1, total - warmup);
  return 0.5 * lr0 * (1 + Math.cos((Math.PI * Math.min(step - warmup, span)) / span));
}

/** `count` steps spread evenly over 0..`total` (both ends included): sorted, unique integers. */
export function evenSteps(total: number, count: number): number[] {
  const at = new Set<number>();
  for (let k = 0; k < count; k++) at.add(Math.round((k * total) / Math.max(1, count - 1)));
  return [...at].sort((a, b) => a - b);
}
