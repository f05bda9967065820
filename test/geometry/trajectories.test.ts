import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DistanceMatrix, InpcaInputError, PredictionSet, Trajectory, type ModelPoint } from "../../src/core/index.js";
import {
  bhattacharyyaSync, distanceToGeodesic, geodesic, geodesicProgress, geodesicBetween, groupDistances, pairedBhattacharyya, pointToTrajectory,
  riemannianLength, segmentLengths, smoothedTrajectoryDistance, smoothedTrajectoryDistances, trajectoryDistances, tubeWidth,
} from "../../src/geometry/index.js";
import { shutdownPool } from "../../src/geometry/pairwise/pool.js";
import { writeNpy } from "../../src/io/formats/npy.js";
import { naiveBhattacharyya, randomSet } from "../helpers/data.js";
import { numpyMissing, reference } from "../helpers/python.js";
import { skipWhen } from "../helpers/skip.js";

if (numpyMissing) console.warn(`trajectory NumPy cross-check SKIPPED: ${numpyMissing}`);
afterAll(() => shutdownPool());

/** N trajectories of T points on a common grid (reindexed = t/(T-1)); runs 0..2 are arch "a", the rest "b". */
function gridTrajectories(N: number, T: number, S: number, C: number, seed: number): Trajectory[] {
  const base = randomSet(N * T, S, C, seed);
  return Array.from({ length: N }, (_, i) => {
    const meta: ModelPoint[] = Array.from({ length: T }, (_, t) => ({ run: `r${i}`, step: t, reindexed: t / (T - 1), config: { arch: i < 3 ? "a" : "b", seed: i } }));
    return new Trajectory(`r${i}`, base.derive(base.select(Array.from({ length: T }, (_, t) => i * T + t)).probs, T, meta));
  });
}

describe("paired distances and the point-by-point trajectory distance", () => {
  it("pairedBhattacharyya matches the naive per-pair definition", () => {
    const a = randomSet(5, 30, 4, 1);
    const b = randomSet(5, 30, 4, 2);
    const bb = a.derive(b.probs, 5, b.meta);
    const d = pairedBhattacharyya(a, bb);
    for (let m = 0; m < 5; m++) expect(d[m]).toBeCloseTo(naiveBhattacharyya(a, m, bb, m), 12);
  });

  it("d_traj = (1/T) Σ_t d_B(P_u(t), P_v(t)), zero diagonal, trajectory metadata", async () => {
    const trs = gridTrajectories(4, 6, 25, 3, 3);
    const D = await trajectoryDistances(trs, { showProgress: false });
    expect(D.kind).toBe("trajectory");
    expect(D.rows).toBe(4);
    expect(D.rowMeta[2]).toMatchObject({ run: "r2", config: { arch: "a", seed: 2 }, points: 6 });
    for (let u = 0; u < 4; u++) {
      expect(D.get(u, u)).toBe(0);
      for (let v = 0; v < 4; v++) {
        if (u === v) continue;
        let s = 0;
        for (let t = 0; t < 6; t++) s += naiveBhattacharyya(trs[u]!.points, t, trs[v]!.points, t);
        expect(D.get(u, v)).toBeCloseTo(s / 6, 12);
      }
    }
    // the same from one set grouped by run
    const D2 = await trajectoryDistances(PredictionSet.concat(trs.map((t) => t.points)), { showProgress: false });
    expect(Array.from(D2.data)).toEqual(Array.from(D.data));
  });

  it("constant trajectories: d_traj is the d_B of their points", async () => {
    const pts = randomSet(2, 20, 4, 4);
    const flat = (i: number) => {
      const sel = pts.select([i, i, i]);
      return new Trajectory(`c${i}`, sel.derive(sel.probs, 3, [0, 0.5, 1].map((g, t) => ({ run: `c${i}`, step: t, reindexed: g }))));
    };
    const D = await trajectoryDistances([flat(0), flat(1)], { showProgress: false });
    expect(D.get(0, 1)).toBeCloseTo(naiveBhattacharyya(pts, 0, pts, 1), 12);
  });

  it("refuses trajectories on different grids or not re-indexed, naming the run", async () => {
    const trs = gridTrajectories(2, 4, 10, 3, 5);
    const shifted = new Trajectory("r1", trs[1]!.points.derive(trs[1]!.points.probs, 4, trs[1]!.points.meta.map((p) => ({ ...p, reindexed: (p["reindexed"] as number) + 0.01 }))));
    await expect(trajectoryDistances([trs[0]!, shifted])).rejects.toThrow(/"r1"\) is on a different grid: point 0 is at 0.01/);
    const raw = new Trajectory("raw", trs[1]!.points.derive(trs[1]!.points.probs, 4, trs[1]!.points.meta.map((p) => ({ run: "raw", step: p.step }))));
    await expect(trajectoryDistances([trs[0]!, raw])).rejects.toThrow(/trajectory "raw".*not re-indexed/);
    expect(await trajectoryDistances([trs[0]!, raw], { checkGrid: false, showProgress: false })).toBeInstanceOf(DistanceMatrix);
    await expect(trajectoryDistances([trs[0]!, gridTrajectories(1, 5, 10, 3, 5)[0]!])).rejects.toThrow(/has 5 points but "r0" has 4/);
  });
});

