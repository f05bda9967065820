import { describe, expect, it } from "vitest";
import { DistanceMatrix, InpcaInputError, PredictionSet, assertSameSamples, detectKind, field } from "../../src/core/index.js";

const meta2 = [
  { run: "a", step: 0 },
  { run: "a", step: 10 },
];

describe("PredictionSet construction", () => {
  it("softmax of logits is computed in float64 and matches the closed form", () => {
    const logits = [1000, 1001, 999, -3, 0, 3];
    const s = PredictionSet.fromLogits(logits, [1, 2, 3]);
    const e = [Math.exp(-1), 1, Math.exp(-2)];
    const z = e[0]! + e[1]! + e[2]!;
    for (let c = 0; c < 3; c++) expect(s.probs[c]).toBeCloseTo(e[c]! / z, 7);
    const e2 = [Math.exp(-6), Math.exp(-3), 1];
    const z2 = e2[0]! + e2[1]! + e2[2]!;
    for (let c = 0; c < 3; c++) expect(s.probs[3 + c]).toBeCloseTo(e2[c]! / z2, 7);
  });

  it("log-probabilities are exponentiated; wrong sums are rejected naming model-point and sample", () => {
    const p = [0.2, 0.3, 0.5];
    const s = PredictionSet.fromLogProbabilities(p.map(Math.log), [1, 1, 3]);
    expect(Array.from(s.probs)).toEqual(p.map((v) => Math.fround(v)));
    expect(() => PredictionSet.fromLogProbabilities([0, 0, 0, 0, 0, 0], [2, 1, 3], { meta: meta2 })).toThrow(/model-point 0 \(run "a", step 0\), sample 0: exp\(log-probabilities\) sums to 3/);
  });

  it("rejects a wrong length for the shape", () => {
    expect(() => PredictionSet.fromProbabilities([0.5, 0.5, 1], [1, 2, 2])).toThrow(/3 values do not fit the shape \[1 models × 2 samples × 2 classes\]/);
    expect(() => new PredictionSet({ probs: new Float32Array(5), models: 1, samples: 2, classes: 2 })).toThrow(InpcaInputError);
  });

  it("rejects NaN, Inf and negative probabilities, naming model-point, sample and class", () => {
    const good = [0.5, 0.5, 0.25, 0.75];
    const withNaN = [...good, 0.5, NaN, 0.5, 0.5];
    expect(() => PredictionSet.fromProbabilities(withNaN, [2, 2, 2], { meta: meta2 })).toThrow(/model-point 1 \(run "a", step 10\), sample 0, class 1: NaN/);
    expect(() => PredictionSet.fromProbabilities([0.5, Infinity, 0.5, 0.5], [1, 2, 2])).toThrow(/model-point 0, sample 0, class 1: Infinity/);
    expect(() => PredictionSet.fromProbabilities([0.5, 0.5, 1.25, -0.25], [1, 2, 2])).toThrow(/model-point 0, sample 1, class 1: negative probability -0.25/);
    expect(() => PredictionSet.fromLogits([0, NaN], [1, 1, 2])).toThrow(/sample 0, class 1: NaN/);
  });

  it("rejects rows not summing to 1 beyond the tolerance, unless renormalisation is asked for", () => {
    const off = [0.5, 0.5, 0.6, 0.6];
    expect(() => PredictionSet.fromProbabilities(off, [1, 2, 2])).toThrow(/model-point 0, sample 1: probabilities sum to 1.20000, not 1/);
    const s = PredictionSet.fromProbabilities(off, [1, 2, 2], { renormalize: true });
    expect(Array.from(s.probs)).toEqual([0.5, 0.5, 0.5, 0.5]);
    // within the default tolerance (float16 rounding) rows are accepted as they are
    const near = PredictionSet.fromProbabilities([0.5004, 0.5, 1, 0], [1, 2, 2]);
    expect(near.probs[0]).toBeCloseTo(0.5004, 6);
    expect(() => PredictionSet.fromProbabilities([0, 0, 1, 0], [1, 2, 2], { renormalize: true })).toThrow(/sample 0: probabilities sum to 0/);
  });

  it("rejects labels out of range and mismatched metadata", () => {
    expect(() => PredictionSet.fromProbabilities([1, 0, 0, 1], [1, 2, 2], { labels: [0, 2] })).toThrow(/label of sample 1 is 2, outside \[0, 2\)/);
    expect(() => PredictionSet.fromProbabilities([1, 0, 0, 1], [1, 2, 2], { labels: [0] })).toThrow(/1 labels for 2 samples/);
    expect(() => PredictionSet.fromProbabilities([1, 0, 0, 1], [1, 2, 2], { meta: meta2 })).toThrow(/2 metadata rows for 1 model-points/);
  });

  it("names the source file in errors", () => {
    expect(() => PredictionSet.fromProbabilities([1, 0, NaN, 1], [1, 2, 2], { source: "runs/x.npy" })).toThrow(/^runs\/x.npy: model-point 0, sample 1, class 0: NaN/);
  });
});

