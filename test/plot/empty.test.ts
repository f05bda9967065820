/**
 * No silent empty figure, no impossible band: progressCurves computes λ* itself for a labelled PredictionSet and
 * throws, saying what to pass, when it has nothing to draw; bar, box, scatter and heatmap throw on empty input;
 * the mean ± sd band of a distance never dips below 0.
 */
import { describe, expect, it } from "vitest";
import { DistanceMatrix, PredictionSet, type ModelPoint } from "../../src/core/index.js";
import { geodesicProgress } from "../../src/geometry/index.js";
import * as plot from "../../src/plot/index.js";
import type { PlotTrace } from "../../src/plot/types.js";
import { trajectorySet } from "../helpers/data.js";

/** The finite y values a figure's line traces draw, in trace order. */
const drawnYs = (data: PlotTrace[]) => data.flatMap((t) => (t["y"] as (number | null)[]).filter((v): v is number => v !== null && Number.isFinite(v)));

describe("progressCurves with nothing given for y", () => {
  const set = trajectorySet(4, 6, 20, 4, 5, 2); // 2 architectures × 2 runs, 6 checkpoints each, with labels

  it("computes λ* for a labelled PredictionSet: the figure of { y: geodesicProgress(set) } (the issue's case)", () => {
    expect(set.meta.some((m) => "lambda" in m)).toBe(false);
    const fig = plot.progressCurves(set, { colorBy: "arch" });
    const ys = drawnYs(fig.data);
    expect(ys.length).toBe(set.models); // every checkpoint drawn, not "0 points"
    expect(fig.toJSON()).toEqual(plot.progressCurves(set, { colorBy: "arch", y: geodesicProgress(set) }).toJSON());
    // λ* of these trajectories (ignorance → truth) grows: the last checkpoint of each run is ahead of its first
    const lambda = geodesicProgress(set);
    for (const r of set.runRows()) expect(lambda[r.rows[r.rows.length - 1]!]!).toBeGreaterThan(lambda[r.rows[0]!]! + 0.3);
  });

  it("keeps a lambda field when the points have one", () => {
    const meta: ModelPoint[] = [0, 1, 2].map((i) => ({ run: "r", step: i, lambda: i / 4 }));
    expect(drawnYs(plot.progressCurves(meta).data)).toEqual([0, 0.25, 0.5]);
  });

  it("throws, saying what to pass, when there is no λ* to compute or nothing to draw", () => {
    const unlabelled = new PredictionSet({ probs: set.probs, models: set.models, samples: set.samples, classes: set.classes, meta: set.meta });
    expect(() => plot.progressCurves(unlabelled, { colorBy: "arch" })).toThrow(/progressCurves: no y given, .*no labels, so progress λ\* cannot be computed; pass y/);
    expect(() => plot.progressCurves(set.meta)).toThrow(/progressCurves: no y given and the points have no "lambda" field; pass the PredictionSet itself/);
    expect(() => plot.progressCurves(set, { y: "error" })).toThrow(/progressCurves: nothing to draw: none of the 24 model points has a number for "error"/);
    expect(() => plot.progressCurves(set, { y: geodesicProgress(set), x: "loss" })).toThrow(/nothing to draw: .* for "loss"/);
  });
});

describe("other builders refuse empty input", () => {
  it("bar, box, scatter, heatmap", () => {
    expect(() => plot.bar([], [])).toThrow(/bar: nothing to draw: no values given/);
    expect(() => plot.bar([Number.NaN], ["a"])).toThrow(/bar: nothing to draw: none of the 1 values is a finite number/);
    expect(() => plot.box({})).toThrow(/box: nothing to draw: no groups given/);
    expect(() => plot.box({ a: [Number.NaN], b: [] })).toThrow(/box: nothing to draw: none of the groups \(a, b\) has a finite value/);
    expect(() => plot.scatter([Number.NaN, 1], [1, Number.NaN])).toThrow(/scatter: nothing to draw: none of the 2 points has a finite x and y/);
    expect(() => plot.heatmap(new DistanceMatrix({ data: new Float64Array(0), rows: 0, cols: 0 }))).toThrow(/heatmap: nothing to draw: the matrix is 0×0/);
    // one finite value is enough
    expect(plot.bar([Number.NaN, 2], ["a", "b"]).data.length).toBe(1);
  });
});

describe("bands of distances stay at or above 0", () => {
  // one bin of distances 0, 0, 0, 8 (mean 2, sd above 2) and one of 4, 5 (mean − sd > 0)
  const meta: ModelPoint[] = [0, 1, 2, 3, 4, 5].map((i) => ({ run: `r${i}`, step: 0, config: { arch: "a" } }));
  const distance = [0, 0, 0, 8, 4, 5];
  const progress = [0.11, 0.12, 0.13, 0.14, 0.81, 0.82];
  for (const [name, make] of [
    ["distanceToGeodesic", () => plot.distanceToGeodesic(distance, progress, { meta, bins: 10 })],
    ["tubeWidth", () => plot.tubeWidth(distance, progress, meta, { bins: 10 })],
  ] as const) {
    it(`${name}: lower edge max(0, mean − sd), upper edge mean + sd`, () => {
      const fig = make();
      const mean = fig.data.find((t) => t["mode"] === "lines+markers")!;
      const sd = (mean["customdata"] as [number, number][]).map((c) => c[0]);
      const m = mean["y"] as number[];
      const lower = fig.data.find((t) => String(t["name"]).endsWith("− sd"))!["y"] as number[];
      const upper = fig.data.find((t) => t["fill"] === "tonexty")!["y"] as number[];
      expect(m[0]! - sd[0]!).toBeLessThan(0); // the case that used to dip below zero
      expect(lower[0]).toBe(0);
      expect(m[1]! - sd[1]!).toBeGreaterThan(0);
      expect(lower[1]).toBeCloseTo(m[1]! - sd[1]!, 12);
      upper.forEach((u, b) => expect(u).toBeCloseTo(m[b]! + sd[b]!, 12));
      expect(Math.min(...lower)).toBeGreaterThanOrEqual(0);
    });
  }
});