describe("groupDistances", () => {
  it("means over pairs between groups and over distinct pairs within", () => {
    // runs: a0, a1, b0, b1, b2
    const meta: ModelPoint[] = ["a", "a", "b", "b", "b"].map((arch, i) => ({ run: `r${i}`, step: 0, config: { arch, seed: i } }));
    const v = [
      [0, 1, 4, 5, 6],
      [1, 0, 7, 8, 9],
      [4, 7, 0, 2, 3],
      [5, 8, 2, 0, 10],
      [6, 9, 3, 10, 0],
    ];
    const D = DistanceMatrix.fromSquare(v.flat(), 5, { kind: "trajectory", meta });
    const G = groupDistances(D);
    expect(G.rows).toBe(2);
    expect(G.rowMeta.map((m) => m.run)).toEqual(["arch=a", "arch=b"]);
    expect(G.rowMeta[1]).toMatchObject({ runs: 3, config: { arch: "b" }, members: ["r2", "r3", "r4"] });
    expect(G.get(0, 1)).toBeCloseTo((4 + 5 + 6 + 7 + 8 + 9) / 6, 14);
    expect(G.get(1, 0)).toBe(G.get(0, 1));
    expect(G.get(0, 0)).toBeCloseTo(1, 14);
    expect(G.get(1, 1)).toBeCloseTo((2 + 3 + 10) / 3, 14);
    expect(G.symmetric).toBe(false);
    const Z = groupDistances(D, "arch", { diagonal: "zero" });
    expect(Z.get(1, 1)).toBe(0);
    expect(Z.symmetric).toBe(true);
    expect(Z.rowMeta[0]!.run).toBe("a");
  });
});

