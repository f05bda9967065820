/**
 * InPCA from features (docs/methods.md §15) against InPCA of the matrix it avoids: `featureInpca(set, {divergence})`
 * equals `inpca(hellinger(set))` / `inpca(symmetricKL(set))` — signed eigenvalues (time-like axes included),
 * coordinates up to each axis's sign, spectrum and explained stress — to 1e-6 relative, on both routes (the w×w
 * Gram and the streaming subspace iteration), from a set in memory and from a zoo on disk read in several chunks;
 * out-of-sample placement from features equals Gower's placement from distances; bad options are refused; and an
 * independent NumPy computation of the symmetric-KL spectrum agrees.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { InpcaAbortError, InpcaInputError } from "../../src/core/errors.js";
import { PredictionSet } from "../../src/core/prediction-set.js";
import { sourceOf } from "../../src/core/source.js";
import type { Embedding } from "../../src/core/embedding.js";
import { featureInpca, type FeatureDivergence } from "../../src/geometry/feature-inpca.js";
import { hellinger, inpca, symmetricKL } from "../../src/geometry/index.js";
import { loadZoo } from "../../src/io/stores/zoo/index.js";
import { zooSource } from "../../src/io/stores/zoo/source.js";
import { randomSet } from "../helpers/data.js";
import { numpyMissing, python, runPython } from "../helpers/python.js";
import { skipWhen } from "../helpers/skip.js";

const matrixOf = (set: PredictionSet, d: FeatureDivergence) => (d === "hellinger" ? hellinger(set, undefined, { showProgress: false }) : symmetricKL(set, undefined, { showProgress: false }));

/** Asserts a feature embedding equals the matrix one: eigenvalues and spectrum, coordinates up to per-axis sign, ES, ‖W‖²_F. */
function expectSame(f: Embedding, ref: Embedding, what: string, rel = 1e-6): void {
  expect(f.points, what).toBe(ref.points);
  expect(f.dims, what).toBe(ref.dims);
  const top = Math.abs(ref.eigenvalues[0]!);
  // a null eigenvalue (past the rank) is rounding in the matrix route (±1e-17) and exactly 0 here: compared to top
  const isNull = (k: number) => Math.abs(ref.eigenvalues[k]!) <= 1e-12 * top;
  for (let k = 0; k < ref.dims; k++) {
    expect(Math.abs(f.eigenvalues[k]! - ref.eigenvalues[k]!), `${what}: λ${k + 1}`).toBeLessThanOrEqual(isNull(k) ? 1e-12 * top : rel * Math.abs(ref.eigenvalues[k]!));
    if (!isNull(k)) expect(f.timelike[k], `${what}: axis ${k + 1} time-like`).toBe(ref.timelike[k]);
  }
  const axis1 = Math.max(...Array.from(ref.axis(0), Math.abs));
  expect(f.spectrum.length, what).toBe(ref.spectrum.length);
  for (let k = 0; k < ref.spectrum.length; k++) expect(Math.abs(f.spectrum[k]! - ref.spectrum[k]!), `${what}: spectrum ${k + 1}`).toBeLessThanOrEqual(rel * top);
  for (let k = 0; k < ref.explainedStress.length; k++) expect(Math.abs(f.explainedStress[k]! - ref.explainedStress[k]!), `${what}: ES(${k + 1})`).toBeLessThanOrEqual(rel);
  expect(Math.abs(f.frobenius2 - ref.frobenius2), what).toBeLessThanOrEqual(rel * ref.frobenius2);
  for (let k = 0; k < ref.dims; k++) {
    const a = f.axis(k), b = ref.axis(k);
    let dot = 0, scale = 0, gap = 0;
    for (let i = 0; i < b.length; i++) dot += a[i]! * b[i]!;
    const s = dot < 0 ? -1 : 1;
    for (let i = 0; i < b.length; i++) {
      scale = Math.max(scale, Math.abs(b[i]!));
      gap = Math.max(gap, Math.abs(a[i]! - s * b[i]!));
    }
    expect(gap, `${what}: axis ${k + 1}`).toBeLessThanOrEqual(isNull(k) ? 1e-5 * axis1 : rel * scale);
  }
}

/** randomSet with exact zeros, plus copies of some model-points (identical models). */
function withDuplicates(M: number, S: number, C: number, seed: number): PredictionSet {
  const base = randomSet(M, S, C, seed, { zeros: 0.15 });
  const rows = [...Array.from({ length: M }, (_, i) => i), 3, 3, 10];
  rows.sort((a, b) => a - b);
  const probs = new Float32Array(rows.length * S * C);
  rows.forEach((r, i) => probs.set(base.model(r), i * S * C));
  return PredictionSet.fromProbabilities(probs, [rows.length, S, C], { labels: base.labels!, meta: rows.map((r, i) => ({ ...base.meta[r]!, step: i })), split: "train" });
}

