import { describe, expect, it } from "vitest";
import { InpcaInputError, PredictionSet, Trajectory } from "../../src/core/index.js";
import { bhattacharyyaSync, brentBounded, geodesic, geodesicBetween, ignorance, geodesicProgress, reindex, truth } from "../../src/geometry/index.js";
import { randomSet } from "../helpers/data.js";

const labels = [0, 3, 1, 2, 2, 0, 1, 3, 3, 1, 0];
const C = 4;

describe("ignorance, truth and the geodesic", () => {
  it("endpoints are exactly P0 (uniform) and P* (one-hot)", () => {
    const g = geodesic(labels, { classes: C, points: 11 });
    expect(g.models).toBe(11);
    expect(Array.from(g.model(0))).toEqual(Array.from(ignorance(labels, C).model(0)));
    expect(Array.from(g.model(10))).toEqual(Array.from(truth(labels, C).model(0)));
    expect(g.meta.map((m) => m.lambda)).toEqual(Array.from({ length: 11 }, (_, k) => k / 10));
    expect(g.meta[3]!.kind).toBe("geodesic");
  });

  it("interior points follow the closed form on each great circle, and d_B grows monotonically along it", () => {
    const g = geodesic(labels, { classes: C, lambdas: [0.3] });
    const theta = Math.acos(1 / Math.sqrt(C));
    const on = (Math.sin(0.7 * theta) / Math.sqrt(C) + Math.sin(0.3 * theta)) / Math.sin(theta);
    const off = Math.sin(0.7 * theta) / Math.sqrt(C) / Math.sin(theta);
    for (let n = 0; n < labels.length; n++) {
      for (let c = 0; c < C; c++) expect(g.probs[n * C + c]).toBeCloseTo((c === labels[n] ? on : off) ** 2, 6);
    }
    // arc length: the angle from P0 is λθ on every sample, so d_B(P0, P(λ)) = -log cos(λθ)
    const all = geodesic(labels, { classes: C, points: 6 });
    const D = bhattacharyyaSync(all);
    for (let k = 1; k < 6; k++) expect(D.get(0, k)).toBeCloseTo(-Math.log(Math.cos((k / 5) * theta)), 6);
  });

  it("takes the classes from a prediction set, and asks for them with bare labels", () => {
    const set = randomSet(2, 11, 4, 1);
    const g = geodesic(set, { points: 3 });
    expect(g.split).toBe("train");
    expect(Array.from(g.labels!)).toEqual(Array.from(set.labels!));
    expect(() => geodesic([0, 1])).toThrow(/pass the number of classes/);
    expect(() => truth([0, 5], 3)).toThrow(/label of sample 1 is 5, outside \[0, 3\)/);
    expect(() => geodesic(labels, { classes: C, points: 1 })).toThrow(InpcaInputError);
  });

  it("degenerate θ = 0 (identical endpoints) stays finite and constant", () => {
    const p0 = ignorance(labels, C);
    const g = geodesicBetween(p0, p0, { points: 5 });
    for (const v of g.probs) expect(v).toBeCloseTo(0.25, 7);
  });
});

