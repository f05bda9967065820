import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { InpcaInputError, PredictionSet, type ModelPoint } from "../../src/core/index.js";
import { AVERAGE_FLOOR, AVERAGING_METHODS, average, centroid, groupKey, lambertW0, type AveragingMethod } from "../../src/geometry/index.js";
import { writeNpy } from "../../src/io/formats/npy.js";
import { randomSet } from "../helpers/data.js";
import { referenceScipy, scipyMissing } from "../helpers/python.js";
import { skipWhen } from "../helpers/skip.js";

if (scipyMissing()) console.warn(`averaging NumPy/SciPy cross-check SKIPPED: ${scipyMissing()}`);

/** Two models on one sample with two classes. */
function pair(p: number, q: number): PredictionSet[] {
  return [PredictionSet.fromProbabilities([p, 1 - p], [1, 1, 2]), PredictionSet.fromProbabilities([q, 1 - q], [1, 1, 2])];
}

const norm = (x: number[]) => x.map((v) => v / x.reduce((a, b) => a + b, 0));

describe("average: closed forms on two models", () => {
  const sets = pair(0.8, 0.2);
  const cases: [AveragingMethod, number[]][] = [
    ["arithmetic", [0.5, 0.5]],
    ["geometric", norm([Math.sqrt(0.16), Math.sqrt(0.16)])],
    ["harmonic", norm([2 / (1 / 0.8 + 1 / 0.2), 2 / (1 / 0.2 + 1 / 0.8)])],
    ["sqrt", norm([((Math.sqrt(0.8) + Math.sqrt(0.2)) / 2) ** 2, ((Math.sqrt(0.2) + Math.sqrt(0.8)) / 2) ** 2])],
  ];
  for (const [method, expected] of cases) {
    it(`${method} of (0.8, 0.2) and (0.2, 0.8) is symmetric`, () => {
      const r = average(sets, method);
      expect(r.probs[0]).toBeCloseTo(expected[0]!, 7);
      expect(r.probs[1]).toBeCloseTo(expected[1]!, 7);
    });
  }

  it("asymmetric pair: geometric, harmonic and sqrt means by hand", () => {
    const s = pair(0.9, 0.6);
    const g = norm([Math.sqrt(0.9 * 0.6), Math.sqrt(0.1 * 0.4)]);
    const h = norm([2 / (1 / 0.9 + 1 / 0.6), 2 / (1 / 0.1 + 1 / 0.4)]);
    const q = norm([((Math.sqrt(0.9) + Math.sqrt(0.6)) / 2) ** 2, ((Math.sqrt(0.1) + Math.sqrt(0.4)) / 2) ** 2]);
    expect(average(s, "geometric").probs[0]).toBeCloseTo(g[0]!, 7);
    expect(average(s, "harmonic").probs[0]).toBeCloseTo(h[0]!, 7);
    expect(average(s, "sqrt").probs[0]).toBeCloseTo(q[0]!, 7);
    // Jeffreys: a / W0(e a / g) per class, then renormalised
    const a = [0.75, 0.25];
    const gm = [Math.sqrt(0.54), Math.sqrt(0.04)];
    const j = norm(a.map((v, c) => v / lambertW0((Math.E * v) / gm[c]!)));
    expect(average(s, "jeffreys").probs[0]).toBeCloseTo(j[0]!, 7);
    // the Bhattacharyya centroid of two points lies between them, and for 2 classes is the sqrt mean
    // (the midpoint of the great circle arc, which minimises B(p,u)+B(p,v) on a one-dimensional sphere)
    expect(average(s, "bhattacharyya").probs[0]).toBeCloseTo(q[0]!, 7);
  });

  it("the Bhattacharyya centroid of 5 models on 6 classes satisfies its optimality condition (checked here, no SciPy)", () => {
    // independent of the solver: at the minimiser of F(p) = Σ_i w_i B(p, q_i) on the simplex (interior), the Lagrange
    // condition ∂F/∂p_c = const gives, per sample, g_c = Σ_i w_i √(q_ic / p_c) / BC_i = Σ_i w_i for every class c
    // (multiply by p_c and sum over c to find the constant). Also: no small step along the simplex lowers F.
    const set = randomSet(5, 40, 6, 21);
    const weights = [1, 2, 0.5, 1.5, 1];
    const W = weights.reduce((a, b) => a + b, 0);
    const r = average(set, "bhattacharyya", { by: () => "all", weights });
    const S = 40, C = 6;
    const F = (p: number[], n: number) => {
      let f = 0;
      for (let i = 0; i < 5; i++) {
        let bc = 0;
        for (let c = 0; c < C; c++) bc += Math.sqrt(p[c]! * set.probs[(i * S + n) * C + c]!);
        f -= weights[i]! * Math.log(bc);
      }
      return f;
    };
    let worst = 0;
    for (let n = 0; n < S; n++) {
      const p = Array.from({ length: C }, (_, c) => r.probs[n * C + c]!);
      const bc = weights.map((_, i) => p.reduce((a, pc, c) => a + Math.sqrt(pc * set.probs[(i * S + n) * C + c]!), 0));
      for (let c = 0; c < C; c++) {
        let g = 0;
        for (let i = 0; i < 5; i++) g += (weights[i]! * Math.sqrt(set.probs[(i * S + n) * C + c]! / p[c]!)) / bc[i]!;
        worst = Math.max(worst, Math.abs(g / W - 1));
      }
      // moving mass 1e-3 between any two classes raises F
      const f0 = F(p, n);
      for (let a = 0; a < C; a++) for (let b = 0; b < C; b++) {
        if (a === b) continue;
        const q = p.slice();
        const h = Math.min(1e-3, q[b]! / 2);
        q[a]! += h;
        q[b]! -= h;
        expect(F(q, n), `sample ${n}, class ${b} → ${a}`).toBeGreaterThan(f0);
      }
    }
    expect(worst).toBeLessThan(1e-5);
  });

  it("exact zeros stay finite: probabilities are clamped to the documented floor", () => {
    const s = [PredictionSet.fromProbabilities([1, 0], [1, 1, 2]), PredictionSet.fromProbabilities([0.5, 0.5], [1, 1, 2])];
    for (const method of AVERAGING_METHODS) {
      const r = average(s, method);
      for (const v of r.probs) expect(Number.isFinite(v) && v >= 0).toBe(true);
      expect(r.probs[0]! + r.probs[1]!).toBeCloseTo(1, 6);
    }
    const g = average(s, "geometric");
    const expected = norm([Math.sqrt(0.5), Math.sqrt(0.5 * AVERAGE_FLOOR)]);
    expect(g.probs[1]).toBeCloseTo(expected[1]!, 12);
    const h = average(s, "harmonic");
    expect(h.probs[1]).toBeCloseTo(norm([2 / 3, 2 / (1 / AVERAGE_FLOOR + 2)])[1]!, 12);
    // a larger floor raises the zero class
    expect(average(s, "geometric", { floor: 1e-4 }).probs[1]!).toBeGreaterThan(g.probs[1]! * 100);
  });
});

