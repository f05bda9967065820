import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadNpz } from "../../src/io/formats/npz.js";

const dir = join(__dirname, "..", "fixtures", "npz");
const expected = Array.from({ length: 24 }, (_, i) => i / 7);

describe("readNpz on archives written by NumPy", () => {
  it("np.savez (stored members)", () => {
    const z = loadNpz(join(dir, "stored.npz"));
    expect(Object.keys(z).sort()).toEqual(["labels", "probs"]);
    expect(z.probs!.shape).toEqual([2, 3, 4]);
    z.probs!.data.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 6));
    expect(Array.from(z.labels!.data)).toEqual([0, 1, 2, 0, 1]);
  });

  it("np.savez_compressed (deflated members, float16)", () => {
    const z = loadNpz(join(dir, "deflated.npz"));
    expect(z.probs!.dtype).toBe("<f2");
    z.probs!.data.forEach((v, i) => expect(Math.abs(v - expected[i]!)).toBeLessThanOrEqual(2 ** -11 * Math.max(expected[i]!, 2 ** -14)));
    expect(Array.from(z.labels!.data)).toEqual([0, 1, 2, 0, 1]);
  });

  it("a truncated archive names the file and the problem", () => {
    expect(() => loadNpz(join(dir, "truncated.npz"))).toThrow(/truncated\.npz: not an \.npz \(zip\) archive, or truncated/);
    expect(() => loadNpz(join(__dirname, "..", "fixtures", "npy", "f4.npy"))).toThrow(/f4\.npy: not an \.npz/);
  });
});
