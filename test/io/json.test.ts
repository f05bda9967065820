import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { InpcaInputError } from "../../src/core/index.js";
import { loadPredictionsJson, nestedToArray, predictionsFromJson } from "../../src/io/formats/json.js";
import { loadNpy } from "../../src/io/formats/npy.js";

const dir = join(__dirname, "..", "fixtures", "json");
const f = (name: string) => join(dir, name);

describe("JSON predictions written by Python's json module (scripts/fixtures.py)", () => {
  it("a plain nested [models][samples][classes] array, values as NumPy computed them", () => {
    const set = loadPredictionsJson(f("nested.json"));
    expect(set.shape).toEqual([2, 3, 4]);
    const ref = loadNpy(f("nested-expected.npy"));
    set.probs.forEach((v, i) => expect(v).toBe(Math.fround(ref.data[i]!)));
    expect(set.labels).toBeNull();
    expect(set.meta.map((m) => m.step)).toEqual([0, 1]);
  });

  it("an object with labels, class names, split and metadata", () => {
    const set = loadPredictionsJson(f("object.json"));
    expect(set.shape).toEqual([2, 3, 4]);
    expect(Array.from(set.labels!)).toEqual([0, 3, 1]);
    expect(set.classNames).toEqual(["a", "b", "c", "d"]);
    expect(set.split).toBe("test");
    expect(set.meta).toEqual([{ run: "toy", step: 0, epoch: 0 }, { run: "toy", step: 10, epoch: 1 }]);
    // options win over the object's fields
    expect(loadPredictionsJson(f("object.json"), { split: "train", labels: [1, 1, 1] }).split).toBe("train");
  });

  it("logits under a \"logits\" key, [samples][classes] for one model, detected and softmaxed in float64", () => {
    const set = loadPredictionsJson(f("logits.json"));
    expect(set.shape).toEqual([1, 3, 4]);
    const ref = loadNpy(f("logits-expected.npy"));
    set.probs.forEach((v, i) => expect(v).toBe(Math.fround(ref.data[i]!)));
  });

  it("names the file, the position and the problem for malformed input", () => {
    const cases: [string, RegExp][] = [
      ["ragged.json", /ragged\.json: ragged array: element \[1\]\[2\] has 3 entries where \[0\]\[0\] has 4/],
      ["not-number.json", /not-number\.json: element \[0\]\[1\]\[2\] is "0\.25", not a number/],
      ["bad-syntax.json", /bad-syntax\.json: invalid JSON/],
      ["four-d.json", /four-d\.json: has 4 dimensions \[1, 2, 3, 4\]; expected \[models\]\[samples\]\[classes\] or \[samples\]\[classes\]/],
      ["bad-sum.json", /bad-sum\.json: corrupted probabilities: 5 of 6 rows are probability rows, but row 3 \(sample 3\) sums to 1\.50000; .*renormalize: true/],
      ["missing.json", /missing\.json: cannot read/],
    ];
    for (const [name, message] of cases) {
      expect(() => loadPredictionsJson(f(name)), name).toThrow(message);
      expect(() => loadPredictionsJson(f(name)), name).toThrow(InpcaInputError);
    }
    expect(() => predictionsFromJson({ weights: [[1]] }, {}, "x.json")).toThrow(/x\.json: no prediction array: expected one of the keys "probs", .* \(keys present: weights\)/);
    expect(() => predictionsFromJson({ probs: [[0.5, 0.5]], labels: [0.5] }, {}, "y.json")).toThrow(/y\.json: "labels"\[0\] is 0\.5, not an integer/);
    expect(() => predictionsFromJson({ probs: [[0.5, 0.5]], kind: "softmax" }, {}, "z.json")).toThrow(/z\.json: "kind" is "softmax"/);
    expect(() => predictionsFromJson({ probs: [[0.5, 0.5]], labels: [2] }, {}, "w.json")).toThrow(/w\.json: label of sample 0 is 2, outside \[0, 2\)/);
    // with the kind given, the same file fails the probability check, naming model-point and sample
    expect(() => loadPredictionsJson(f("bad-sum.json"), { kind: "probabilities" })).toThrow(/bad-sum\.json: model-point 1, sample 0: probabilities sum to 1\.50000/);
    expect(() => nestedToArray([[1, 2], 3], "v.json")).toThrow(/v\.json: ragged array: element \[1\] is 3 where \[0\] is an array of 2/);
    expect(() => nestedToArray([[1, null]], "v.json")).toThrow(/element \[0\]\[1\] is null, not a number/);
  });

  it("explicit kind overrides detection; renormalize is passed through", () => {
    const set = predictionsFromJson({ probs: [[0.2, 0.2]] }, { renormalize: true });
    expect(Array.from(set.probs)).toEqual([0.5, 0.5]);
    const lg = predictionsFromJson([[0.2, 0.2]], { kind: "logits" });
    expect(Array.from(lg.probs)).toEqual([0.5, 0.5]);
  });
});
