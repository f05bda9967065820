import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DistanceMatrix } from "../../src/core/index.js";
import { average, bhattacharyyaSync, explainedDistance, geodesicBetween, ignorance, inpca, kernelAnchor, geodesicProgress, tangentEmbedding, truth } from "../../src/geometry/index.js";
import { PredictionSet } from "../../src/core/index.js";
import { shutdownPool } from "../../src/geometry/pairwise/pool.js";
import { normal } from "../../src/linalg/random.js";
import { writeNpy } from "../../src/io/formats/npy.js";
import { naiveBhattacharyya, randomSet } from "../helpers/data.js";
import { numpyMissing, reference } from "../helpers/python.js";
import { skipWhen } from "../helpers/skip.js";

if (numpyMissing) console.warn(`tangent NumPy cross-check SKIPPED: ${numpyMissing}`);
afterAll(() => shutdownPool());

/** D_ij = Σ_a s_a (x_ia - x_ja)² for random points x in R^dims with signature `signs`. */
function signedPoints(N: number, signs: number[], seed: number): DistanceMatrix {
  const g = normal(seed);
  const K = signs.length;
  const x = Float64Array.from({ length: N * K }, (_, q) => g() * (q % K === K - 1 ? 0.3 : 1));
  const d = new Float64Array(N * N);
  for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) {
    let s = 0;
    for (let a = 0; a < K; a++) s += signs[a]! * (x[i * K + a]! - x[j * K + a]!) ** 2;
    d[i * N + j] = s;
  }
  return DistanceMatrix.fromSquare(d, N);
}

/** W = −½ J d J for an n×n distance function, from J = I − 11ᵀ/n by explicit loops. */
function naiveCentred(d: (i: number, j: number) => number, n: number): Float64Array {
  const J = (i: number, j: number) => (i === j ? 1 : 0) - 1 / n;
  const W = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let k = 0; k < n; k++) for (let l = 0; l < n; l++) s += J(i, k) * d(k, l) * J(l, j);
    W[i * n + j] = -0.5 * s;
  }
  return W;
}

/** Cyclic Jacobi rotations for a small symmetric matrix: eigenvalues and eigenvectors (columns), no library code. */
function jacobiEigen(A0: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const A = Float64Array.from(A0);
  const V = new Float64Array(n * n);
  for (let i = 0; i < n; i++) V[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += A[p * n + q]! ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) {
      const apq = A[p * n + q]!;
      if (Math.abs(apq) < 1e-300) continue;
      const theta = (A[q * n + q]! - A[p * n + p]!) / (2 * apq);
      const tan = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
      const c = 1 / Math.sqrt(tan * tan + 1), sn = tan * c;
      for (let k = 0; k < n; k++) { // A ← A R (columns p, q)
        const akp = A[k * n + p]!, akq = A[k * n + q]!;
        A[k * n + p] = c * akp - sn * akq;
        A[k * n + q] = sn * akp + c * akq;
      }
      for (let k = 0; k < n; k++) { // A ← Rᵀ A (rows p, q)
        const apk = A[p * n + k]!, aqk = A[q * n + k]!;
        A[p * n + k] = c * apk - sn * aqk;
        A[q * n + k] = sn * apk + c * aqk;
      }
      for (let k = 0; k < n; k++) {
        const vkp = V[k * n + p]!, vkq = V[k * n + q]!;
        V[k * n + p] = c * vkp - sn * vkq;
        V[k * n + q] = sn * vkp + c * vkq;
      }
    }
  }
  return { values: Float64Array.from({ length: n }, (_, i) => A[i * n + i]!), vectors: V };
}