describe("PredictionSet selection and grouping", () => {
  const M = 4;
  const S = 3;
  const C = 2;
  const data = Array.from({ length: M * S * C }, (_, i) => (i % 2 === 0 ? (i % 7) / 10 : 1 - ((i - 1) % 7) / 10));
  const meta = [
    { run: "b", step: 20, config: { arch: "mlp" } },
    { run: "a", step: 5, config: { arch: "cnn" } },
    { run: "b", step: 0, config: { arch: "mlp" } },
    { run: "a", step: 0, config: { arch: "cnn" } },
  ];
  const set = PredictionSet.fromProbabilities(data, [M, S, C], { meta, labels: [0, 1, 1], split: "train" });

  it("select copies the chosen rows in order", () => {
    const s = set.select([2, 0]);
    expect(s.models).toBe(2);
    expect(Array.from(s.model(0))).toEqual(Array.from(set.model(2)));
    expect(Array.from(s.model(1))).toEqual(Array.from(set.model(0)));
    expect(s.meta.map((m) => m.step)).toEqual([0, 20]);
    expect(() => set.select([4])).toThrow(RangeError);
  });

  it("where filters by metadata; field reads config fields", () => {
    const cnn = set.where((m) => field(m, "arch") === "cnn");
    expect(cnn.meta.map((m) => m.run)).toEqual(["a", "a"]);
    expect(field(meta[0]!, "step")).toBe(20);
    expect(field(meta[0]!, "config.arch")).toBe("mlp");
    expect(field(meta[0]!, "missing")).toBeUndefined();
  });

  it("slice follows Array.prototype.slice", () => {
    expect(set.slice(1, 3).meta.map((m) => m.step)).toEqual([5, 0]);
    expect(set.slice(-1).meta.map((m) => m.step)).toEqual([0]);
  });

  it("trajectories group by run and order by step", () => {
    const t = set.trajectories();
    expect(t.map((x) => x.run)).toEqual(["b", "a"]);
    expect(Array.from(t[0]!.steps)).toEqual([0, 20]);
    expect(Array.from(t[1]!.steps)).toEqual([0, 5]);
    expect(Array.from(t[0]!.points.model(1))).toEqual(Array.from(set.model(0)));
    expect(t[1]!.config).toEqual({ arch: "cnn" });
  });

  it("concat joins sets on the same samples and rejects others", () => {
    const c = set.slice(0, 1).concat(set.slice(3));
    expect(c.models).toBe(2);
    expect(Array.from(c.model(1))).toEqual(Array.from(set.model(3)));
    const otherLabels = PredictionSet.fromProbabilities(data.slice(0, S * C), [1, S, C], { labels: [1, 1, 1] });
    expect(() => set.concat(otherLabels)).toThrow(/not on the same samples: sample 0 has label 0 in one and 1 in the other/);
    const test = PredictionSet.fromProbabilities(data.slice(0, S * C), [1, S, C], { split: "test" });
    expect(() => assertSameSamples(set, test)).toThrow(/split "train" vs "test"/);
    const fewer = PredictionSet.fromProbabilities(data.slice(0, 2 * C), [1, 2, C]);
    expect(() => assertSameSamples(set, fewer)).toThrow(/3 samples vs 2/);
  });

  it("selectSamples keeps labels and records sample ids", () => {
    const s = set.selectSamples([2, 0]);
    expect(Array.from(s.labels!)).toEqual([1, 0]);
    expect(Array.from(s.sampleIds!)).toEqual([2, 0]);
    expect(s.probs[0]).toBe(set.probs[2 * C]);
  });

  it("errors and soft accuracy match a direct count", () => {
    const err = set.errors();
    const soft = set.softAccuracy();
    for (let m = 0; m < M; m++) {
      let wrong = 0;
      let p = 0;
      for (let n = 0; n < S; n++) {
        const row = Array.from(set.model(m).subarray(n * C, n * C + C));
        const arg = row.indexOf(Math.max(...row));
        if (arg !== set.labels![n]) wrong++;
        p += row[set.labels![n]!]!;
      }
      expect(err[m]).toBeCloseTo(wrong / S, 12);
      expect(soft[m]).toBeCloseTo(p / S, 7);
    }
  });
});

