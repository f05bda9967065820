/**
 * loadCheckpoints' options are checked before anything is read: a wrong type is an InpcaInputError naming the
 * option and the shape it expects, never a TypeError from inside a loader and never an option silently ignored.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { InpcaInputError } from "../../src/core/errors.js";
import { checkpointSource } from "../../src/io/checkpoints/source.js";
import { discoverCheckpoints, loadCheckpoints } from "../../src/io/checkpoints/load.js";

const run = join(__dirname, "..", "fixtures", "checkpoints", "run-npy");

describe("checked options", () => {
  const cases: [string, unknown, RegExp][] = [
    ["kind", "softmax", /^options\.kind must be "probabilities", "logProbabilities" or "logits"; got "softmax"$/],
    ["array", 3, /^options\.array must be the name of the \[samples, classes\] prediction array in each file \(a string\); got number 3$/],
    ["labels", 5, /^options\.labels must be one class index per sample \(an array of S integers\), a file holding them, or null; got number 5$/],
    ["inputs", "x.npy", /^options\.inputs must be the samples to run model checkpoints on: \{ data: Float32Array, shape: \[samples, \.\.\.\] \}/],
    ["tolerance", "0.01", /^options\.tolerance must be a positive number; got "0\.01"$/],
    ["run", 7, /^options\.run must be a run id \(a string\) or a function of each discovered run; got number 7$/],
    ["classNames", "abcd", /^options\.classNames must be one name \(a string\) per class; got "abcd"$/],
    ["renormalize", "yes", /^options\.renormalize must be true or false; got "yes"$/],
  ];
  for (const [key, value, why] of cases) {
    it(`options.${key} = ${JSON.stringify(value)}`, async () => {
      const options = { [key]: value, log: false } as never;
      for (const p of [loadCheckpoints(run, options), checkpointSource(run, options)]) {
        const e = await p.then(() => null, (x: unknown) => x);
        expect(e).toBeInstanceOf(InpcaInputError);
        expect((e as Error).message).toMatch(why);
      }
    });
  }

  it("the path and the options object themselves", async () => {
    await expect(loadCheckpoints(42 as never)).rejects.toThrow(/^loadCheckpoints: the first argument must be a folder, a glob or a list of paths \(strings\); got number 42$/);
    await expect(loadCheckpoints(run, null as never)).rejects.toThrow(/^loadCheckpoints: options must be an object; got null$/);
    expect(() => discoverCheckpoints(run, { array: ["probs"] } as never)).toThrow(InpcaInputError);
  });

  it("valid options of every type still load", async () => {
    const set = await loadCheckpoints(run, { kind: "probabilities", split: "train", tolerance: 1e-3, run: "r", config: { lr: 0.1 }, renormalize: false, requireLabels: true, log: false });
    expect(set.models).toBe(3);
  });
});
