/**
 * The display edge: the kernel writer is found in the module cache, `show` sends one output with three MIME
 * types and moves the plotly.js carrier to the newest output, plain Node writes an HTML file, Embedding and
 * DistanceMatrix display themselves; `save` writes HTML, and PNG/SVG/PDF through headless Chromium; complete
 * linkage matches SciPy.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { DEFAULT_PYTHON } from "../helpers/python.js";
import { DistanceMatrix, type ModelPoint } from "../../src/core/index.js";
import { completeLinkage, leafOrder } from "../../src/geometry/index.js";
import { Embedding } from "../../src/core/embedding.js";
import * as plot from "../../src/plot/index.js";
import { freezeTrace, specJson, specObject, specTexts } from "../../src/plot/html.js";
import { resetDisplay, type DisplayContent } from "../../src/plot/display.js";
import { normal } from "../../src/linalg/random.js";
import { skipWhen } from "../helpers/skip.js";

const require = createRequire(__filename);
const FAKE = "/opt/fake-global/lib/node_modules/tslab/dist/jupyter.js";

function smallEmbedding(): Embedding {
  const meta: ModelPoint[] = Array.from({ length: 6 }, (_, i) => ({ run: `r${i % 2}`, step: i, config: { arch: i % 2 ? "cnn" : "mlp" } }));
  return new Embedding({
    coords: Float64Array.from({ length: 18 }, (_, i) => Math.sin(i)), points: 6, dims: 3, eigenvalues: Float64Array.of(3, 2, -1),
    spectrum: Float64Array.of(3, 2, -1), explainedStress: Float64Array.of(0.6, 0.8, 0.9), frobenius2: 14, meta,
    basis: { size: 6, eigenvectors: new Float64Array(18), columnMeans: new Float64Array(6), grandMean: 0 },
  });
}

describe("show in a tslab kernel", () => {
  afterEach(() => {
    delete require.cache[FAKE];
    resetDisplay();
  });

  it("finds the writer of the tslab copy that runs the kernel, wherever it is installed", () => {
    const w = () => undefined;
    expect(plot.findKernelWriter({})).toBeNull();
    expect(plot.findKernelWriter({ "/p/node_modules/tslab/dist/jupyter.js": { exports: { lastWriteDisplayData: null } } })).toBeNull();
    expect(plot.findKernelWriter({
      "/p/node_modules/tslab/dist/jupyter.js": { exports: { lastWriteDisplayData: null } },
      [FAKE]: { exports: { lastWriteDisplayData: w } },
    })).toBe(w);
  });

  it("sends one display_data with Plotly JSON, offline HTML and text; the newest output carries plotly.js", () => {
    const sent: { content: DisplayContent; update: boolean }[] = [];
    require.cache[FAKE] = { exports: { lastWriteDisplayData: (content: DisplayContent, update: boolean) => sent.push({ content, update }) } } as unknown as NodeJS.Module;
    const emb = smallEmbedding();
    plot.show(plot.trajectories3d(emb, { colorBy: "arch" }));
    expect(sent).toHaveLength(1);
    const first = sent[0]!.content;
    expect(sent[0]!.update).toBe(false);
    expect(Object.keys(first.data).sort()).toEqual(["application/vnd.plotly.v1+json", "text/html", "text/plain"]);
    const json = first.data["application/vnd.plotly.v1+json"] as { data: { type: string }[] };
    expect(json.data[0]!.type).toBe("scatter3d");
    expect(first.data["text/plain"]).toMatch(/^Figure trajectories3d/);
    const html = first.data["text/html"] as string;
    expect(html).toContain('class="inpca-plotly-carrier"');
    expect(html).not.toMatch(/<script[^>]+src=/); // nothing is fetched
    expect(html.length).toBeGreaterThan(1_000_000);
    const id = first.transient.display_id!;
    expect(html).toContain(`id="${id}"`);

    plot.show(emb); // an Embedding shows as its figure
    expect(sent).toHaveLength(3);
    expect(sent[1]!.update).toBe(false);
    expect(sent[1]!.content.data["text/html"]).toContain('class="inpca-plotly-carrier"');
    expect(sent[1]!.content.data["text/plain"]).toMatch(/^Embedding 6 points/);
    // the previous output is updated in place to a light copy without plotly.js
    expect(sent[2]!.update).toBe(true);
    expect(sent[2]!.content.transient.display_id).toBe(id);
    expect(sent[2]!.content.data["text/html"]).not.toContain('class="inpca-plotly-carrier"');
    expect((sent[2]!.content.data["text/html"] as string).length).toBeLessThan(100_000);
    expect(sent[2]!.content.data["application/vnd.plotly.v1+json"]).toEqual(json);
  });

  it("outside a kernel writes a standalone HTML file and prints its path", () => {
    const dir = mkdtempSync(join(tmpdir(), "inpca-show-"));
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    plot.show(plot.bar([1, 2], ["a", "b"]), { dir });
    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    expect(log.mock.calls[0]![0]).toContain(join(dir, files[0]!));
    log.mockRestore();
    const html = readFileSync(join(dir, files[0]!), "utf8");
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain("plotly.js v");
    expect(html).not.toMatch(/<script[^>]+src=/);
  });

  it("Embedding and DistanceMatrix render through Jupyter.display (registered by the plot layer)", () => {
    const emb = smallEmbedding();
    const e = (emb as unknown as Record<symbol, () => Record<string, unknown>>)[Symbol.for("Jupyter.display")]!();
    expect(Object.keys(e).sort()).toEqual(["application/vnd.plotly.v1+json", "text/html", "text/plain"]);
    const D = DistanceMatrix.fromSquare([0, 1, 1, 0], 2);
    const d = (D as unknown as Record<symbol, () => Record<string, unknown>>)[Symbol.for("Jupyter.display")]!();
    expect((d["application/vnd.plotly.v1+json"] as { data: { type: string }[] }).data[0]!.type).toBe("heatmap");
    expect(d["text/plain"]).toMatch(/^DistanceMatrix custom 2×2/);
  });
});

describe("one serialisation per display", () => {
  it("specTexts gives exactly specJson's text and specObject's object, escapes and base64 arrays included", () => {
    const fig = plot.scatter(Float64Array.from({ length: 1500 }, (_, i) => i / 7), Float64Array.from({ length: 1500 }, (_, i) => Math.sin(i)), { text: Array.from({ length: 1500 }, (_, i) => `p${i}</script><!--<br>`), title: "a </b> title" });
    const t = specTexts(fig);
    expect(t.json).toBe(specJson(fig));
    expect(t.object).toEqual(specObject(fig));
    expect(t.json).not.toContain("</script>");
  });

  it("deep-frozen traces are serialised once, to the same text; unfrozen ones are read afresh", () => {
    const make = () => plot.scatter(Float64Array.from({ length: 1200 }, (_, i) => i), Float64Array.from({ length: 1200 }, (_, i) => i * i), { title: "f" });
    const fresh = make();
    const frozen = make();
    frozen.data.forEach((tr) => freezeTrace(tr));
    expect(Object.isFrozen((frozen.data[0] as { marker: object }).marker)).toBe(true);
    expect(specJson(frozen)).toBe(specJson(fresh));
    expect(specJson(frozen)).toBe(specJson(fresh)); // from the cache
    expect(specTexts(frozen).object).toEqual(specObject(fresh));
    // an unfrozen trace changed after a display shows the change
    (fresh.data[0] as { name: string }).name = "changed";
    expect(specJson(fresh)).toContain('"name":"changed"');
  });
});

describe("complete linkage matches SciPy", () => {
  const python = DEFAULT_PYTHON;
  const scipy = existsSync(python) && spawnSync(python, ["-c", "import scipy.cluster.hierarchy"]).status === 0;
  if (!scipy) console.log("SciPy cross-check skipped: /usr/bin/python3 with scipy is absent (Debian python3-scipy)");
  it("same merges, heights, sizes and dendrogram leaves on random matrices", skipWhen(!scipy && `${python} with scipy is absent (Debian python3-scipy)`), () => {
    const dir = mkdtempSync(join(tmpdir(), "inpca-linkage-"));
    for (const n of [2, 3, 17, 40]) {
      const g = normal(n);
      const pts = Array.from({ length: n }, () => [g(), g(), g()]);
      const d = new Float64Array(n * n);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) d[i * n + j] = Math.hypot(...pts[i]!.map((v, k) => v - pts[j]![k]!));
      writeFileSync(join(dir, "d.json"), JSON.stringify(Array.from(d)));
      const r = spawnSync(python, ["-c", [
        "import json, sys, numpy as np",
        "from scipy.cluster.hierarchy import linkage, dendrogram",
        "from scipy.spatial.distance import squareform",
        `d = np.array(json.load(open(sys.argv[1]))).reshape(${n}, ${n})`,
        "Z = linkage(squareform(d, checks=False), method='complete')",
        "print(json.dumps({'Z': Z.tolist(), 'leaves': dendrogram(Z, no_plot=True)['leaves']}))",
      ].join("\n"), join(dir, "d.json")], { encoding: "utf8" });
      expect(r.status, r.stderr).toBe(0);
      const ref = JSON.parse(r.stdout) as { Z: number[][]; leaves: number[] };
      const ours = completeLinkage(d, n);
      expect(ours.merges.map((m) => [m.a, m.b, m.size])).toEqual(ref.Z.map((z) => [z[0], z[1], z[3]]));
      ours.merges.forEach((m, i) => expect(m.height).toBeCloseTo(ref.Z[i]![2]!, 12));
      expect(leafOrder(ours)).toEqual(ref.leaves);
    }
  });
});

describe("save", () => {
  const chromium = existsSync(process.env["INPCA_CHROMIUM"] ?? "/usr/bin/chromium");
  it("writes a standalone offline HTML file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "inpca-save-"));
    const file = await plot.save(plot.bar([1, 2], ["a", "b"]), join(dir, "bar.html"));
    const html = readFileSync(file, "utf8");
    expect(html).toContain('"type":"bar"');
    expect(html.length).toBeGreaterThan(4_000_000);
  });

  it("explains how to install chromium when it is missing", async () => {
    await expect(plot.save(plot.bar([1], ["a"]), join(tmpdir(), "x.png"), { executablePath: "/nonexistent/chromium" }))
      .rejects.toThrow(/apt-get install chromium/);
  });

  if (!chromium) console.log("image export tests skipped: no chromium at /usr/bin/chromium");
  it("renders PNG, SVG and PDF through headless Chromium", skipWhen(!chromium && "no chromium at /usr/bin/chromium", { timeout: 120_000 }), async () => {
    const dir = mkdtempSync(join(tmpdir(), "inpca-save-"));
    const fig = plot.triplot(smallEmbedding(), { colorBy: "arch" });
    const png = readFileSync(await plot.save(fig, join(dir, "tri.png"), { width: 600, height: 300, scale: 1 }));
    expect(png.subarray(1, 4).toString()).toBe("PNG");
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([600, 300]);
    const svg = readFileSync(await plot.save(fig, join(dir, "tri.svg")), "utf8");
    expect(svg).toMatch(/^<svg/);
    expect(svg).toContain("InPCA 3 (time-like)");
    const pdf = readFileSync(await plot.save(plot.trajectories3d(smallEmbedding()), join(dir, "t3d.pdf")));
    expect(pdf.subarray(0, 5).toString()).toBe("%PDF-");
  });
});