describe("detectKind", () => {
  it("tells probabilities, log-probabilities and logits apart", () => {
    expect(detectKind([0.2, 0.8, 0.5, 0.5], 2)).toBe("probabilities");
    expect(detectKind([Math.log(0.2), Math.log(0.8)], 2)).toBe("logProbabilities");
    expect(detectKind([2.0, -1.0, 0.3, 0.1], 2)).toBe("logits");
    expect(detectKind([3.0, 1.0], 2)).toBe("logits");
  });
});

describe("DistanceMatrix", () => {
  it("fromSquare validates symmetry and the diagonal", () => {
    expect(() => DistanceMatrix.fromSquare([0, 1, 2, 0], 2)).toThrow(/not symmetric: \(1, 0\) = 2 but \(0, 1\) = 1/);
    expect(() => DistanceMatrix.fromSquare([1, 1, 1, 0], 2)).toThrow(/diagonal entry \(0, 0\) is 1/);
    const d = DistanceMatrix.fromSquare([0, 1, 2, 1, 0, 3, 2, 3, 0], 3);
    const sub = d.submatrix([2, 0]);
    expect(Array.from(sub.data)).toEqual([0, 2, 2, 0]);
    expect(sub.symmetric).toBe(true);
    const t = d.submatrix([0], [1, 2]).transpose();
    expect(Array.from(t.data)).toEqual([1, 2]);
    expect(t.rows).toBe(2);
  });
});

describe("PredictionSet.joinSamples", () => {
  // Dirichlet-like random rows from a fixed LCG, so the test needs no seed machinery
  let state = 12345;
  const rand = () => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648);
  const randomSet = (M: number, S: number, C: number, split: string) => {
    const data: number[] = [];
    for (let r = 0; r < M * S; r++) {
      const row = Array.from({ length: C }, () => -Math.log(rand() + 1e-12));
      const z = row.reduce((a, b) => a + b, 0);
      data.push(...row.map((v) => v / z));
    }
    const labels = Array.from({ length: S }, (_, n) => n % C);
    return PredictionSet.fromProbabilities(data, [M, S, C], { labels, split, meta: Array.from({ length: M }, (_, m) => ({ run: "r", step: m })) });
  };
  // naive intensive Bhattacharyya distance, independent of the library's kernels
  const dB = (p: PredictionSet, u: number, v: number) => {
    let s = 0;
    for (let n = 0; n < p.samples; n++) {
      let bc = 0;
      for (let c = 0; c < p.classes; c++) bc += Math.sqrt(p.probs[(u * p.samples + n) * p.classes + c]! * p.probs[(v * p.samples + n) * p.classes + c]!);
      s += -Math.log(bc);
    }
    return s / p.samples;
  };

  it("concatenates samples per model-point; the joint distance is the sample-weighted mean of the parts'", () => {
    const a = randomSet(3, 5, 4, "train"), b = randomSet(3, 2, 4, "test");
    const j = PredictionSet.joinSamples([a, b]);
    expect(j.shape).toEqual([3, 7, 4]);
    expect(j.split).toBe("train+test");
    expect(Array.from(j.labels!)).toEqual([0, 1, 2, 3, 0, 0, 1]);
    expect(Array.from(j.probs.subarray(7 * 4, 7 * 4 + 5 * 4))).toEqual(Array.from(a.probs.subarray(5 * 4, 10 * 4)));
    expect(Array.from(j.probs.subarray(7 * 4 + 5 * 4, 14 * 4))).toEqual(Array.from(b.probs.subarray(2 * 4, 4 * 4)));
    for (const [u, v] of [[0, 1], [0, 2], [1, 2]] as const) {
      expect(dB(j, u, v)).toBeCloseTo((5 * dB(a, u, v) + 2 * dB(b, u, v)) / 7, 12);
    }
  });

  it("refuses sets whose model-points differ, naming the model-point", () => {
    const a = randomSet(2, 3, 3, "train");
    const b = randomSet(2, 3, 3, "test");
    const c = b.derive(b.probs, 2, [{ run: "r", step: 0 }, { run: "other", step: 1 }]);
    expect(() => PredictionSet.joinSamples([a, c])).toThrow(/model-point 1 is run "other" step 1/);
    expect(() => PredictionSet.joinSamples([a, randomSet(2, 3, 4, "test")])).toThrow(/4 classes but set 0 has 3/);
    expect(() => PredictionSet.joinSamples([a, randomSet(1, 3, 3, "test")])).toThrow(/1 model-points/);
  });
});