describe("featureInpca on synthetic sets with zero probabilities and identical models", () => {
  const set = withDuplicates(57, 16, 5, 7);
  for (const divergence of ["hellinger", "symmetricKL"] as const) {
    for (const route of ["gram", "stream"] as const) {
      it(`${divergence}, route ${route}: equals inpca(${divergence}(set))`, async () => {
        const ref = inpca(matrixOf(set, divergence), { dims: 6 });
        const f = await featureInpca(set, { divergence, dims: 6, route, showProgress: false });
        expect(f.feature.route).toBe(route);
        expect(f.feature.features).toBe((divergence === "hellinger" ? 1 : 2) * 16 * 5);
        expectSame(f, ref, `${divergence} ${route}`);
        if (route === "stream") expect(Math.max(...f.feature.residuals.subarray(0, 6))).toBeLessThanOrEqual(1e-9);
        // identical model-points land on the same spot
        for (let k = 0; k < 6; k++) expect(f.coord(3, k)).toBeCloseTo(f.coord(4, k), 10);
      });
    }
  }

  it("symmetricKL's time-like axes (here from axis 21 on) are there, with their signs and coordinates", async () => {
    const first = inpca(matrixOf(set, "symmetricKL")).spectrum.findIndex((l) => l < 0);
    expect(first).toBeGreaterThan(0);
    const dims = first + 4;
    const ref = inpca(matrixOf(set, "symmetricKL"), { dims });
    expect(ref.timelike.filter((t) => t).length).toBeGreaterThanOrEqual(1);
    for (const route of ["gram", "stream"] as const) {
      const f = await featureInpca(set, { divergence: "symmetricKL", dims, route, showProgress: false });
      expectSame(f, ref, `symmetricKL ${route}, ${dims} axes`);
      expect(f.timelike).toEqual(ref.timelike);
    }
  });

  it("the stream route with a block smaller than M and a small memory (several chunks): same numbers", async () => {
    const big = randomSet(220, 12, 4, 5, { zeros: 0.1 });
    for (const divergence of ["hellinger", "symmetricKL"] as const) {
      const ref = inpca(matrixOf(big, divergence), { dims: 4, spectrum: 20 });
      const f = await featureInpca(big, { divergence, dims: 4, spectrum: 20, route: "stream", memory: divergence === "hellinger" ? 300_000 : 400_000, showProgress: false });
      expect(f.feature.chunkRows).toBeLessThan(220);
      expect(f.feature.iterations).toBeGreaterThan(1);
      expectSame(f, ref, `${divergence} stream, 20 of 220`);
      const g = await featureInpca(big, { divergence, dims: 4, spectrum: 20, route: "gram", memory: divergence === "hellinger" ? 200_000 : 400_000, showProgress: false });
      expect(g.feature.chunkRows).toBeLessThan(220);
      expectSame(g, ref, `${divergence} gram in chunks`);
    }
  });

  it("tiny sets (M = 2, 3, 4, 7; fewer points than dims or block): the whole spectrum, zeros past the rank, nothing spurious", async () => {
    for (const M of [2, 3, 4, 7]) {
      const set = randomSet(M, 5, 3, M, { zeros: 0.2 });
      for (const divergence of ["hellinger", "symmetricKL"] as const) {
        const ref = inpca(matrixOf(set, divergence), { dims: 4 });
        for (const route of ["gram", "stream"] as const) {
          expectSame(await featureInpca(set, { divergence, dims: 4, route, showProgress: false }), ref, `M = ${M}, ${divergence} ${route}`);
        }
      }
    }
  });

  it("route gram above rank 400 (its r×r problem by Lanczos): same numbers", async () => {
    const big = randomSet(450, 41, 10, 4, { zeros: 0.05 });
    const ref = inpca(matrixOf(big, "hellinger"), { dims: 3 });
    const f = await featureInpca(big, { divergence: "hellinger", dims: 3, route: "gram", showProgress: false });
    expect(f.feature.features).toBe(410);
    expect(Math.max(...f.feature.residuals)).toBeLessThan(1e-9);
    expectSame(f, ref, "hellinger gram, rank 410");
  });

  it("every model-point identical: zero coordinates, ES 1", async () => {
    const one = randomSet(1, 6, 3, 2);
    const probs = new Float32Array(5 * 18);
    for (let i = 0; i < 5; i++) probs.set(one.model(0), i * 18);
    const same = PredictionSet.fromProbabilities(probs, [5, 6, 3], { labels: one.labels! });
    for (const route of ["gram", "stream"] as const) {
      const f = await featureInpca(same, { divergence: "symmetricKL", route, showProgress: false });
      expect(Array.from(f.coords).every((x) => x === 0)).toBe(true);
      expect(f.explainedStress[0]).toBe(1);
    }
  });

  it("placeFeatures equals Gower's placement from distances (addPoints), and addPoints works on a feature embedding", async () => {
    const all = randomSet(70, 10, 4, 9, { zeros: 0.1 });
    const fit = all.select(Array.from({ length: 60 }, (_, i) => i));
    const extra = all.select(Array.from({ length: 10 }, (_, i) => 60 + i));
    for (const divergence of ["hellinger", "symmetricKL"] as const) {
      const ref = inpca(matrixOf(fit, divergence), { dims: 5 });
      const cross = divergence === "hellinger" ? hellinger(extra, fit) : symmetricKL(extra, fit);
      const placedRef = ref.addPoints(cross);
      for (const route of ["gram", "stream"] as const) {
        const f = await featureInpca(fit, { divergence, dims: 5, route, showProgress: false });
        const placed = f.placeFeatures(extra);
        expect(placed.points).toBe(70);
        expectSame(placed, placedRef, `${divergence} ${route} placed`);
        expectSame(f.addPoints(cross), placedRef, `${divergence} ${route} addPoints`);
        // an original point placed from its features gets its own coordinates back
        const back = f.placeFeatures(fit.select([0, 17]));
        for (let k = 0; k < 5; k++) {
          expect(back.coord(60, k)).toBeCloseTo(f.coord(0, k), 9);
          expect(back.coord(61, k)).toBeCloseTo(f.coord(17, k), 9);
        }
      }
    }
    const f = await featureInpca(fit, { divergence: "hellinger", showProgress: false });
    expect(() => f.placeFeatures(randomSet(2, 9, 4, 1))).toThrow(/10 × 4/);
  });
});

