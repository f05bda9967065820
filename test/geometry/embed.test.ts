/**
 * Which method for which size (geometry/embed.ts): "auto" is exact up to EXACT_LIMIT model-points and landmark
 * above, on both sides of the boundary; each route of `embed` returns, bit for bit, what the function it names
 * returns; bad options are refused with the options module's message.
 */
import { describe, expect, it } from "vitest";
import { InpcaInputError } from "../../src/core/errors.js";
import { bhattacharyya } from "../../src/geometry/distances.js";
import { chooseMethod, embed, EXACT_LIMIT } from "../../src/geometry/embed.js";
import { inpca } from "../../src/geometry/inpca.js";
import { landmarkInpca } from "../../src/geometry/landmark/index.js";
import { randomSet, trajectorySet } from "../helpers/data.js";

describe("chooseMethod", () => {
  it("auto: exact up to EXACT_LIMIT (3,000) model-points, landmark from one more", () => {
    expect(EXACT_LIMIT).toBe(3000);
    expect(chooseMethod(EXACT_LIMIT - 1)).toBe("exact");
    expect(chooseMethod(EXACT_LIMIT)).toBe("exact");
    expect(chooseMethod(EXACT_LIMIT + 1)).toBe("landmark");
    expect(chooseMethod(0)).toBe("exact");
    expect(chooseMethod(EXACT_LIMIT + 1, "auto")).toBe("landmark");
  });

  it("a method given is kept at any size", () => {
    expect(chooseMethod(10, "landmark")).toBe("landmark");
    expect(chooseMethod(1e6, "exact")).toBe("exact");
  });

  it("refuses a count that is not a non-negative integer, and an unknown method", () => {
    expect(() => chooseMethod(2.5)).toThrow(InpcaInputError);
    expect(() => chooseMethod(-1)).toThrow(/chooseMethod: models is -1; expected an integer ≥ 0/);
    expect(() => chooseMethod(10, "fast" as never)).toThrow(/chooseMethod: method is "fast"; expected one of "auto", "exact", "landmark"/);
  });
});

describe("embed", () => {
  it("exact: the same bits as inpca(bhattacharyya(set))", async () => {
    const set = trajectorySet(6, 10, 40, 10, 3);
    const a = await embed(set, { dims: 4 });
    const b = inpca(await bhattacharyya(set), { dims: 4 });
    expect(a.landmark).toBeUndefined();
    expect(Array.from(a.coords)).toEqual(Array.from(b.coords));
    expect(Array.from(a.eigenvalues)).toEqual(Array.from(b.eigenvalues));
    expect(Array.from(a.explainedStress)).toEqual(Array.from(b.explainedStress));
  });

  it("landmark: the same bits as landmarkInpca(set, { landmarks, dims })", async () => {
    const set = trajectorySet(6, 20, 40, 10, 4);
    const a = await embed(set, { method: "landmark", landmarks: 30, dims: 3 });
    const b = await landmarkInpca(set, { landmarks: 30, dims: 3 });
    expect(a.landmark?.landmarks.length).toBe(30);
    expect(Array.from(a.coords)).toEqual(Array.from(b.coords));
    expect(Array.from(a.eigenvalues)).toEqual(Array.from(b.eigenvalues));
  });

  it("auto at the boundary: EXACT_LIMIT points exactly, one more by landmarks", async () => {
    const at = randomSet(EXACT_LIMIT, 2, 2, 5);
    expect((await embed(at, { dims: 3, showProgress: false })).landmark).toBeUndefined();
    const above = randomSet(EXACT_LIMIT + 1, 2, 2, 5);
    const emb = await embed(above, { dims: 3, landmarks: 20, showProgress: false });
    expect(emb.landmark?.landmarks.length).toBe(20);
    expect(emb.points).toBe(EXACT_LIMIT + 1);
  }, 120_000);

  it("refuses bad options, naming them", async () => {
    const set = randomSet(10, 5, 3);
    await expect(embed(set, { method: "fast" as never })).rejects.toThrow(/embed: method is "fast"; expected one of "auto", "exact", "landmark"/);
    await expect(embed(set, { dims: 0 })).rejects.toThrow(/embed: dims is 0; expected an integer ≥ 1/);
    await expect(embed(set, { landmarks: 2.5 })).rejects.toThrow(/embed: landmarks is 2.5; expected an integer ≥ 1/);
  });
});
