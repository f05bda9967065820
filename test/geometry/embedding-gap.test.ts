import { describe, expect, it } from "vitest";
import { InpcaInputError } from "../../src/core/errors.js";
import { Embedding } from "../../src/core/embedding.js";
import { embeddingGap } from "../../src/geometry/embedding-gap.js";
import { normal } from "../../src/linalg/random.js";

function embedding(coords: Float64Array, M: number, eigenvalues: number[]): Embedding {
  const K = eigenvalues.length;
  return new Embedding({
    coords, points: M, dims: K, eigenvalues: Float64Array.from(eigenvalues), spectrum: Float64Array.from(eigenvalues),
    explainedStress: new Float64Array(K), frobenius2: 1, meta: Array.from({ length: M }, (_, i) => ({ run: "r", step: i })),
    basis: { size: M, eigenvectors: new Float64Array(M * K), columnMeans: new Float64Array(M), grandMean: 0 },
  });
}

/** The M² loop the closed form replaces. */
function bruteForce(a: Embedding, b: Embedding, k: number): number {
  const A = a.signedDistances(k).data, B = b.signedDistances(k).data;
  let e = 0, n = 0;
  for (let q = 0; q < A.length; q++) {
    e += (A[q]! - B[q]!) ** 2;
    n += B[q]! ** 2;
  }
  return Math.sqrt(e / n);
}

describe("embeddingGap", () => {
  it("equals the all-pairs loop of signed distances and the per-axis errors, time-like axes and offsets included", () => {
    const g = normal(4);
    const M = 180;
    const b = embedding(Float64Array.from({ length: M * 3 }, (_, q) => [3, 1.5, 0.7][q % 3]! * g()), M, [4, 2, -0.5]);
    // a: b perturbed, one axis's sign flipped, every coordinate shifted (distances do not see a shift)
    const noisy = Float64Array.from(b.coords, (x, q) => (q % 3 === 1 ? -x : x) + 0.05 * g() + 10 * (q % 3));
    for (const signs of [[4, 2, -0.5], [4, -2, -0.5]]) {
      const a = embedding(noisy, M, signs);
      const gap = embeddingGap(a, b);
      expect(gap.dims).toBe(3);
      for (const k of [1, 2, 3]) expect(embeddingGap(a, b, k).distances).toBeCloseTo(bruteForce(a, b, k), 10);
      // the shift is in the axes' errors (they compare coordinates), not in the distances'
      expect(gap.axes[2]).toBeGreaterThan(1);
      expect(gap.axes[0]).toBeLessThan(0.1);
    }
    const same = embeddingGap(b, b);
    expect(same.distances).toBeLessThan(1e-7);
    expect(same.axes).toEqual([0, 0, 0]);
    const c = embedding(Float64Array.from(b.coords, (x, q) => x + 0.05 * g() * (q % 3 === 0 ? 1 : 0)), M, [4, 2, -0.5]);
    expect(embeddingGap(c, b).axes[1]).toBe(0);
    expect(embeddingGap(c, b).axes[0]).toBeCloseTo(Math.sqrt(Array.from({ length: M }, (_, i) => (c.coord(i, 0) - b.coord(i, 0)) ** 2).reduce((s, x) => s + x) / Array.from({ length: M }, (_, i) => b.coord(i, 0) ** 2).reduce((s, x) => s + x)), 12);
    expect(() => embeddingGap(b, embedding(new Float64Array(30), 10, [1, 1, 1]))).toThrow(InpcaInputError);
    expect(() => embeddingGap(b, b, 4)).toThrow(/embeddingGap: dims is 4; expected an integer in \[1, 3\]/);
  });
});