describe("average: grouping, weights, metadata", () => {
  function seeds(): PredictionSet {
    const base = randomSet(6, 20, 3, 5);
    const meta: ModelPoint[] = base.meta.map((_, m) => ({ run: `mlp-s${m % 3}`, step: Math.floor(m / 3) * 10, epoch: Math.floor(m / 3), config: { arch: "mlp", lr: 0.1, seed: m % 3 } }));
    return base.derive(base.probs, 6, meta);
  }

  it("groups a set by configuration without seed, at the same step", () => {
    const set = seeds();
    const r = average(set, "arithmetic");
    expect(r.models).toBe(2);
    expect(r.meta[0]).toMatchObject({ run: "mean:arch=mlp, lr=0.1", step: 0, epoch: 0, kind: "average", members: 3, averaging: "arithmetic", config: { arch: "mlp", lr: 0.1 } });
    expect(r.meta[1]!.step).toBe(10);
    // element by element
    for (let q = 0; q < 60; q++) {
      const mean = (set.probs[q]! + set.probs[60 + q]! + set.probs[120 + q]!) / 3;
      expect(r.probs[q]).toBeCloseTo(mean, 6);
    }
    expect(groupKey(set.meta[4]!, 4)).toBe("arch=mlp, lr=0.1");
    expect(groupKey(set.meta[4]!, 4, ["arch", "seed"])).toBe("arch=mlp, seed=1");
  });

  it("weights: a zero weight drops a model, the array form pairs points by position", () => {
    const set = seeds();
    const one = average(set, "sqrt", { weights: [1, 0, 0, 1, 0, 0] });
    for (let q = 0; q < 60; q++) expect(one.probs[q]).toBeCloseTo(set.probs[q]!, 6);
    const a = set.select([0, 3]);
    const b = set.select([1, 4]);
    const r = average([a, b], "geometric");
    expect(r.models).toBe(2);
    const g = average(set.select([0, 1]), "geometric", { by: () => "x" });
    for (let q = 0; q < 60; q++) expect(r.probs[q]).toBeCloseTo(g.probs[q]!, 7);
    const c = centroid(set, "harmonic");
    expect(c.models).toBe(1);
    expect(c.meta[0]!.members).toBe(6);
  });

  it("rejects bad input naming what is wrong", () => {
    const set = seeds();
    expect(() => average(set, "median" as AveragingMethod)).toThrow(/unknown method "median"/);
    expect(() => average([set, set.select([0])], "arithmetic")).toThrow(/set 1 has 1 model-points but set 0 has 6/);
    expect(() => average(set, "arithmetic", { weights: [1, 2] })).toThrow(/2 weights for 6 model-points/);
    expect(() => average(set, "arithmetic", { weights: [1, -1, 0, 0, 0, 0] })).toThrow(InpcaInputError);
    expect(() => average([], "arithmetic")).toThrow(/no prediction sets/);
  });
});