describe("explainedDistance", () => {
  it("is 1 with all the axes of an exactly Euclidean set, and rises with k", () => {
    const D = signedPoints(30, [1, 1, 1], 1);
    const emb = inpca(D, { dims: 3 });
    const q = explainedDistance(emb, D, 3);
    expect(q[2]).toBeCloseTo(1, 10);
    expect(q[0]!).toBeLessThan(q[1]!);
    expect(q[1]!).toBeLessThan(q[2]!);
  });

  it("uses the signed (Minkowski) distance: exact for a time-like set only with the sign", () => {
    // one strong space-like axis and a weak time-like one: the distances still sum positive
    const D = signedPoints(25, [1, -1], 2);
    const emb = inpca(D, { dims: 2 });
    expect(emb.timelike).toEqual([false, true]);
    const q = explainedDistance(emb, D, 2);
    expect(q[1]).toBeCloseTo(1, 10);
    // by hand for k = 1
    let err = 0, tot = 0;
    for (let i = 0; i < 25; i++) for (let j = i + 1; j < 25; j++) {
      err += Math.abs((emb.coord(i, 0) - emb.coord(j, 0)) ** 2 - D.get(i, j));
      tot += D.get(i, j);
    }
    expect(q[0]).toBeCloseTo(1 - err / tot, 12);
    expect(() => explainedDistance(emb, D, 3)).toThrow(/explainedDistance: kmax \(axes of the embedding\) is 3; expected an integer in \[1, 2\]/);
  });
});

describe("kernel anchors", () => {
  it("a symmetric pair around λ1 gives their sqrt mean; far points weigh nothing", () => {
    const set = randomSet(3, 20, 4, 3);
    const a = kernelAnchor(set, [0.28, 0.32, 0.95], 0.3, 0.05, "init");
    const ref = average(set.select([0, 1]), "sqrt", { by: () => "x" });
    for (let q = 0; q < ref.probs.length; q++) expect(a.probs[q]).toBeCloseTo(ref.probs[q]!, 6);
    expect(a.meta[0]).toMatchObject({ run: "init", kind: "anchor", lambda: 0.3 });
    expect(() => kernelAnchor(set, [0.1, 0.12, 0.95], 0.5)).toThrow(/no checkpoint within 3 kernel widths.*closest is 0.3800 away/);
  });
});

