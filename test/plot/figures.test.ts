/**
 * Figure specs: trace types, colours, time-like axes in red, hover fields, equal aspect, explained-stress
 * annotations, curves and bands; each checked against values computed here from the inputs.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { DistanceMatrix, type ModelPoint } from "../../src/core/index.js";
import { binnedStats, completeLinkage, distanceToGeodesic, leafOrder, tubeWidth } from "../../src/geometry/index.js";
import { Embedding } from "../../src/core/embedding.js";
import * as plot from "../../src/plot/index.js";
import { specJson } from "../../src/plot/html.js";
import type { PlotTrace } from "../../src/plot/types.js";
import { syntheticZoo, type SyntheticZoo } from "../helpers/synthetic-zoo.js";
import { trajectorySet } from "../helpers/data.js";

/** A hand-made embedding with a time-like second axis, 2 runs of 4 points and a 3-point geodesic. */
function handEmbedding(): Embedding {
  const meta: ModelPoint[] = [];
  const coords: number[] = [];
  for (let r = 0; r < 2; r++) {
    for (let t = 0; t < 4; t++) {
      meta.push({ run: `run${r}`, step: 10 * t, epoch: t / 2, error: 1 - t / 4, loss: 2 - t / 3, config: { arch: r ? "cnn" : "mlp", lr: 0.1 } });
      coords.push(t + r, 0.5 * t - r, 0.1 * t * r);
    }
  }
  for (let k = 0; k < 3; k++) {
    meta.push({ run: "geodesic", step: k, kind: "geodesic", lambda: k / 2 });
    coords.push(2 * k, 0, 0);
  }
  const N = meta.length;
  return new Embedding({
    coords: Float64Array.from(coords), points: N, dims: 3, eigenvalues: Float64Array.of(4, -2, 1),
    spectrum: Float64Array.of(4, -2, 1, -0.5, 0.25), explainedStress: Float64Array.of(0.5, 0.6, 0.7, 0.8, 0.9), frobenius2: 30,
    meta, basis: { size: N, eigenvectors: new Float64Array(N * 3), columnMeans: new Float64Array(N), grandMean: 0 },
  });
}

const byName = (data: PlotTrace[], name: string, mode?: string) => data.filter((t) => t["name"] === name && (!mode || t["mode"] === mode));

describe("averaged trajectories (kind \"average\") drawn bold over the runs", () => {
  const base = handEmbedding();
  // a mean of the mlp run: 4 points of kind "average", as ip.average writes them, shifted by +0.5 on axis 2
  const extra = base.meta.filter((m) => m.run === "run0").map((m) => ({ ...m, run: "mean:arch=mlp", kind: "average" as const, averaging: "arithmetic", members: 2 }));
  const coords = new Float64Array((base.points + 4) * 3);
  coords.set(base.coords);
  for (let k = 0; k < 4; k++) coords.set([k, 0.5 * k + 0.5, 0], (base.points + k) * 3);
  const emb = new Embedding({ ...base, coords, points: base.points + 4, meta: [...base.meta, ...extra], basis: { ...base.basis } } as ConstructorParameters<typeof Embedding>[0]);

  it("one bold line per category mean, in the category's colour and legend group, after the runs", () => {
    for (const [fig, width] of [[plot.trajectories3d(emb, { colorBy: "arch" }), 7], [plot.triplot(emb, { colorBy: "arch" }), 3.5]] as const) {
      const means = byName(fig.data, "mlp (mean)");
      expect(means.length).toBe(fig.kind === "triplot" ? 3 : 1);
      const runs = byName(fig.data, "mlp", "markers")[0]!;
      for (const t of means) {
        expect(t["line"]).toMatchObject({ color: plot.colorOf("mlp"), width });
        expect(t["legendgroup"]).toBe(runs["legendgroup"]);
        expect(fig.data.indexOf(t)).toBeGreaterThan(fig.data.indexOf(runs));
      }
      // the mean's own points, not among the run markers
      expect(means[0]!["x"]).toEqual([0, 1, 2, 3]);
      expect(means[0]!["y"]).toEqual([0.5, 1, 1.5, 2]);
      expect(byName(fig.data, "mlp", "markers").reduce((a, t) => a + (t["x"] as number[]).length, 0)).toBe(4 * (fig.kind === "triplot" ? 3 : 1));
    }
  });

  it("a category of means alone keeps its name (no \"(mean)\" when there are no runs to tell it from)", () => {
    const meansOnly = new Embedding({ ...emb, coords: emb.coords.slice(base.points * 3), points: 4, meta: extra, basis: { ...emb.basis, size: 4 } } as ConstructorParameters<typeof Embedding>[0]);
    const fig = plot.trajectories3d(meansOnly, { colorBy: "arch" });
    expect(byName(fig.data, "mlp (mean)")).toHaveLength(0);
    const named = byName(fig.data, "mlp");
    expect(named.length).toBe(1);
    expect(named[0]!["line"]).toMatchObject({ width: 7 });
  });

  it("with a continuous colour, the runs' points keep their own values (the means do not shift them)", () => {
    const fig = plot.trajectories3d(emb, { colorBy: "epoch" });
    const runs = fig.data.filter((t) => t["mode"] === "markers" && t["name"] !== "P₀ ignorance, P* truth");
    expect(runs.length).toBe(1);
    const x = runs[0]!["x"] as number[];
    const color = (runs[0]!["marker"] as { color: number[] }).color;
    expect(color.length).toBe(x.length);
    expect(color).toEqual(base.meta.filter((m) => m.kind !== "geodesic").map((m) => m.epoch)); // both runs' epochs, in order
  });
});

