/**
 * The live map of training (src/plot/live-map.ts): checkpoints placed by the out-of-sample formula (an original
 * point comes back at its own coordinates), the recordPredictions hook, redraws throttled by `interval`, and
 * one output redrawn in place (outside a kernel: one HTML file rewritten).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { InpcaInputError } from "../../src/core/index.js";
import { bhattacharyyaSync, inpca } from "../../src/geometry/index.js";
import { liveMap } from "../../src/plot/live-map.js";
import { trajectorySet } from "../helpers/data.js";

const dir = mkdtempSync(join(tmpdir(), "inpca-live-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("liveMap", () => {
  const set = trajectorySet(6, 10, 30, 5, 4, 3);
  const emb = inpca(bhattacharyyaSync(set), { dims: 3 });
  const probsOf = (m: number) => set.probs.slice(m * set.samples * set.classes, (m + 1) * set.samples * set.classes);

  it("places a checkpoint where exact InPCA put it (an original point comes back at its own coordinates)", () => {
    const live = liveMap(emb, set, { display: false, label: "mine" });
    for (const m of [0, 17, 59]) {
      const x = live.add(probsOf(m), { step: m });
      for (let k = 0; k < 3; k++) expect(x[k]).toBeCloseTo(emb.coord(m, k), 9);
    }
    expect(live.points).toBe(3);
    const fig = live.figure();
    const runs = fig.data.filter((t) => t["name"] === "mine");
    expect(runs).toHaveLength(3); // one line per triplot panel
    (runs[0]!["x"] as number[]).forEach((v, i) => expect(v).toBeCloseTo(emb.coord([0, 17, 59][i]!, 0), 9));
    expect(runs[2]!["xaxis"]).toBe("x3");
    const now = fig.data.filter((t) => t["name"] === "mine: now");
    expect(now[1]!["y"]).toHaveLength(1);
    expect((now[1]!["y"] as number[])[0]).toBeCloseTo(emb.coord(59, 2), 9);
    expect(live.figure().data.length).toBe(fig.data.length); // the base figure is not mutated by redraws
  });

  it("takes recordPredictions' checkpoints (split, step, epoch, error) and draws 3-D too", async () => {
    const live = liveMap(emb, set, { display: false, view: "3d" });
    live.checkpoint({ step: 4, epoch: 0.5, trainError: 0.25 }, { train: probsOf(3) });
    await live.done();
    const fig = live.figure();
    const run = fig.data.find((t) => t["name"] === "live")!;
    expect(run["type"]).toBe("scatter3d");
    expect((run["z"] as number[])[0]).toBeCloseTo(emb.coord(3, 2), 9);
    expect((run["text"] as string[])[0]).toContain("error 0.250");
    expect(() => live.checkpoint({ step: 5, epoch: 1 }, {})).toThrow(/no predictions for split/);
  });

  it("places the recorder's checkpoints off the training thread: checkpoint() returns at once, done() waits for them, in order", async () => {
    const live = liveMap(emb, set, { display: false });
    const order = [5, 33, 12, 48, 0];
    for (const [t, m] of order.entries()) live.checkpoint({ step: t, epoch: t / 2 }, { train: probsOf(m) });
    expect(live.points).toBe(0); // nothing placed yet: the distances are on the worker
    await live.done();
    expect(live.points).toBe(order.length);
    order.forEach((m, t) => { for (let k = 0; k < 3; k++) expect(live.coords[t]![k]).toBeCloseTo(emb.coord(m, k), 9); });
    expect(live.placedOffThread).toBe(order.length); // every one's distances computed on the worker
    // after done() the worker is gone: later checkpoints are placed on the calling thread, at once
    live.checkpoint({ step: 9, epoch: 5 }, { train: probsOf(7) });
    expect(live.points).toBe(order.length + 1);
    expect(live.coords[order.length]![1]).toBeCloseTo(emb.coord(7, 1), 9);
    // thread: false places at once too
    const here = liveMap(emb, set, { display: false, thread: false });
    here.checkpoint({ step: 0, epoch: 0 }, { train: probsOf(21) });
    expect(here.points).toBe(1);
    expect(here.coords[0]![2]).toBeCloseTo(emb.coord(21, 2), 9);
    expect(here.placedOffThread).toBe(0);
    expect(live.placedOffThread).toBe(order.length); // the one after done() was placed here
  });

  it("falls back to the calling thread when the worker fails, placing every checkpoint still", async () => {
    const live = liveMap(emb, set, { display: false });
    const failing = { ready: Promise.resolve(), distances: () => Promise.reject(new Error("no room")), close: async () => {} };
    (live as unknown as { placement: { offThread: unknown } }).placement.offThread = failing; // the map's placement (geometry/live-placement.ts)
    live.checkpoint({ step: 0, epoch: 0 }, { train: probsOf(40) });
    live.checkpoint({ step: 1, epoch: 1 }, { train: probsOf(41) });
    await live.done();
    expect(live.points).toBe(2);
    expect(live.coords[1]![0]).toBeCloseTo(emb.coord(41, 0), 9);
    expect(live.placedOffThread).toBe(0);
    expect(live.workerSeconds).toBe(0);
  });

  it("redraws one output in place, at most every `interval` ms, and always at done()", async () => {
    const figures = join(dir, "figures");
    process.env["INPCA_FIGURE_DIR"] = figures; // outside a kernel an output is an HTML file
    try {
      const slow = liveMap(emb, set, { interval: 60_000, label: "slow" });
      const fast = liveMap(emb, set, { interval: 0, label: "fast" });
      for (let m = 0; m < 5; m++) {
        slow.add(probsOf(m));
        fast.add(probsOf(m));
      }
      expect(slow.redraws).toBe(1); // shown once; the next redraw is not due for a minute
      expect(readdirSync(figures).map((f) => readFileSync(join(figures, f), "utf8")).some((h) => h.includes("slow: now"))).toBe(false);
      await slow.done();
      expect(slow.redraws).toBe(2);
      expect(fast.redraws).toBe(6); // shown, then redrawn at every checkpoint
      const pages = readdirSync(figures).filter((f) => f.endsWith(".html")).map((f) => readFileSync(join(figures, f), "utf8"));
      expect(pages).toHaveLength(2); // one output each, rewritten in place
      expect(pages.filter((h) => h.includes("fast: now"))).toHaveLength(1);
      expect(pages.filter((h) => h.includes("slow: now"))).toHaveLength(1);
    } finally {
      delete process.env["INPCA_FIGURE_DIR"];
    }
  });

  it("refuses a basis that is not the embedding's, and checkpoints of the wrong size", () => {
    expect(() => liveMap(emb, set.select([0, 1, 2]), { display: false })).toThrow(InpcaInputError);
    expect(() => liveMap(emb, set.select([0, 1, 2]), { display: false })).toThrow(/fitted on 60/);
    const live = liveMap(emb, set, { display: false });
    expect(() => live.add(new Float32Array(7))).toThrow(/7 probabilities; the map's samples need 30 samples × 5 classes = 150/);
  });
});