describe("kernel-smoothed distances", () => {
  it("s = 0: minimum over the other trajectory; a point of the trajectory is at distance 0", () => {
    const set = randomSet(8, 20, 4, 6);
    const tr = set.select([0, 2, 4, 6]);
    const d = pointToTrajectory(set, tr);
    const full = bhattacharyyaSync(set, tr);
    for (let i = 0; i < 8; i++) {
      expect(d[i]).toBeCloseTo(Math.min(...full.row(i)), 14);
      if (i % 2 === 0) expect(d[i]).toBeLessThan(1e-14);
    }
    // large smoothing tends to the plain mean; small to the minimum
    const big = pointToTrajectory(set, tr, { smoothing: 1e9 });
    const small = pointToTrajectory(set, tr, { smoothing: 1e-9 });
    for (let i = 0; i < 8; i++) {
      const row = Array.from(full.row(i));
      expect(big[i]).toBeCloseTo(row.reduce((a, b) => a + b, 0) / row.length, 8);
      expect(small[i]).toBeCloseTo(Math.min(...row), 12);
    }
    expect(() => pointToTrajectory(set, tr, { smoothing: -1 })).toThrow(/smoothing must be/);
  });

  it("the smoothed trajectory distance follows its definition, computed here by naive loops (no common grid)", async () => {
    // independent of the library's distances, weights and soft minimum: naive per-sample d_B (test/helpers/data.ts);
    // point-to-trajectory = min (s = 0) or Σ_k e^{−d_k/s} d_k / Σ_k e^{−d_k/s}; trapezoid weights ½(ℓ_{t−1} + ℓ_t),
    // ℓ_t = √d_B(x_t, x_{t+1}), normalised; then both directions combined by mean / min / none
    const lengths = [7, 11, 5];
    const base = randomSet(lengths.reduce((a, b) => a + b, 0), 15, 4, 44);
    let at = 0;
    const trs = lengths.map((T, i) => {
      const rows = Array.from({ length: T }, (_, t) => at + t);
      at += T;
      const meta: ModelPoint[] = rows.map((_, t) => ({ run: `q${i}`, step: t }));
      return new Trajectory(`q${i}`, base.derive(base.select(rows).probs, T, meta));
    });
    const d = (a: PredictionSet, i: number, b: PredictionSet, j: number) => naiveBhattacharyya(a, i, b, j);
    const directed = (a: PredictionSet, b: PredictionSet, s: number) => {
      const w = Array.from({ length: a.models }, (_, t) =>
        ((t > 0 ? Math.sqrt(d(a, t - 1, a, t)) : 0) + (t + 1 < a.models ? Math.sqrt(d(a, t, a, t + 1)) : 0)) / 2);
      const W = w.reduce((x, y) => x + y, 0);
      let total = 0;
      for (let t = 0; t < a.models; t++) {
        const dk = Array.from({ length: b.models }, (_, k) => d(a, t, b, k));
        let p2t = Math.min(...dk);
        if (s > 0) {
          const e = dk.map((v) => Math.exp(-v / s));
          p2t = dk.reduce((x, v, k) => x + e[k]! * v, 0) / e.reduce((x, y) => x + y, 0);
        }
        total += (w[t]! / W) * p2t;
      }
      return total;
    };
    for (const smoothing of [0, 0.05, 0.3]) {
      for (const [i, j] of [[0, 1], [1, 2], [2, 0]] as const) {
        const a = trs[i]!.points, b = trs[j]!.points;
        const ab = directed(a, b, smoothing), ba = directed(b, a, smoothing);
        expect(smoothedTrajectoryDistance(a, b, { smoothing, symmetrize: "none" }), `s=${smoothing} ${i}→${j}`).toBeCloseTo(ab, 10);
        expect(smoothedTrajectoryDistance(a, b, { smoothing }), `s=${smoothing} ${i}↔${j}`).toBeCloseTo((ab + ba) / 2, 10);
        expect(smoothedTrajectoryDistance(a, b, { smoothing, symmetrize: "min" })).toBeCloseTo(Math.min(ab, ba), 10);
      }
      const M = await smoothedTrajectoryDistances(trs, { smoothing, showProgress: false });
      for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
        if (i === j) continue;
        const a = trs[i]!.points, b = trs[j]!.points;
        expect(M.get(i, j), `matrix s=${smoothing} (${i}, ${j})`).toBeCloseTo((directed(a, b, smoothing) + directed(b, a, smoothing)) / 2, 10);
      }
    }
  });

  it("a trajectory and a denser copy of the same path are at distance 0 one way", () => {
    const labels = [0, 1, 2, 1, 0, 2];
    const coarse = geodesic(labels, { classes: 3, points: 5 });
    const fine = geodesic(labels, { classes: 3, points: 9 }); // contains every coarse point
    expect(smoothedTrajectoryDistance(coarse, fine, { symmetrize: "none" })).toBeCloseTo(0, 12);
    expect(smoothedTrajectoryDistance(fine, coarse, { symmetrize: "none" })).toBeGreaterThan(0);
    expect(smoothedTrajectoryDistance(fine, coarse, { symmetrize: "min" })).toBeCloseTo(0, 12);
  });
});

describe("Riemannian length", () => {
  it("a geodesic of N points: exactly (N-1)·2·sqrt(-log cos(θ/(N-1))), tending to √2·θ (Fisher–Rao 2θ)", () => {
    const C = 10;
    const labels = Array.from({ length: 50 }, (_, n) => n % C);
    const theta = Math.acos(1 / Math.sqrt(C));
    for (const N of [2, 11, 401]) {
      const g = geodesic(labels, { classes: C, points: N });
      const exact = (N - 1) * 2 * Math.sqrt(-Math.log(Math.cos(theta / (N - 1))));
      expect(riemannianLength(g)).toBeCloseTo(exact, 5);
      expect(riemannianLength(g, { metric: "fisher" })).toBeCloseTo(Math.SQRT2 * exact, 5);
    }
    const fine = geodesic(labels, { classes: C, points: 2001 });
    expect(riemannianLength(fine)).toBeCloseTo(Math.SQRT2 * theta, 5);
    expect(riemannianLength(fine, { metric: "fisher" })).toBeCloseTo(2 * theta, 5);
    expect(segmentLengths(fine).length).toBe(2000);
    console.log(`geodesic length, C=10: authors ${riemannianLength(fine).toFixed(6)} (√2θ = ${(Math.SQRT2 * theta).toFixed(6)}), Fisher–Rao ${riemannianLength(fine, { metric: "fisher" }).toFixed(6)} (2θ = ${(2 * theta).toFixed(6)})`);
  });
});