describe("styleBy: some runs set apart in a second style", () => {
  // run1 (cnn) is marked; run0 (mlp) is not
  const base = handEmbedding();
  const emb = new Embedding({ ...base, meta: base.meta.map((m) => (m.run === "run1" ? { ...m, status: "untrained" } : m)) } as ConstructorParameters<typeof Embedding>[0]);

  it("categorical colours: the marked run gets its own dotted, open-marker traces in the same colour", () => {
    for (const fig of [plot.trajectories3d(emb, { colorBy: "arch", styleBy: "status" }), plot.triplot(emb, { colorBy: "arch", styleBy: "status" })]) {
      const open = byName(fig.data, "cnn · untrained", "markers");
      expect(open.length).toBeGreaterThan(0);
      for (const t of open) expect(t["marker"]).toMatchObject({ symbol: "circle-open", color: plot.colorOf("cnn") });
      for (const t of byName(fig.data, "cnn · untrained", "lines")) expect((t["line"] as { dash: string }).dash).toBe("dot");
      expect(byName(fig.data, "cnn", "markers")).toEqual([]); // every cnn point is marked
      for (const t of byName(fig.data, "mlp", "markers")) expect((t["marker"] as { symbol?: string }).symbol).toBeUndefined();
    }
  });

  it("continuous colours follow their points into each style's trace, with one colour bar", () => {
    const fig = plot.trajectories3d(emb, { colorBy: "epoch", styleBy: "status" });
    const markers = fig.data.filter((t) => t["mode"] === "markers" && t["name"] !== "P₀ ignorance, P* truth");
    expect(markers.map((t) => t["name"])).toEqual([plot.fieldTitle("epoch"), `${plot.fieldTitle("epoch")} · untrained`]);
    // run0's epochs in the usual trace, run1's in the marked one
    expect((markers[0]!["marker"] as { color: number[] }).color).toEqual([0, 0.5, 1, 1.5]);
    expect((markers[1]!["marker"] as { color: number[] }).color).toEqual([0, 0.5, 1, 1.5]);
    expect(markers[1]!["x"]).toEqual([1, 2, 3, 4]);
    expect(markers.filter((t) => (t["marker"] as { showscale?: boolean }).showscale).length).toBe(1);
  });

  it("no marked point: exactly the figure without styleBy", () => {
    expect(specJson(plot.trajectories3d(base, { colorBy: "arch", styleBy: "status" }))).toBe(specJson(plot.trajectories3d(base, { colorBy: "arch" })));
  });
});