describe("Lambert W0 (Halley iterations)", () => {
  const xs = [-1 / Math.E + 1e-12, -0.3, -0.1, -1e-8, 1e-10, 0.5, 1, Math.E, 10, 1000, 1e6, 1e12, 1e100, 1e300];
  it("solves w·e^w = x", () => {
    for (const x of xs) {
      const w = lambertW0(x);
      expect(w).toBeGreaterThanOrEqual(-1);
      const back = w * Math.exp(w);
      if (x < 1e300) expect(Math.abs(back - x)).toBeLessThanOrEqual(1e-6 * Math.abs(x) + 1e-15);
    }
    expect(lambertW0(0)).toBe(0);
    expect(lambertW0(Math.E)).toBeCloseTo(1, 14);
    expect(lambertW0(-1 / Math.E)).toBeCloseTo(-1, 6);
    expect(lambertW0(-1)).toBeNaN();
    expect(lambertW0(Infinity)).toBe(Infinity);
  });

  it("agrees with scipy.special.lambertw", skipWhen(scipyMissing()), () => {
    const ref = JSON.parse(referenceScipy(["lambertw", "--", xs.map((x) => x.toPrecision(17)).join(",")])) as number[];
    xs.forEach((x, k) => {
      const w = lambertW0(x);
      // near the branch point W is a square root of (x + 1/e): 1e-12 in x moves W by ~1e-6, so compare there loosely
      const tol = x < -0.36 ? 1e-6 : 1e-14 * Math.max(1, Math.abs(ref[k]!));
      expect(Math.abs(w - ref[k]!)).toBeLessThanOrEqual(tol);
    });
  });
});

describe("averages cross-checked with NumPy/SciPy (scripts/reference.py average)", skipWhen(scipyMissing()), () => {
  const dir = mkdtempSync(join(tmpdir(), "inpca-avg-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function run(set: PredictionSet, weights?: number[]): Record<string, number[]> {
    const file = join(dir, "p.npy");
    const out = join(dir, "p.json");
    writeFileSync(file, writeNpy(set.probs, set.shape));
    referenceScipy(["average", file, out, ...(weights ? ["--weights", weights.join(",")] : [])]);
    return JSON.parse(readFileSync(out, "utf8")) as Record<string, number[]>;
  }

  it("all six methods agree on 5 models × 40 samples × 6 classes; the Bhattacharyya centroid is the minimiser", () => {
    const set = randomSet(5, 40, 6, 21);
    const ref = run(set);
    let worst = 0;
    for (const method of AVERAGING_METHODS) {
      const r = average(set, method, { by: () => "all" });
      let maxAbs = 0;
      for (let q = 0; q < r.probs.length; q++) maxAbs = Math.max(maxAbs, Math.abs(r.probs[q]! - ref[method]![q]!));
      // float32 storage of the result: 6e-8 relative (SciPy's BFGS minimiser lands within that too)
      expect(maxAbs, method).toBeLessThan(2e-7);
      worst = Math.max(worst, maxAbs);
    }
    // objective Σ_i B(p, p_i) at our centroid is no larger than at SciPy's minimiser (per sample)
    const ours = average(set, "bhattacharyya", { by: () => "all" });
    const S = 40, C = 6;
    for (let n = 0; n < S; n++) {
      let obj = 0;
      for (let i = 0; i < 5; i++) {
        let bc = 0;
        for (let c = 0; c < C; c++) bc += Math.sqrt(ours.probs[n * C + c]! * set.probs[(i * S + n) * C + c]!);
        obj -= Math.log(bc) / 5;
      }
      expect(obj).toBeLessThanOrEqual(ref["bhattacharyya_objective"]![n]! + 1e-7);
    }
    console.log(`averaging vs NumPy/SciPy: worst |Δp| over six methods ${worst.toExponential(2)}`);
  });

  it("weights and exact zeros (floor 1e-12) agree too", () => {
    const set = randomSet(4, 30, 5, 22, { zeros: 0.1 });
    const weights = [1, 2, 3, 0.5];
    const ref = run(set, weights);
    for (const method of ["arithmetic", "geometric", "harmonic", "sqrt", "jeffreys"] as const) {
      const r = average(set, method, { by: () => "all", weights });
      for (let q = 0; q < r.probs.length; q++) expect(Math.abs(r.probs[q]! - ref[method]![q]!), method).toBeLessThan(2e-7);
    }
  });
});