describe("withMeta and self-distance checks", () => {
  it("withMeta replaces metadata rows, checked, sharing the probabilities", async () => {
    const { PredictionSet } = await import("../../src/core/prediction-set.js");
    const set = PredictionSet.fromProbabilities(new Float32Array(8).fill(0.5), [2, 2, 2]);
    const tagged = set.withMeta((m, i) => ({ ...m, lambda: i / 2 }));
    expect(tagged.meta.map((m) => m.lambda)).toEqual([0, 0.5]);
    expect(tagged.probs).toBe(set.probs);
    expect(() => set.withMeta([{ run: "a", step: 0 }])).toThrow(/withMeta: 1 metadata rows for 2 model-points/);
    expect(() => set.withMeta((m, i) => (i ? { ...m, run: 3 as unknown as string } : m))).toThrow(/withMeta: row 1 has run 3, not a string/);
    expect(() => set.withMeta((m) => ({ ...m, step: Number.NaN }))).toThrow(/withMeta: row 0 .* has step null, not a number/);
  });

  it("inpca refuses a matrix that is not a self-distance matrix: non-symmetric, non-zero diagonal, negative", async () => {
    const { DistanceMatrix } = await import("../../src/core/distance-matrix.js");
    const { inpca } = await import("../../src/geometry/inpca.js");
    const m = (d: number[], kind: "bhattacharyya" | "custom" = "bhattacharyya") => new DistanceMatrix({ data: Float64Array.from(d), rows: 3, cols: 3, kind });
    expect(() => inpca(m([0, 1, 2, 1, 0, 1, 2.5, 1, 0]))).toThrow(/inpca: the matrix is not symmetric: distance \(0, 2\) is 2 but \(2, 0\) is 2\.5/);
    expect(() => inpca(m([0.5, 1, 2, 1, 0, 1, 2, 1, 0]))).toThrow(/inpca: distance \(0, 0\) is 0\.5, not 0.*diagonal: "zero"/);
    expect(() => inpca(m([0, -1, 2, -1, 0, 1, 2, 1, 0]))).toThrow(/inpca: distance \(0, 1\) is -1, negative \(a bhattacharyya divergence is ≥ 0\)/);
    // signed (Minkowski) distances of a time-like embedding may be negative
    expect(inpca(m([0, -1, 2, -1, 0, 1, 2, 1, 0], "custom"), { dims: 2 }).coords.length).toBe(6);
    expect(inpca(m([0, 1, 2, 1, 0, 1, 2, 1, 0]), { dims: 2 }).coords.length).toBe(6);
  });
});

describe("rowsByRun: the one grouping rule", () => {
  it("runs in order of first appearance, rows by step, then epoch, then index", async () => {
    const { rowsByRun } = await import("../../src/core/meta.js");
    const meta = [
      { run: "b", step: 5 }, { run: "a", step: 2 }, { run: "b", step: 1 }, { run: "a", step: 2, epoch: 0.5 }, { run: "a", step: 2, epoch: 0.25 }, { run: "b", step: 1 },
    ];
    expect(rowsByRun(meta)).toEqual([{ run: "b", rows: [2, 5, 0] }, { run: "a", rows: [1, 4, 3] }]);
    expect(rowsByRun(meta, [0, 3, 2])).toEqual([{ run: "b", rows: [2, 0] }, { run: "a", rows: [3] }]);
  });
});