describe("trajectories3d", () => {
  const emb = handEmbedding();
  const fig = plot.trajectories3d(emb, { colorBy: "arch" });

  it("draws scatter3d traces: per category markers and lines, the geodesic, the endpoints", () => {
    expect(fig.data.every((t) => t.type === "scatter3d")).toBe(true);
    const mlp = byName(fig.data, "mlp", "markers")[0]!;
    const cnn = byName(fig.data, "cnn", "markers")[0]!;
    expect((mlp["marker"] as { color: string }).color).toBe(plot.VALUE_COLORS["mlp"]);
    expect((cnn["marker"] as { color: string }).color).toBe(plot.colorOf("cnn"));
    expect(mlp["x"]).toEqual([0, 1, 2, 3]);
    expect(cnn["y"]).toEqual([-1, -0.5, 0, 0.5]);
    const lines = byName(fig.data, "mlp", "lines")[0]!;
    expect(lines["showlegend"]).toBe(false);
    expect(lines["legendgroup"]).toBe(mlp["legendgroup"]);
    const geo = byName(fig.data, "geodesic P₀ → P*")[0]!;
    expect(geo["x"]).toEqual([0, 2, 4]);
    expect((geo["line"] as { color: string }).color).toBe("#000000");
    const ends = byName(fig.data, "P₀ ignorance, P* truth")[0]!;
    expect((ends["marker"] as { color: string }).color).toBe(plot.TIMELIKE_RED);
    expect(ends["x"]).toEqual([0, 4]); // λ = 0 is P0, λ = 1 is P*
    expect(ends["mode"]).toBe("markers");
    // the labels: scene annotations at the markers (SVG over the WebGL scene, so the cloud cannot hide them)
    const notes = (fig.layout["scene"] as { annotations: { x: number; y: number; z: number; text: string; font: { color: string } }[] }).annotations;
    expect(notes.map((a) => [a.text, a.x, a.y, a.z])).toEqual([["P₀", 0, 0, 0], ["P*", 4, 0, 0]]);
    expect(notes.every((a) => a.font.color === plot.TIMELIKE_RED)).toBe(true);
    expect(plot.trajectories3d(emb, { references: false }).layout["scene"]).not.toHaveProperty("annotations");
  });

  it("labels and colours time-like axes red, others dark", () => {
    const scene = fig.layout["scene"] as Record<string, Record<string, unknown>>;
    const title = (a: string) => (scene[a]!["title"] as { text: string; font: { color: string } });
    expect(title("xaxis").text).toBe("InPCA 1");
    expect(title("yaxis").text).toBe("InPCA 2 (time-like)");
    expect(title("yaxis").font.color).toBe(plot.TIMELIKE_RED);
    expect(scene["yaxis"]!["color"]).toBe(plot.TIMELIKE_RED);
    expect(title("zaxis").font.color).not.toBe(plot.TIMELIKE_RED);
  });

  it("keeps equal scale: box lengths proportional to the data ranges", () => {
    const scene = fig.layout["scene"] as { aspectmode: string; aspectratio: { x: number; y: number; z: number } };
    expect(scene.aspectmode).toBe("manual");
    // ranges over all rows: x 0..4, y -1..1.5, z 0..0.3; equal scale means equal ratios range / box length
    const { x, y, z } = scene.aspectratio;
    expect(y / x).toBeCloseTo(2.5 / 4, 12);
    expect(z / x).toBeCloseTo(0.3 / 4, 12);
    expect(Math.max(x, y, z)).toBeLessThanOrEqual(1.6 + 1e-12);
  });

  it("hover shows run, step, epoch, error, loss and the configuration of each point", () => {
    const mlp = byName(fig.data, "mlp", "markers")[0]!;
    const template = mlp["hovertemplate"] as string;
    const labels = [...template.matchAll(/(\w+): %\{customdata\[(\d+)\]/g)].map((m) => m[1]);
    expect(labels).toEqual(["run", "step", "epoch", "error", "loss", "arch", "lr"]);
    const cd = mlp["customdata"] as unknown[][];
    expect(cd[2]).toEqual(["run0", 20, 1, 0.5, 2 - 2 / 3, "mlp", 0.1]);
  });

  it("colours a continuous field on a colour bar, lines grey", () => {
    const f = plot.trajectories3d(emb, { colorBy: "epoch", camera: "top" });
    const markers = f.data.find((t) => t["mode"] === "markers")!;
    const m = markers["marker"] as { color: number[]; colorscale: string; cmin: number; cmax: number; colorbar: { title: { text: string } } };
    expect(m.color).toEqual([0, 0.5, 1, 1.5, 0, 0.5, 1, 1.5]);
    expect([m.cmin, m.cmax]).toEqual([0, 1.5]);
    expect(m.colorscale).toBe("Viridis");
    expect(m.colorbar.title.text).toBe("epoch");
    expect((f.layout["scene"] as { camera: unknown }).camera).toEqual(plot.CAMERAS.top);
  });

  it("decimates run lines to the vertex budget and keeps every marker", () => {
    const f = plot.trajectories3d(emb, { colorBy: "arch", maxLinePoints: 4 });
    const line = byName(f.data, "mlp", "lines")[0]!;
    expect(line["x"]).toEqual([0, 3]); // 2 runs share 4 vertices: the ends of each run
    expect(byName(f.data, "mlp", "markers")[0]!["x"]).toEqual([0, 1, 2, 3]);
  });

  it("run lines take the given width and opacity; the geodesic keeps its own", () => {
    const f = plot.trajectories3d(emb, { colorBy: "arch", lineWidth: 1.5, lineOpacity: 0.45 });
    const line = byName(f.data, "mlp", "lines")[0]!;
    expect([(line["line"] as { width: number }).width, line["opacity"]]).toEqual([1.5, 0.45]);
    const plain = byName(fig.data, "mlp", "lines")[0]!;
    expect([(plain["line"] as { width: number }).width, plain["opacity"]]).toEqual([2.5, undefined]);
    const geo = f.data.find((t) => String(t["name"]).startsWith("geodesic"))!;
    expect((geo["line"] as { width: number }).width).toBe(6);
  });

  it("has a short text form and a Jupyter MIME bundle", () => {
    expect(String(fig)).toMatch(/^Figure trajectories3d: \d+ traces \(scatter3d ×\d+\)/);
    const bundle = (fig as unknown as Record<symbol, () => Record<string, unknown>>)[Symbol.for("Jupyter.display")]!();
    expect(Object.keys(bundle).sort()).toEqual(["application/vnd.plotly.v1+json", "text/html", "text/plain"]);
  });
});

describe("triplot", () => {
  const emb = handEmbedding();
  const fig = plot.triplot(emb, { colorBy: "arch" });
  it("draws the panels 1–2, 1–3, 2–3 at equal scale with time-like axes red", () => {
    const axes = fig.layout as Record<string, Record<string, unknown>>;
    const t = (a: string) => (axes[a]!["title"] as { text: string; font: { color: string } });
    expect([t("xaxis").text, t("yaxis").text, t("xaxis2").text, t("yaxis2").text, t("xaxis3").text, t("yaxis3").text])
      .toEqual(["InPCA 1", "InPCA 2 (time-like)", "InPCA 1", "InPCA 3", "InPCA 2 (time-like)", "InPCA 3"]);
    expect(t("yaxis").font.color).toBe(plot.TIMELIKE_RED);
    expect(axes["yaxis"]!["linecolor"]).toBe(plot.TIMELIKE_RED);
    expect(axes["xaxis3"]!["linecolor"]).toBe(plot.TIMELIKE_RED);
    expect(axes["xaxis2"]!["linecolor"]).not.toBe(plot.TIMELIKE_RED);
    expect(axes["yaxis2"]!["scaleanchor"]).toBe("x2");
    expect(axes["yaxis3"]!["scaleratio"]).toBe(1);
  });
  it("puts each pair of coordinates in its panel and the legend on the first panel only", () => {
    const cnn = fig.data.filter((d) => d["name"] === "cnn" && d["mode"] === "markers");
    expect(cnn.map((d) => d["xaxis"])).toEqual(["x", "x2", "x3"]);
    expect(cnn[1]!["y"]).toEqual([0, 0.1, 0.2, 0.30000000000000004]); // InPCA 3 of run1: 0.1·t·1
    expect(cnn.map((d) => d["showlegend"])).toEqual([true, false, false]);
    expect(cnn.every((d) => d.type === "scatter")).toBe(true);
    expect(plot.triplot(emb, { webgl: true }).data.find((d) => d["mode"] === "markers")!.type).toBe("scattergl");
  });
});

describe("endpoint labels and layering", () => {
  /** Points along axis 1, with P0 and P* at given coordinates (kinds "ignorance" and "truth"). */
  function withEnds(p0: number[], pStar: number[]): Embedding {
    const coords: number[] = [];
    const meta: ModelPoint[] = [];
    for (let i = 0; i < 20; i++) {
      coords.push(i / 19, Math.sin(i), Math.cos(i));
      meta.push({ run: "r", step: i });
    }
    coords.push(...p0, ...pStar);
    meta.push({ run: "P0", step: 0, kind: "ignorance" }, { run: "P*", step: 0, kind: "truth" });
    const N = meta.length;
    return new Embedding({
      coords: Float64Array.from(coords), points: N, dims: 3, eigenvalues: Float64Array.of(3, 2, 1), spectrum: Float64Array.of(3, 2, 1),
      explainedStress: Float64Array.of(0.5, 0.7, 0.9), frobenius2: 14, meta, basis: { size: N, eigenvectors: new Float64Array(N * 3), columnMeans: new Float64Array(N), grandMean: 0 },
    });
  }
  const ends = (fig: { data: PlotTrace[] }) => fig.data.filter((t) => t["name"] === "P₀ ignorance, P* truth");
  it("labels sit above both markers when apart; one above, one below where they project close together", () => {
    const fig = plot.triplot(withEnds([0, -1, 0.5], [1, -0.98, 0.52]));
    const [p12, p13, p23] = ends(fig).map((t) => t["textposition"]);
    expect(p12).toBe("top center"); // far apart on axis 1
    expect(p13).toBe("top center");
    expect(p23).toEqual(["bottom center", "top center"]); // 0.02 apart on axes 2 and 3: P0 lower, its label below
  });
  it("in WebGL panels the endpoints are WebGL too, drawn after the model points (not hidden under their canvas)", () => {
    const fig = plot.triplot(withEnds([0, 0, 0], [1, 1, 1]), { webgl: true });
    const types = fig.data.filter((t) => t["xaxis"] === "x").map((t) => [t.type, t["name"]]);
    const iModels = types.findIndex(([ty, n]) => ty === "scattergl" && n !== "P₀ ignorance, P* truth");
    const iEnds = types.findIndex(([, n]) => n === "P₀ ignorance, P* truth");
    expect(types[iEnds]![0]).toBe("scattergl");
    expect(iEnds).toBeGreaterThan(iModels);
  });
});

describe("explainedStress", () => {
  let zoo: SyntheticZoo;
  beforeAll(() => { zoo = syntheticZoo({ runs: 6, T: 12, S: 80 }); });

  it("annotates ES(k) at k = 1, 3, 10, 20, 50 with ES computed from the spectrum and ‖W‖_F²", () => {
    const { emb } = zoo;
    const fig = plot.explainedStress(emb);
    const ann = fig.layout["annotations"] as { text: string; x: number; y: number }[];
    const K = emb.spectrum.length;
    const ks = [1, 3, 10, 20, 50].filter((k) => k <= K);
    let cum = 0;
    const es: number[] = [];
    for (let k = 0; k < K; k++) { cum += emb.spectrum[k]! ** 2; es.push(1 - Math.sqrt(1 - cum / emb.frobenius2)); }
    expect(ann.map((a) => a.text)).toEqual(ks.map((k) => `ES(${k}) = ${es[k - 1]!.toFixed(3)}`));
    ann.forEach((a, j) => { expect(a.y).toBeCloseTo(es[ks[j]! - 1]!, 12); expect(a.x).toBeCloseTo(Math.log10(ks[j]!), 12); });
  });

  it("draws the ladder |λ| on a log axis with negative eigenvalues red", () => {
    const fig = plot.explainedStress(handEmbedding());
    const pos = fig.data.find((t) => t["name"] === "λ > 0")!;
    const neg = fig.data.find((t) => t["name"] === "λ < 0 (time-like)")!;
    expect(pos["x"]).toEqual([1, 3, 5]);
    expect(pos["y"]).toEqual([4, 1, 0.25]);
    expect(neg["x"]).toEqual([2, 4]);
    expect(neg["y"]).toEqual([2, 0.5]);
    expect((neg["marker"] as { color: string }).color).toBe(plot.TIMELIKE_RED);
    expect((fig.layout["yaxis2"] as { type: string }).type).toBe("log");
    expect((fig.data[0]!["y"] as number[])).toEqual([0.5, 0.6, 0.7, 0.8, 0.9]);
    expect((fig.layout["annotations"] as unknown[]).length).toBe(2); // k = 1 and 3 exist, 10/20/50 do not
  });
});

describe("curves against epoch and progress", () => {
  const emb = handEmbedding();
  it("progressCurves: one trace per group, runs separated by gaps, sorted by x", () => {
    const fig = plot.progressCurves(emb, { y: "error", colorBy: "arch" });
    expect(fig.data.map((t) => t["name"])).toEqual(["mlp", "cnn"]);
    expect(fig.data[0]!["x"]).toEqual([0, 0.5, 1, 1.5]);
    expect(fig.data[0]!["y"]).toEqual([1, 0.75, 0.5, 0.25]);
    expect((fig.layout["xaxis"] as { title: { text: string } }).title.text).toBe("epoch");
    const runs = plot.progressCurves(emb, { y: "error" });
    expect(runs.data[0]!["x"]).toEqual([0, 0.5, 1, 1.5, null, 0, 0.5, 1, 1.5]);
  });

  it("binnedStats: mean and sample sd per bin", () => {
    const s = binnedStats([0.05, 0.06, 0.07, 0.55], [1, 2, 3, 10], [0, 1, 2, 3], 10);
    expect(s.center).toEqual([0.05, 0.55]);
    expect(s.mean).toEqual([2, 10]);
    expect(s.sd[0]).toBeCloseTo(1, 14);
    expect(s.count).toEqual([3, 1]);
  });

  it("distanceToGeodesic takes the row minimum of the cross matrix and draws mean ± sd bands", () => {
    const meta: ModelPoint[] = [0, 1, 2, 3].map((i) => ({ run: `r${i % 2}`, step: i, config: { arch: "a" } }));
    const D = new DistanceMatrix({ data: Float64Array.of(3, 1, 2, 0.5, 0.7, 0.9, 4, 2, 2.5, 1, 1, 1), rows: 4, cols: 3, rowMeta: meta });
    const fig = plot.distanceToGeodesic(D, [0.11, 0.12, 0.81, 0.82], { colorBy: "arch", bins: 10 });
    const mean = fig.data.find((t) => t["mode"] === "lines+markers")!;
    expect(mean["x"]).toEqual([0.15, 0.85]);
    expect(mean["y"]).toEqual([(1 + 0.5) / 2, (2 + 1) / 2]);
    const upper = fig.data.find((t) => t["fill"] === "tonexty")!;
    expect((upper["y"] as number[])[0]).toBeCloseTo(0.75 + Math.SQRT1_2 * 0.5, 12);
    const box = plot.tubeWidth([1, 2, 3, 4], [0.11, 0.12, 0.81, 0.82], meta, { mode: "box", bins: 5 });
    expect(box.data[0]!.type).toBe("box");
    expect(box.data[0]!["x"]).toEqual(["0.00–0.20", "0.00–0.20", "0.80–1.00", "0.80–1.00"]);
  });

  it("distanceToGeodesic and tubeWidth take the geometry results as they are, drawing what the pieces draw", () => {
    const set = trajectorySet(6, 8, 20, 4, 3, 3); // three architectures of two runs each
    const g = distanceToGeodesic(set);
    const options = { colorBy: "arch", runs: true, title: "t" };
    expect(plot.distanceToGeodesic(g, options).toJSON()).toEqual(plot.distanceToGeodesic(g.distance, g.progress, { ...options, meta: g.meta }).toJSON());
    const seeds = tubeWidth(set);
    expect(seeds.width.length).toBeGreaterThan(0);
    expect(plot.tubeWidth(seeds, { mode: "box" }).toJSON()).toEqual(plot.tubeWidth(seeds.width, seeds.progress, seeds.meta, { mode: "box" }).toJSON());
    expect(() => plot.distanceToGeodesic(g.distance)).toThrow(/result of ip.distanceToGeodesic/);
  });
});

describe("heatmap, bar, box, dendrogram", () => {
  it("heatmap: matrix values in the requested order, square cells, colour bar in nats", () => {
    const meta: ModelPoint[] = [0, 1, 2].map((i) => ({ run: `r${i}`, step: 0 }));
    const D = DistanceMatrix.fromSquare([0, 1, 4, 1, 0, 2, 4, 2, 0], 3, { kind: "bhattacharyya", meta });
    const fig = plot.heatmap(D, { order: [2, 0, 1] });
    expect(fig.data[0]!["z"]).toEqual([[0, 4, 2], [4, 0, 1], [2, 1, 0]]);
    expect(fig.data[0]!["y"]).toEqual(["r2:0", "r0:0", "r1:0"]);
    expect((fig.layout["yaxis"] as { scaleanchor: string }).scaleanchor).toBe("x");
    expect(((fig.data[0]!["colorbar"] as { title: { text: string } }).title.text)).toBe("d<sub>B</sub> (nats)");
  });

  it("bar and box", () => {
    const b = plot.bar([0.1, 0.7, 0.2], ["lr", "arch", "bs"], { sort: true, errors: [0.01, 0.02, 0.03] });
    expect(b.data[0]!["x"]).toEqual(["arch", "bs", "lr"]);
    expect(b.data[0]!["y"]).toEqual([0.7, 0.2, 0.1]);
    expect((b.data[0]!["error_y"] as { array: number[] }).array).toEqual([0.02, 0.03, 0.01]);
    const x = plot.box({ sgd: [1, 2, 3], adam: [4, Number.NaN] });
    expect(x.data.map((t) => [t["name"], t["y"]])).toEqual([["sgd", [1, 2, 3]], ["adam", [4]]]);
  });

  it("scatter: one trace per category with its points, the y = x line over the data range, stride above maxPoints", () => {
    const meta: ModelPoint[] = [0, 1, 2, 3].map((i) => ({ run: `r${i}`, step: i, config: { arch: i % 2 ? "cnn" : "mlp" } }));
    const fig = plot.scatter([1, 2, 3, 4], [1.5, 2, 2.5, 5], { meta, colorBy: "arch", diagonal: true });
    expect(fig.data.map((t) => [t["name"], t["x"], t["y"]])).toEqual([["mlp", [1, 3], [1.5, 2.5]], ["cnn", [2, 4], [2, 5]], ["y = x", [1, 5], [1, 5]]]);
    expect(fig.data[0]!["text"]).toEqual(["r0:0", "r2:2"]);
    expect((fig.layout["yaxis"] as { scaleanchor: string }).scaleanchor).toBe("x");
    const many = plot.scatter(Array.from({ length: 30001 }, (_, i) => i), Array.from({ length: 30001 }, (_, i) => -i), { maxPoints: 10000 });
    const xs = many.data[0]!["x"] as number[];
    expect(many.data[0]!["type"]).toBe("scattergl");
    expect([xs.length, xs[0], xs[xs.length - 1]]).toEqual([10000, 0, 30000]);
    // numbers with more than 12 distinct values colour continuously (fewer are categories, as in every builder)
    const v = Array.from({ length: 20 }, (_, i) => i / 20);
    const cont = plot.scatter(v, v, { colorBy: v });
    expect((cont.data[0]!["marker"] as { color: number[] }).color).toEqual(v);
    expect(() => plot.scatter([1], [1, 2])).toThrow(/1 x values for 2 y values/);
  });

  it("dendrogram: links at the merge heights, leaves in dendrogram order, coloured by field, with columns", () => {
    // two tight pairs far apart: (0,2) at 1, (1,3) at 2, joined at max = 9
    const d = [0, 8, 1, 9, 8, 0, 7, 2, 1, 7, 0, 6, 9, 2, 6, 0];
    const meta: ModelPoint[] = ["a", "b", "a", "b"].map((arch, i) => ({ run: `c${i}`, step: 0, config: { arch, opt: i % 2 ? "adam" : "sgd" } }));
    const fig = plot.dendrogram(DistanceMatrix.fromSquare(d, 4, { kind: "trajectory", meta }), { colorBy: "arch" });
    const link = completeLinkage(DistanceMatrix.fromSquare(d, 4));
    expect(link.merges.map((m) => [m.a, m.b, m.height, m.size])).toEqual([[0, 2, 1, 2], [1, 3, 2, 2], [4, 5, 9, 4]]);
    expect(leafOrder(link)).toEqual([0, 2, 1, 3]);
    expect((fig.layout["yaxis"] as { ticktext: string[] }).ticktext).toEqual(["c0", "c2", "c1", "c3"]);
    const links = fig.data[0]!;
    expect(Math.max(...(links["x"] as (number | null)[]).filter((v): v is number => v !== null))).toBe(9);
    const a = fig.data.find((t) => t["name"] === "a")!;
    expect((a["marker"] as { color: string }).color).toBe(plot.colorOf("a"));
    expect(a["y"]).toEqual([0, 1]);
    const opt = fig.data.find((t) => t["name"] === "opt")!;
    expect(opt["text"]).toEqual(["sgd", "sgd", "adam", "adam"]);
  });
});

describe("serialisation", () => {
  it("long numeric arrays travel as base64 float32 (Plotly bdata), short ones rounded to 6 digits", () => {
    const xs = Array.from({ length: 1500 }, (_, i) => Math.sin(i) * 3.123456789);
    xs[7] = Number.NaN;
    const spec = { data: [{ type: "scattergl", x: xs, y: [1 / 3, 2] }], layout: {} };
    const parsed = JSON.parse(specJson(spec)) as { data: { x: { dtype: string; bdata: string }; y: number[] }[] };
    expect(parsed.data[0]!.x.dtype).toBe("f4");
    const back = new Float32Array(new Uint8Array(Buffer.from(parsed.data[0]!.x.bdata, "base64")).buffer);
    expect(back.length).toBe(1500);
    expect(back[3]).toBeCloseTo(xs[3]!, 6);
    expect(Number.isNaN(back[7]!)).toBe(true);
    expect(parsed.data[0]!.y).toEqual([0.333333, 2]);
    const z = Array.from({ length: 40 }, (_, i) => Array.from({ length: 30 }, (_, j) => i * 30 + j));
    const m = JSON.parse(specJson({ data: [{ type: "heatmap", z }], layout: {} })) as { data: { z: { shape: string } }[] };
    expect(m.data[0]!.z.shape).toBe("40,30");
    expect(specJson({ data: [{ type: "scatter", text: ["</script><!--"] }], layout: {} })).not.toMatch(/<\/script|<!--/);
  });
});

describe("colours keyed by value", () => {
  it("a value keeps its colour across figures and category orders; setColors overrides it once for all", () => {
    const meta = (archs: string[]) => archs.map((a, i) => ({ run: `r${i}`, step: 0, config: { arch: a } }));
    const one = plot.coloring(meta(["vit", "mlp"]), [0, 1], "arch");
    const two = plot.coloring(meta(["wrn-l", "convmixer", "vit", "mlp", "somethingnew"]), [0, 1, 2, 3, 4], "arch");
    if (one.type !== "categorical" || two.type !== "categorical") throw new Error("expected categorical colourings");
    expect(one.colors.get("vit")).toBe(two.colors.get("vit"));
    expect(one.colors.get("mlp")).toBe(two.colors.get("mlp"));
    expect(new Set(two.colors.values()).size).toBe(5);
    expect(plot.colorOf("somethingnew")).toBe(two.colors.get("somethingnew"));
    plot.setColors({ vit: "#000000" });
    const three = plot.coloring(meta(["vit"]), [0], "arch");
    expect(three.type === "categorical" && three.colors.get("vit")).toBe("#000000");
    plot.setColors({ vit: null });
    expect(plot.colorOf("vit")).toBe(plot.VALUE_COLORS["vit"]);
  });
});

describe("eigenvalue ladder floor", () => {
  it("leaves out eigenvalues below 1e-8·|λ1| and says how many", () => {
    const spectrum = [4, -2, 1e-3, 3e-9, -1e-12, 1e-17];
    const fig = plot.explainedStress({ spectrum, explainedStress: [0.5, 0.6, 0.7, 0.7, 0.7, 0.7] });
    const ys = fig.data.filter((t) => t["xaxis"] === "x2").flatMap((t) => t["y"] as number[]);
    expect(ys.sort((a, b) => a - b)).toEqual([1e-3, 2, 4]);
    const notes = (fig.layout["annotations"] as { text: string }[]).map((a) => a.text);
    expect(notes).toContain("3 eigenvalues below 1e-8·|λ<sub>1</sub>| not shown");
    expect((plot.explainedStress({ spectrum: [4, 1], explainedStress: [0.9, 1] }).layout["annotations"] as { text: string }[]).some((a) => /not shown/.test(a.text))).toBe(false);
  });
});

describe("triplot legend", () => {
  it("sits below the panels, in a bottom margin of its own, never over a panel", () => {
    const emb = handEmbedding();
    const fig = plot.triplot(emb, { colorBy: "arch" });
    const legend = fig.layout["legend"] as { y: number; yanchor: string; orientation: string };
    const margin = fig.layout["margin"] as { b: number; t: number };
    expect(legend.orientation).toBe("h");
    expect(legend.yanchor).toBe("top");
    expect(legend.y).toBeLessThan(0);
    // the legend's top is 50 px under the plot area (below the axis titles) and the margin holds it
    const plotHeight = (fig.layout["height"] as number) - margin.t - margin.b;
    expect(-legend.y * plotHeight).toBeCloseTo(50, 6);
    expect(margin.b).toBeGreaterThanOrEqual(55 + 40);
  });
});

describe("3-D with many runs", () => {
  it("draws thin translucent run lines and small markers, and large labelled P0/P*", async () => {
    const { Embedding } = await import("../../src/core/embedding.js");
    const N = 40;
    const meta: ModelPoint[] = Array.from({ length: N }, (_, i) => ({ run: `r${i % 20}`, step: Math.floor(i / 20), config: { arch: i % 2 ? "mlp" : "vit" } }));
    const emb = new Embedding({
      coords: Float64Array.from({ length: N * 3 }, (_, i) => Math.sin(i)), points: N, dims: 3, eigenvalues: Float64Array.of(3, 2, 1),
      spectrum: Float64Array.of(3, 2, 1), explainedStress: Float64Array.of(0.5, 0.7, 0.8), frobenius2: 20,
      meta, basis: { size: N, eigenvectors: new Float64Array(N * 3), columnMeans: new Float64Array(N), grandMean: 0 },
    });
    const fig = plot.trajectories3d(emb, { colorBy: "arch" });
    const line = fig.data.find((t) => t["mode"] === "lines" && t["name"] === "mlp")!;
    expect(line["opacity"]).toBe(0.35);
    expect((line["line"] as { width: number }).width).toBe(1.5);
    const markers = fig.data.find((t) => t["mode"] === "markers" && t["name"] === "mlp")!;
    expect((markers["marker"] as { size: number }).size).toBe(2.5);
  });
});

describe("colorTitle names a colouring given as an array", () => {
  it("the colour bar of a continuous array is titled by colorTitle (was \"value\")", () => {
    const emb = handEmbedding();
    const values = Array.from({ length: emb.points }, (_, i) => i / emb.points);
    const title = (fig: { data: PlotTrace[] }) => fig.data.map((t) => (t["marker"] as { colorbar?: { title?: { text?: string } } } | undefined)?.colorbar?.title?.text).find((x) => x !== undefined);
    expect(title(plot.triplot(emb, { colorBy: values, colorType: "continuous" }))).toBe("value");
    expect(title(plot.triplot(emb, { colorBy: values, colorType: "continuous", colorTitle: "progress λ*" }))).toBe("progress λ*");
  });
});