describe("featureInpca on the shipped zoo (a slice of four runs, test split)", () => {
  const zoo = loadZoo(join(__dirname, "..", "..", "data", "zoo"));
  const selection = { runs: ["mlp-nesterov-b100-nowd-noaug-s0", "vit-nesterov-b100-nowd-noaug-s0", "allcnn-nesterov-b100-nowd-noaug-s0", "allcnn-nesterov-b100-nowd-noaug-randlabels-s0"] };
  for (const divergence of ["hellinger", "symmetricKL"] as const) {
    it(`${divergence}: from memory and from the zoo on disk in several chunks, equal to inpca(${divergence}(set))`, async () => {
      const set = zoo.predictions("test", selection);
      expect(set.models).toBeGreaterThan(150);
      const D = matrixOf(set, divergence);
      // symmetric KL: keep axes up to its first time-like one
      const first = inpca(D).spectrum.findIndex((l) => l < 0);
      const dims = divergence === "hellinger" ? 4 : first + 1;
      if (divergence === "symmetricKL") expect(first).toBeGreaterThan(0);
      const ref = inpca(D, { dims, spectrum: 20 });
      if (divergence === "symmetricKL") expect(ref.timelike[dims - 1]).toBe(true);
      const opts = { divergence, dims, spectrum: 20, showProgress: false } as const;
      const mem = await featureInpca(set, opts);
      expect(mem.feature.route).toBe("stream");
      expectSame(mem, ref, `${divergence} zoo in memory`);
      const progress: number[] = [];
      const disk = await featureInpca(zooSource(zoo, "test", selection), { ...opts, memory: "12M", onProgress: (d) => progress.push(d) });
      expect(disk.feature.chunkRows).toBeLessThan(set.models / 2);
      expect(disk.feature.bytesRead).toBeGreaterThanOrEqual(disk.feature.passes * set.models * set.samples * set.classes * 4 * 0.5);
      expect(progress.length).toBeGreaterThan(0);
      expectSame(disk, ref, `${divergence} zoo on disk`);
      expectSame(disk, mem, `${divergence} disk vs memory`, 1e-9);
      expect(disk.meta.map((m) => m.run)).toEqual(set.meta.map((m) => m.run));
    }, 300_000);
  }
});

