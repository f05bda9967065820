/**
 * Live placement (src/geometry/live-placement.ts), without a figure: checkpoints placed by the out-of-sample formula
 * in arrival order (an original point comes back at its own coordinates), on the calling thread and on the worker.
 */
import { describe, expect, it } from "vitest";
import { bhattacharyyaSync, inpca } from "../../src/geometry/index.js";
import { LivePlacement } from "../../src/geometry/live-placement.js";
import { trajectorySet } from "../helpers/data.js";

describe("LivePlacement", () => {
  const set = trajectorySet(4, 8, 20, 4, 4, 3);
  const emb = inpca(bhattacharyyaSync(set), { dims: 3 });
  const probsOf = (m: number) => set.probs.slice(m * set.samples * set.classes, (m + 1) * set.samples * set.classes);

  it("places checkpoints where exact InPCA put them, in the order they arrive, calling onPlaced after each", async () => {
    let calls = 0;
    const placement = new LivePlacement(emb, set, { label: "mine", onPlaced: () => calls++ });
    const x = placement.add(probsOf(5), { step: 5 });
    for (let k = 0; k < 3; k++) expect(x[k]).toBeCloseTo(emb.coord(5, k), 9);
    for (const m of [9, 2, 30]) placement.checkpoint({ step: m, epoch: m / 10 }, { train: probsOf(m) });
    await placement.settled();
    await placement.close();
    expect(placement.points).toBe(4);
    expect(calls).toBe(4);
    expect(placement.meta.map((r) => [r.run, r.step])).toEqual([["mine", 5], ["mine", 9], ["mine", 2], ["mine", 30]]);
    [5, 9, 2, 30].forEach((m, t) => { for (let k = 0; k < 3; k++) expect(placement.coords[t]![k]).toBeCloseTo(emb.coord(m, k), 9); });
    expect(placement.placedOffThread).toBe(3);
  });

  it("refuses a basis of another size than the embedding's, saying which to pass", () => {
    expect(() => new LivePlacement(emb, set.slice(0, 10), { thread: false })).toThrow(/fitted on 32/);
  });
});
