/**
 * Landmark InPCA on real trained networks (the shipped zoo, data/zoo: 3,707 checkpoints a split, runs trained to
 * truth, random-label corners) and on synthetic runs with sparse excursions, against exact InPCA of the same
 * checkpoints: regression bounds at about 2.5× what was measured (far inside the targets of issue 25, 3 % and
 * ES(3) within 0.01, which stay the library's warning threshold), and the embedding's own error estimate (its 95 % upper bound holds the measured error; it warns
 * when spread landmarks miss the structure).
 */
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { bhattacharyya, inpca } from "../../src/geometry/index.js";
import type { Embedding } from "../../src/core/embedding.js";
import { landmarkInpca } from "../../src/geometry/landmark/index.js";
import { shutdownPool } from "../../src/geometry/pairwise/pool.js";
import { loadZoo } from "../../src/io/stores/zoo/index.js";
import { zooSource } from "../../src/io/stores/zoo/source.js";
import { axisErrors, trajectorySet, withExcursions } from "../helpers/data.js";

afterAll(async () => {
  await shutdownPool();
});

/** Relative error of the k-D signed squared distances between all pairs (the exact embedding's signature). */
function distanceError(a: Embedding, b: Embedding, k = 3): number {
  const A = a.signedDistances(k).data, B = b.signedDistances(k).data;
  let e = 0, n = 0;
  for (let i = 0; i < A.length; i++) {
    e += (A[i]! - B[i]!) ** 2;
    n += B[i]! ** 2;
  }
  return Math.sqrt(e / n);
}

/**
 * Regression bounds near the measurement (about 2–3× what was measured, the measurement written beside each
 * bound), so that a systematic bias of a fraction of a percent fails; the library's 3 % is its warning threshold,
 * not the test's. `d3`: 3-D signed distances; `axes`: each top axis; `es`: |ES(3) − exact ES(3)|.
 */
interface Bounds {
  d3: number;
  axes: [number, number, number];
  es: number;
}

function expectTargets(lm: Embedding, exact: Embedding, bound: Bounds, what: string) {
  const d3 = distanceError(lm, exact);
  const axes = axisErrors(lm, exact, 3);
  const es = Math.abs(lm.explainedStress[2]! - exact.explainedStress[2]!);
  console.log(`${what}: 3-D ${(100 * d3).toPrecision(3)} %, axes ${axes.map((e) => `${(100 * e).toPrecision(3)} %`).join(", ")}, |ΔES(3)| ${es.toExponential(2)}`);
  expect(d3).toBeLessThan(bound.d3);
  axes.forEach((e, k) => expect(e, `axis ${k + 1}`).toBeLessThan(bound.axes[k]!));
  expect(Array.from(lm.eigenvalues, Math.sign)).toEqual(Array.from(exact.eigenvalues, Math.sign));
  expect(es).toBeLessThan(bound.es);
  const { low, high } = lm.landmark!.stress;
  expect((high - low) / 2).toBeLessThan(0.01);
  // the embedding's own estimate: its upper bound holds the measured error, and it does not warn
  expect(lm.landmark!.check!.distanceError.high).toBeGreaterThanOrEqual(d3);
  expect(lm.landmark!.warning).toBeNull();
  expect(String(lm)).toMatch(/distance from exact InPCA, estimated from 64 sampled exact columns: 3-D signed distances at most/);
}

/**
 * Bounds at about 2.5× the measurement (2026-12-07, this machine; deterministic for the shipped zoo and the seeds),
 * written beside each: 3-D signed distances, axes 1–3, |ES(3) − exact ES(3)|.
 */