describe("distance to the geodesic", () => {
  it("points on the geodesic are at distance 0 with their λ", () => {
    const set = randomSet(1, 30, 4, 7);
    const lambdas = [0.1, 0.45, 0.9];
    const g = geodesic(set, { lambdas });
    const r = distanceToGeodesic(g);
    lambdas.forEach((l, k) => {
      expect(r.progress[k]).toBeCloseTo(l, 6);
      expect(r.distance[k]).toBeLessThan(1e-10);
      expect(r.meta[k]!.lambda).toBeCloseTo(l, 6);
    });
  });

  it("equals the minimum of d_B over a fine geodesic grid (4001 points)", () => {
    const set = randomSet(6, 40, 4, 8);
    const r = distanceToGeodesic(set, set.labels);
    const fine = geodesic(set, { points: 4001 });
    const cross = bhattacharyyaSync(set, fine);
    for (let m = 0; m < 6; m++) {
      const row = cross.row(m);
      let best = 0;
      for (let k = 1; k < row.length; k++) if (row[k]! < row[best]!) best = k;
      expect(r.distance[m]).toBeLessThanOrEqual(row[best]! + 1e-12);
      expect(row[best]! - r.distance[m]!).toBeLessThan(1e-6);
      expect(Math.abs(r.nearest[m]! - best / 4000)).toBeLessThanOrEqual(1 / 4000);
    }
  });

  it("reports progress as geodesicProgress does (the angle λ*, one number in every figure), not the nearest point's λ", () => {
    const set = randomSet(6, 40, 4, 9, { zeros: 0.2 });
    const r = distanceToGeodesic(set, set.labels);
    const lam = geodesicProgress(set);
    for (let m = 0; m < 6; m++) {
      expect(r.progress[m]).toBe(lam[m]);
      expect(r.meta[m]!.lambda).toBe(lam[m]);
    }
    // the two differ on such a set (else this test would not tell them apart)
    expect(Math.max(...Array.from(r.progress, (p, m) => Math.abs(p - r.nearest[m]!)))).toBeGreaterThan(1e-3);
    // and progressMethod picks another variable
    expect(distanceToGeodesic(set, set.labels, { progressMethod: "bhattacharyya" }).progress).toEqual(r.nearest);
  });
});