describe("progress", () => {
  it("recovers λ of geodesic points with every method", () => {
    const lambdas = [0, 0.05, 0.2, 0.37, 0.5, 0.81, 0.99, 1];
    const g = geodesic(labels, { classes: C, lambdas });
    for (const method of ["angle", "bhattacharyya", "projection"] as const) {
      const p = geodesicProgress(g, { method });
      lambdas.forEach((l, k) => expect(p[k]).toBeCloseTo(l, 7));
    }
  });

  it("the default minimises Σ_n arccos⟨sqrtP_n(λ), sqrt r_n⟩: no grid value does better", () => {
    const set = randomSet(5, 40, 4, 2);
    const p = geodesicProgress(set);
    const ref = geodesic(set, { points: 401 });
    const { samples: S } = set;
    const angleSum = (m: number, k: number) => {
      let s = 0;
      for (let n = 0; n < S; n++) {
        let dot = 0;
        for (let c = 0; c < C; c++) dot += Math.sqrt(set.probs[(m * S + n) * C + c]! * ref.probs[(k * S + n) * C + c]!);
        s += Math.acos(Math.min(1, dot));
      }
      return s;
    };
    for (let m = 0; m < 5; m++) {
      let bestK = 0;
      for (let k = 1; k < 401; k++) if (angleSum(m, k) < angleSum(m, bestK)) bestK = k;
      expect(Math.abs(p[m]! - bestK / 400)).toBeLessThanOrEqual(1 / 400 + 1e-9);
    }
  });

  it("projection is the mean of per-sample closest points, checked by brute force on each great circle", () => {
    const set = randomSet(3, 12, 4, 3);
    const p = geodesicProgress(set, { method: "projection" });
    const { samples: S } = set;
    const theta = Math.acos(1 / 2);
    for (let m = 0; m < 3; m++) {
      let mean = 0;
      for (let n = 0; n < S; n++) {
        let best = 0;
        let bestV = -Infinity;
        for (let k = 0; k <= 2000; k++) {
          const l = k / 2000;
          let v = 0;
          for (let c = 0; c < C; c++) {
            const s = (Math.sin((1 - l) * theta) * 0.5 + (c === set.labels![n] ? Math.sin(l * theta) : 0)) / Math.sin(theta);
            v += s * Math.sqrt(set.probs[(m * S + n) * C + c]!);
          }
          if (v > bestV) { bestV = v; best = l; }
        }
        mean += best / S;
      }
      expect(p[m]).toBeCloseTo(mean, 3);
    }
  });

  it("Brent's bounded method finds the minimum of a smooth function", () => {
    // a smooth minimum is located to ~sqrt(machine epsilon) relative: f is flat to 1e-16 within 1e-8 of it
    expect(brentBounded((x) => (x - 0.3) ** 2 + 1, 0, 1)).toBeCloseTo(0.3, 7);
    expect(brentBounded((x) => Math.cos(3 * x), 0, 2)).toBeCloseTo(Math.PI / 3, 7);
    // a kink (|x - a|, what the angle objective looks like on the geodesic) is found just as well
    expect(brentBounded((x) => Math.abs(x - 0.61), 0, 1)).toBeCloseTo(0.61, 8);
  });
});

describe("reindex", () => {
  it("re-indexing a coarse geodesic by progress returns the fine geodesic", () => {
    const coarse = geodesic(labels, { classes: C, lambdas: [0, 0.1, 0.25, 0.6, 0.9, 1] });
    const traj = new Trajectory("geo", coarse);
    const fine = reindex(traj, { points: 101 });
    const ref = geodesic(labels, { classes: C, points: 101 });
    expect(fine.length).toBe(101);
    for (let q = 0; q < ref.probs.length; q++) expect(fine.points.probs[q]).toBeCloseTo(ref.probs[q]!, 5);
    expect(fine.points.meta[50]!.lambda).toBeCloseTo(0.5, 7); // the grid spans the progress of the first and last point
  });

  it("interpolates along great circles between checkpoints with a given grid, and by accuracy", () => {
    const set = randomSet(6, 30, 4, 4);
    const values = [0, 0.2, 0.1, 0.5, 0.7, 1]; // not monotone: running max is used
    const r = reindex(set, { values, grid: [0.2, 0.35, 0.6] });
    // g = 0.2 is reached at checkpoint 1 exactly
    set.model(1).forEach((v, q) => expect(r.points.probs[q]).toBeCloseTo(v, 7));
    // g = 0.35 lies halfway on the great circle from checkpoint 2 (v = 0.2 after running max) to 3 (0.5)
    const mid = geodesicBetween(set, set, { from: 2, to: 3, lambdas: [0.5] });
    for (let q = 0; q < mid.probs.length; q++) expect(r.points.probs[q + 30 * 4]).toBeCloseTo(mid.probs[q]!, 6);
    expect(r.points.meta[1]!.step).toBeCloseTo(2.5, 12);
    expect(() => reindex(set, { values, grid: [1.2] })).toThrow(/outside the range \[0, 1\]/);
    const byAcc = reindex(set, { by: "accuracy", points: 5 });
    const acc = Array.from(set.errors(), (e) => 1 - e);
    expect(byAcc.points.meta[0]!.reindexed).toBeCloseTo(acc[0]!, 12);
  });

  it("rejects a trajectory of one checkpoint", () => {
    const one = PredictionSet.fromProbabilities([0.5, 0.5], [1, 1, 2], { labels: [0] });
    expect(() => reindex(one)).toThrow(/at least 2 are needed/);
  });
});