describe("tangent embedding", () => {
  it("anchors at rows 0..3, the cosine equals the Minkowski inner product of the anchors' coordinates", async () => {
    const set = randomSet(60, 40, 5, 4);
    const t = await tangentEmbedding(set, { anchorsAt: [0.2, 0.5], showProgress: false, threads: 0 });
    expect(t.embedding.points).toBe(64);
    expect(t.embedding.dims).toBe(3);
    expect(t.anchors.meta.map((m) => m.run)).toEqual(["ignorance", "init", "end", "truth"]);
    expect(t.quality.length).toBe(3);
    expect(t.inpcaQuality.length).toBe(4);
    const e = t.embedding;
    let dot = 0, nu = 0, nv = 0;
    for (let k = 0; k < 3; k++) {
      const s = e.eigenvalues[k]! < 0 ? -1 : 1;
      const u = e.coord(1, k) - e.coord(0, k);
      const v = e.coord(3, k) - e.coord(2, k);
      dot += s * u * v;
      nu += s * u * u;
      nv += s * v * v;
    }
    expect(t.cosineMinkowski).toBeCloseTo(dot / Math.sqrt(nu * nv), 10);
    expect(Math.abs(t.cosine)).toBeLessThanOrEqual(1);
    expect(Math.abs(t.cosineSqrt)).toBeLessThanOrEqual(1);
    // the anchors' own 3 coordinates reproduce their 4×4 distances exactly
    const d4 = e.signedDistances(3);
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) expect(d4.get(i, j)).toBeCloseTo(t.anchorDistances.get(i, j), 10);
    // placing an anchor as if it were a checkpoint returns its coordinates (docs/methods.md §5)
    const again = e.addPoints(bhattacharyyaSync(t.anchors.select([1]), t.anchors));
    for (let k = 0; k < 3; k++) expect(again.coord(64, k)).toBeCloseTo(e.coord(1, k), 8);
    console.log(`tangent (random set M=60): q = ${Array.from(t.quality, (v) => v.toFixed(3)).join(", ")}; InPCA q = ${Array.from(t.inpcaQuality, (v) => v.toFixed(3)).join(", ")}; cosine ${t.cosine.toFixed(4)} (Minkowski ${t.cosineMinkowski.toFixed(4)}, sqrt space ${t.cosineSqrt.toFixed(4)})`);
  });

  it("agrees with checks computed here: anchor distances and q(k) by naive loops, the cosines by polarization", async () => {
    // independent of the library's distances, explainedDistance and cosine code: Bhattacharyya distances by the
    // naive per-sample loop (test/helpers/data.ts), q(k) from its definition, and the cosines through the
    // polarization identity u·v = ½(d12 + d03 − d13 − d02) (Minkowski, exact for the 4-point embedding) and, in
    // square-root space, Σ_n [BC_n(1,3) − BC_n(1,2) − BC_n(0,3) + BC_n(0,2)] with |u|² = Σ_n (2 − 2 BC_n(0,1))
    const set = randomSet(60, 40, 5, 4);
    const t = await tangentEmbedding(set, { anchorsAt: [0.2, 0.5], showProgress: false, threads: 0 });
    const A = t.anchors;
    const d = (i: number, j: number) => naiveBhattacharyya(A, i, A, j);
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) expect(t.anchorDistances.get(i, j)).toBeCloseTo(d(i, j), 10);
    // the 4-point embedding reproduces the naive distances (4 points fit exactly on 3 signed axes)
    const e = t.embedding;
    const signs = [0, 1, 2].map((k) => (e.eigenvalues[k]! < 0 ? -1 : 1));
    const dhat = (i: number, j: number, k = 3) => signs.slice(0, k).reduce((s, sg, a) => s + sg * (e.coord(i, a) - e.coord(j, a)) ** 2, 0);
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) expect(dhat(i, j)).toBeCloseTo(d(i, j), 9);
    const minkowski = (0.5 * (d(1, 2) + d(0, 3) - d(1, 3) - d(0, 2))) / Math.sqrt(d(0, 1) * d(2, 3));
    expect(t.cosineMinkowski).toBeCloseTo(minkowski, 9);
    // the plain cosine of the embedded directions, from a Jacobi eigendecomposition (here) of −½ J d J, 4×4:
    // x_ik = v_ik √|λ_k| on the three largest |λ|; a sign flip of an axis flips u_k and v_k together
    const { values, vectors } = jacobiEigen(naiveCentred(d, 4), 4);
    const order = [0, 1, 2, 3].sort((a, b) => Math.abs(values[b]!) - Math.abs(values[a]!)).slice(0, 3);
    let dot = 0, nu = 0, nv = 0;
    for (const k of order) {
      const x = (i: number) => vectors[i * 4 + k]! * Math.sqrt(Math.abs(values[k]!));
      dot += (x(1) - x(0)) * (x(3) - x(2));
      nu += (x(1) - x(0)) ** 2;
      nv += (x(3) - x(2)) ** 2;
    }
    expect(t.cosine).toBeCloseTo(dot / Math.sqrt(nu * nv), 9);
    expect(order.map((k) => Math.sign(values[k]!))).toEqual(signs);
    // square-root space through per-sample Bhattacharyya coefficients
    const { samples: S, classes: C } = A;
    const bc = (i: number, j: number, n: number) => {
      let b = 0;
      for (let c = 0; c < C; c++) b += Math.sqrt(A.probs[(i * S + n) * C + c]! * A.probs[(j * S + n) * C + c]!);
      return b;
    };
    let uv = 0, uu = 0, vv = 0;
    for (let n = 0; n < S; n++) {
      uv += bc(1, 3, n) - bc(1, 2, n) - bc(0, 3, n) + bc(0, 2, n);
      uu += 2 - 2 * bc(0, 1, n);
      vv += 2 - 2 * bc(2, 3, n);
    }
    expect(t.cosineSqrt).toBeCloseTo(uv / Math.sqrt(uu * vv), 6); // float32 anchors: |p|₁ = 1 to ~1e-7
    // q(k) = 1 − Σ_{i<j} |d̂²_k − D_ij| / Σ_{i<j} D_ij over the checkpoints (embedding rows 4..63), D naive
    const M = set.models;
    for (let k = 1; k <= 3; k++) {
      let err = 0, tot = 0;
      for (let i = 0; i < M; i++) for (let j = i + 1; j < M; j++) {
        const D = naiveBhattacharyya(set, i, set, j);
        err += Math.abs(dhat(4 + i, 4 + j, k) - D);
        tot += D;
      }
      expect(t.quality[k - 1], `q(${k})`).toBeCloseTo(1 - err / tot, 9);
    }
  });

  it("a path bent through one corner is explained almost fully by the three tangent axes", async () => {
    const base = randomSet(1, 200, 10, 3);
    const wrong = randomSet(1, 200, 10, 4);
    // P0 → (halfway to a partly wrong prediction, then 40% of the way to truth) → P*, along great circles
    const corner = geodesicBetween(geodesicBetween(ignorance(base), wrong, { lambdas: [0.5] }), truth(base), { lambdas: [0.4] });
    const set = PredictionSet.concat([geodesicBetween(ignorance(base), corner, { points: 40 }), geodesicBetween(corner, truth(base), { points: 60 }).slice(1, 58)]);
    const t = await tangentEmbedding(set, { showProgress: false, threads: 0 });
    expect(t.quality[0]!).toBeLessThan(t.quality[1]!);
    expect(t.quality[1]!).toBeLessThan(t.quality[2]!);
    expect(t.quality[2]!).toBeGreaterThan(0.99);
    expect(t.cosine).toBeGreaterThan(0.2);
    expect(t.cosine).toBeLessThan(0.7); // the path turns
    console.log(`bent path: tangent q = ${Array.from(t.quality, (v) => v.toFixed(4)).join(", ")}; InPCA q = ${Array.from(t.inpcaQuality, (v) => v.toFixed(4)).join(", ")}; cosine ${t.cosine.toFixed(3)} (sqrt space ${t.cosineSqrt.toFixed(3)}, Minkowski ${t.cosineMinkowski.toFixed(3)})`);
  });

  it("agrees with an independent NumPy implementation (scripts/reference.py tangent)", skipWhen(numpyMissing, { timeout: 60_000 }), async () => {
    const dir = mkdtempSync(join(tmpdir(), "inpca-tangent-"));
    try {
      const set = randomSet(80, 50, 5, 5);
      const lambda = geodesicProgress(set);
      const files = { p: join(dir, "p.npy"), l: join(dir, "l.npy"), y: join(dir, "y.npy"), out: join(dir, "o.json") };
      writeFileSync(files.p, writeNpy(set.probs, set.shape));
      writeFileSync(files.l, writeNpy(lambda, [80]));
      writeFileSync(files.y, writeNpy(set.labels!, [50]));
      reference(["tangent", files.p, files.l, files.y, files.out, "--l1", "0.25", "--l2", "0.55", "--kmax", "4"]);
      const ref = JSON.parse(readFileSync(files.out, "utf8")) as { anchor_distances: number[]; anchor_eigenvalues: number[]; quality: number[]; inpca_quality: number[]; cosine: number; cosine_minkowski: number; cosine_sqrt: number };
      const t = await tangentEmbedding(set, { anchorsAt: [0.25, 0.55], lambda, showProgress: false, threads: 0 });
      let worst = 0;
      const cmp = (a: number, b: number, digits: number) => {
        expect(a).toBeCloseTo(b, digits);
        worst = Math.max(worst, Math.abs(a - b));
      };
      // anchors are stored as float32 in a PredictionSet: ~1e-8 relative in the distances
      ref.anchor_distances.forEach((v, q) => cmp(t.anchorDistances.data[q]!, v, 6));
      ref.anchor_eigenvalues.forEach((v, k) => cmp(t.embedding.eigenvalues[k]!, v, 6));
      ref.quality.forEach((v, k) => cmp(t.quality[k]!, v, 6));
      ref.inpca_quality.forEach((v, k) => cmp(t.inpcaQuality[k]!, v, 9));
      cmp(t.cosine, ref.cosine, 6);
      cmp(t.cosineMinkowski, ref.cosine_minkowski, 6);
      cmp(t.cosineSqrt, ref.cosine_sqrt, 6);
      console.log(`tangent vs NumPy: worst |Δ| ${worst.toExponential(2)}; q = ${ref.quality.map((v) => v.toFixed(4)).join(", ")}, InPCA q = ${ref.inpca_quality.map((v) => v.toFixed(4)).join(", ")}, cosine ${ref.cosine.toFixed(4)}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