describe("tube width", () => {
  it("two seeds: the sqrt mean is the great-circle midpoint, so width = (1/S) Σ_n -log cos(θ_n / 2)", () => {
    const u = randomSet(5, 30, 4, 9);
    const v = randomSet(5, 30, 4, 10);
    const run = (set: PredictionSet, name: string, seed: number) =>
      u.derive(set.probs, 5, set.meta.map((_, t) => ({ run: name, step: t, reindexed: t / 4, config: { arch: "x", seed } })));
    const t = tubeWidth(PredictionSet.concat([run(u, "s0", 0), run(v, "s1", 1)]));
    expect(t.groups).toEqual(["arch=x"]);
    expect(t.width.length).toBe(10);
    expect(t.means.models).toBe(5);
    const { samples: S, classes: C } = u;
    for (let k = 0; k < 5; k++) {
      let expected = 0;
      for (let n = 0; n < S; n++) {
        let bc = 0;
        for (let c = 0; c < C; c++) bc += Math.sqrt(u.probs[(k * S + n) * C + c]! * v.probs[(k * S + n) * C + c]!);
        expected += -Math.log(Math.cos(Math.acos(Math.min(1, bc)) / 2)) / S;
      }
      expect(t.width[k]).toBeCloseTo(expected, 6);
      expect(t.width[5 + k]).toBeCloseTo(expected, 6);
      expect(t.progress[k]).toBeCloseTo(k / 4, 12);
    }
    expect(t.meta[7]).toMatchObject({ run: "s1", group: "arch=x" });
  });

  it("re-indexes raw runs by progress on the range all seeds of a configuration cover; single runs are skipped", () => {
    const labels = Array.from({ length: 20 }, (_, n) => n % 4);
    const run = (name: string, arch: string, seed: number, lambdas: number[], noise: number) => {
      const g = geodesic(labels, { classes: 4, lambdas });
      const z = randomSet(lambdas.length, 20, 4, 100 + seed);
      // blend with a little noise so seeds differ
      const probs = Float32Array.from(g.probs, (p, q) => (1 - noise) * p + noise * z.probs[q]!);
      return g.derive(probs, lambdas.length, lambdas.map((_, t) => ({ run: name, step: t, config: { arch, seed } })));
    };
    const set = PredictionSet.concat([
      run("a0", "a", 0, [0.05, 0.3, 0.6, 0.9], 0.02),
      run("a1", "a", 1, [0.1, 0.4, 0.7, 0.8], 0.03),
      run("b0", "b", 0, [0, 0.5, 1], 0.01),
    ]);
    const t = tubeWidth(set, { points: 11 });
    expect(t.groups).toEqual(["arch=a"]);
    expect(t.skipped).toEqual(["arch=b"]);
    expect(t.width.length).toBe(22);
    const lo = Math.min(...t.progress), hi = Math.max(...t.progress);
    expect(lo).toBeGreaterThan(0.05); // the latest start of the two seeds (their progress, not the nominal λ)
    expect(hi).toBeLessThan(0.9);
    for (const w of t.width) expect(w).toBeGreaterThanOrEqual(0);
    expect(t.meta[0]!.lambda).toBeCloseTo(lo, 12);
  });
});

describe("trajectory distances cross-checked with NumPy (scripts/reference.py trajectories)", skipWhen(numpyMissing), () => {
  const dir = mkdtempSync(join(tmpdir(), "inpca-traj-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const smoothing of [0, 0.05]) {
    it(`d_traj, group means, lengths and smoothed distances (s = ${smoothing}) agree`, async () => {
      const N = 5, T = 12, S = 30, C = 4;
      const trs = gridTrajectories(N, T, S, C, 40);
      const all = PredictionSet.concat(trs.map((t) => t.points));
      const file = join(dir, "t.npy");
      const out = join(dir, "t.json");
      writeFileSync(file, writeNpy(all.probs, [N, T, S, C]));
      reference(["trajectories", file, out, "--smoothing", String(smoothing), "--groups", "0,0,0,1,1"]);
      const ref = JSON.parse(readFileSync(out, "utf8")) as Record<string, number[]>;
      const D = await trajectoryDistances(trs, { showProgress: false });
      let worst = 0;
      const cmp = (a: ArrayLike<number>, b: number[]) => {
        for (let q = 0; q < b.length; q++) {
          expect(a[q]).toBeCloseTo(b[q]!, 10);
          worst = Math.max(worst, Math.abs(a[q]! - b[q]!));
        }
      };
      cmp(D.data, ref["dtraj"]!);
      cmp(groupDistances(D).data, ref["groups"]!);
      cmp(trs.map((t) => riemannianLength(t)), ref["lengths"]!);
      cmp((await smoothedTrajectoryDistances(trs, { smoothing, showProgress: false })).data, ref["smoothed_mean"]!);
      cmp((await smoothedTrajectoryDistances(trs, { smoothing, symmetrize: "min", showProgress: false })).data, ref["smoothed_min"]!);
      // the pairwise function agrees with the matrix one
      expect(smoothedTrajectoryDistance(trs[0]!, trs[3]!, { smoothing })).toBeCloseTo(ref["smoothed_mean"]![3]!, 10);
      console.log(`trajectories vs NumPy (s=${smoothing}): worst |Δ| ${worst.toExponential(2)}`);
    }, 60_000);
  }
});

describe("input errors", () => {
  it("names what is wrong", () => {
    const a = randomSet(3, 10, 3, 1);
    expect(() => pairedBhattacharyya(a, a.select([0]))).toThrow(/3 model-points against 1/);
    expect(() => groupDistances(new DistanceMatrix({ data: new Float64Array(2), rows: 1, cols: 2 }))).toThrow(InpcaInputError);
    expect(() => riemannianLength(a, { metric: "euclid" as "fisher" })).toThrow(/unknown metric/);
    expect(geodesicBetween(a, a, { points: 2 }).models).toBe(2);
  });
});