describe("featureInpca refuses bad options and stops on abort", () => {
  const set = randomSet(12, 5, 3, 1);
  const bad: [object, RegExp][] = [
    [{}, /divergence is missing/],
    [{ divergence: "bhattacharyya" }, /divergence is "bhattacharyya"; expected one of "hellinger", "symmetricKL"/],
    [{ divergence: "hellinger", dims: 0 }, /dims is 0; expected an integer ≥ 1/],
    [{ divergence: "hellinger", dims: 1.5 }, /dims is 1.5/],
    [{ divergence: "hellinger", memory: "lots" }, /memory is "lots"; expected a memory size/],
    [{ divergence: "hellinger", route: "fast" }, /route is "fast"/],
    [{ divergence: "hellinger", tol: 0 }, /tol is 0/],
    [{ divergence: "hellinger", maxPasses: 1 }, /maxPasses is 1/],
    [{ divergence: "hellinger", memory: 1000 }, /memory budget of 1 KiB; raise `memory`/],
  ];
  for (const [options, message] of bad) {
    it(`refuses ${JSON.stringify(options)}`, async () => {
      await expect(featureInpca(set, { showProgress: false, ...options } as never)).rejects.toThrow(InpcaInputError);
      await expect(featureInpca(set, { showProgress: false, ...options } as never)).rejects.toThrow(message);
    });
  }
  it("refuses a source of one model-point, naming it", async () => {
    await expect(featureInpca(sourceOf(randomSet(1, 5, 3, 1), "one.npy"), { divergence: "hellinger" })).rejects.toThrow(/one\.npy has 1 model-point/);
  });
  it("an aborted signal stops it with InpcaAbortError", async () => {
    const c = new AbortController();
    c.abort();
    await expect(featureInpca(set, { divergence: "symmetricKL", signal: c.signal, showProgress: false })).rejects.toThrow(InpcaAbortError);
  });
  it("an abort while it streams stops it with InpcaAbortError (both routes)", async () => {
    for (const route of ["gram", "stream"] as const) {
      const c = new AbortController();
      const run = featureInpca(randomSet(80, 6, 3, 2), { divergence: "hellinger", route, memory: 60_000, signal: c.signal, showProgress: false, onProgress: () => c.abort() });
      await expect(run).rejects.toThrow(InpcaAbortError);
    }
  });
  it("the stream route says so when it cannot converge within maxPasses", async () => {
    const big = randomSet(120, 8, 4, 3);
    await expect(featureInpca(big, { divergence: "hellinger", route: "stream", maxPasses: 3, tol: 1e-14, showProgress: false })).rejects.toThrow(/not converged after 3 passes/);
  });
});

describe("NumPy cross-check of the symmetric-KL spectrum", () => {
  it("eigenvalues of the double-centred isKL matrix computed by NumPy from the probabilities", skipWhen(numpyMissing), async () => {
    const set = randomSet(30, 9, 4, 13, { zeros: 0.2 });
    const dir = mkdtempSync(join(tmpdir(), "feature-inpca-"));
    try {
      const file = join(dir, "p.json");
      writeFileSync(file, JSON.stringify({ shape: [30, 9, 4], p: Array.from(set.probs) }));
      const script = [
        "import json, sys, numpy as np",
        "d = json.load(open(sys.argv[1])); M, S, C = d['shape']",
        "p = np.maximum(np.array(d['p'], dtype=np.float32).astype(np.float64).reshape(M, S * C), 1e-12); l = np.log(p)",
        "D = np.array([[0.5 * np.sum((p[i] - p[j]) * (l[i] - l[j])) / S for j in range(M)] for i in range(M)])",
        "J = np.eye(M) - np.ones((M, M)) / M; W = -0.5 * J @ D @ J",
        "lam = np.linalg.eigvalsh(W); lam = lam[np.argsort(-np.abs(lam))]",
        "print(json.dumps({'lam': lam[:29].tolist(), 'f2': float(np.sum(W * W))}))",
      ].join("\n");
      const out = JSON.parse(runPython(python, ["-c", script, file])) as { lam: number[]; f2: number };
      const f = await featureInpca(set, { divergence: "symmetricKL", dims: 29, showProgress: false });
      out.lam.forEach((l, k) => expect(Math.abs(f.eigenvalues[k]! - l), `λ${k + 1}`).toBeLessThanOrEqual(1e-6 * Math.abs(l)));
      expect(out.lam.some((l) => l < 0)).toBe(true);
      expect(Math.abs(f.frobenius2 - out.f2)).toBeLessThanOrEqual(1e-6 * out.f2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