const BOUNDS: Record<"train" | "test" | "budget" | "excursions", Bounds> = {
  // measured 0.062 %; 0.030, 0.284, 0.268 %; 0.00082
  train: { d3: 0.0016, axes: [0.0008, 0.0072, 0.0068], es: 0.0021 },
  // measured 0.083 %; 0.044, 0.440, 0.281 %; 0.00118
  test: { d3: 0.0021, axes: [0.0011, 0.011, 0.0071], es: 0.003 },
  // train at 64 MiB: measured 0.167 %; 0.085, 0.767, 0.560 %; 0.00131
  budget: { d3: 0.0042, axes: [0.0022, 0.0192, 0.014], es: 0.0033 },
  // measured 0.0017 %; 0.00096, 0.0079, 0.0045 %; 1.1e-7
  excursions: { d3: 0.000043, axes: [0.000025, 0.0002, 0.000113], es: 3e-7 },
};

describe("landmark InPCA on the shipped zoo (400 landmarks)", () => {
  const zoo = loadZoo(join(__dirname, "..", "..", "data", "zoo"));
  for (const split of ["train", "test"] as const) {
    it(`${split}: pivoted landmarks reproduce exact InPCA (3-D, each axis, ES(3)); spread ones do not, and say so`, async () => {
      const finished = { where: (r: { finished?: boolean }) => r.finished !== false };
      const set = zoo.predictions(split, finished);
      expect(set.models).toBe(3707);
      const exact = inpca(await bhattacharyya(set, { showProgress: false }), { dims: 3 });
      const lm = await landmarkInpca(zooSource(zoo, split, finished), { landmarks: 400, showProgress: false });
      expect(lm.landmark!.select).toBe("pivoted");
      expectTargets(lm, exact, BOUNDS[split], split);
      // the old default misses the time-like third axis (9–11 % in 3-D): its check holds that error and warns
      const spread = await landmarkInpca(zooSource(zoo, split, finished), { landmarks: 400, select: "spread", showProgress: false });
      const d3 = distanceError(spread, exact);
      expect(d3).toBeGreaterThan(0.03);
      expect(spread.landmark!.check!.distanceError.high).toBeGreaterThanOrEqual(d3);
      expect(spread.landmark!.warning).toMatch(/use more landmarks \(now 400\), or select: "pivoted"/);
    }, 600_000);
  }
  it("train with a 64 MiB budget (the pool is a part of the zoo, remade from every point's residual): still within 3 %", async () => {
    const finished = { where: (r: { finished?: boolean }) => r.finished !== false };
    const exact = inpca(await bhattacharyya(zoo.predictions("train", finished), { showProgress: false }), { dims: 3 });
    const lm = await landmarkInpca(zooSource(zoo, "train", finished), { landmarks: 400, memory: 64 * 2 ** 20, showProgress: false });
    expectTargets(lm, exact, BOUNDS.budget, "train at 64 MiB");
  }, 600_000);
});

describe("landmark InPCA on synthetic runs with sparse excursions", () => {
  it("3,000 model-points, 6 runs leaving the manifold for 4 checkpoints along a time-like third axis: pivoted within the targets, spread's third axis off", async () => {
    // strength 16 (near one-hot on a run's random labelling at the peak): exact λ ≈ 375, 42, −28, as on the zoo the
    // third axis is time-like and rests on the excursions' 24 checkpoints (strength 8 gave 364, 42, 8.6: no time-like axis)
    const set = withExcursions(trajectorySet(120, 25, 40, 10, 3), 6, 4, 1, 16);
    const exact = inpca(await bhattacharyya(set, { showProgress: false }), { dims: 3 });
    expect(exact.timelike).toEqual([false, false, true]);
    const lm = await landmarkInpca(set, { landmarks: 400, showProgress: false });
    expectTargets(lm, exact, BOUNDS.excursions, "excursions");
    const spread = await landmarkInpca(set, { landmarks: 400, select: "spread", showProgress: false });
    expect(axisErrors(spread, exact, 3)[2]!).toBeGreaterThan(0.05);
    expect(spread.landmark!.check!.axisError[2]!.high).toBeGreaterThanOrEqual(axisErrors(spread, exact, 3)[2]!);
  }, 600_000);
});
