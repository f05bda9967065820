/**
 * The `inpca report` command, run as a user runs it (node dist/cli/main.js, the package's "bin"): on small
 * zoos and checkpoint folders built here, the page holds plotly.js once, fetches nothing, and its figures carry
 * the input's points; bad input exits non-zero naming the path; Ctrl-C stops the work and exits 130 without
 * writing. With Chromium and playwright-core present, the page is opened offline and every figure must draw
 * (screenshots in out/cli-report/, including the report of the shipped zoo in data/zoo).
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { PredictionSet, type ModelPoint } from "../../src/core/index.js";
import { runInNewContext } from "node:vm";
import type { CoordinatesBlock } from "../../src/cli/report-downloads.js";
import { bhattacharyya } from "../../src/geometry/distances.js";
import { geodesicProgress } from "../../src/geometry/geodesic-progress.js";
import { inpca } from "../../src/geometry/inpca.js";
import { readNpy, writeNpy } from "../../src/io/formats/npy.js";
import { loadZoo, saveZoo } from "../../src/io/stores/zoo/index.js";
import { plotlyBundle } from "../../src/plot/html.js";
import { skipWhen } from "../helpers/skip.js";

const root = resolve(__dirname, "..", "..");
const bin = join(root, "dist", "cli", "main.js");
const tmp = mkdtempSync(join(tmpdir(), "inpca-cli-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const CHROMIUM = process.env["INPCA_CHROMIUM"] ?? "/usr/bin/chromium";
const requireHere = createRequire(join(root, "package.json"));
const havePlaywright = (() => {
  try {
    requireHere.resolve("playwright-core");
    return true;
  } catch {
    return false;
  }
})();
const browserReasons = [...(existsSync(CHROMIUM) ? [] : [`no chromium at ${CHROMIUM}`]), ...(havePlaywright ? [] : ["playwright-core is not installed"])];
if (browserReasons.length) console.log(`cli-report browser checks skipped: ${browserReasons.join("; ")}`);

/** Runs the command; returns exit code, stdout and stderr. */
function cli(args: string[], cwd = tmp): { code: number | null; stdout: string; stderr: string } {
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run npm run build (npm test does it first)`);
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: "utf8", timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Seeded uniform numbers in [0, 1). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * Probabilities of `runs` runs × `steps` checkpoints on S samples, C classes, moving from uniform toward the
 * labels as training goes on (a different pace per run), float32 [M, S, C].
 */
function trainingLike(runs: number, steps: number, S: number, C: number, labels: Int32Array, seed: number): Float32Array {
  const u = rng(seed);
  const probs = new Float32Array(runs * steps * S * C);
  for (let r = 0; r < runs; r++) {
    for (let k = 0; k < steps; k++) {
      const t = (k / Math.max(1, steps - 1)) * (0.5 + (0.5 * (r + 1)) / runs);
      for (let n = 0; n < S; n++) {
        const o = ((r * steps + k) * S + n) * C;
        let sum = 0;
        for (let c = 0; c < C; c++) {
          const v = (c === labels[n] ? Math.exp(5 * t) : 1) * (0.6 + 0.8 * u());
          probs[o + c] = v;
          sum += v;
        }
        for (let c = 0; c < C; c++) probs[o + c]! /= sum;
      }
    }
  }
  return probs;
}

const ARCHS = ["mlp", "cnn", "vit"];

/** A zoo with `runs` runs × `steps` checkpoints, train (S samples) and test (S - 4 samples) splits. */
function makeZoo(dir: string, runs: number, steps: number, S: number, C: number): void {
  const sets: Record<string, PredictionSet> = {};
  for (const [split, samples, seed] of [["train", S, 1], ["test", S - 4, 2]] as const) {
    const labels = Int32Array.from({ length: samples }, (_, n) => n % C);
    const meta: ModelPoint[] = [];
    for (let r = 0; r < runs; r++) {
      for (let k = 0; k < steps; k++) meta.push({ run: `${ARCHS[r % 3]}-s${r}`, step: 10 * k, epoch: k / 2, split, config: { arch: ARCHS[r % 3]!, seed: r }, error: 0.9 - (0.8 * k) / steps, loss: 2.3 - k / steps });
    }
    sets[split] = new PredictionSet({ probs: trainingLike(runs, steps, samples, C, labels, seed), models: runs * steps, samples, classes: C, labels, meta, split });
  }
  saveZoo(dir, sets, { dataset: "toy" });
}

interface Spec {
  kind: string;
  target: string;
  data: Record<string, unknown>[];
  layout: Record<string, unknown>;
}

/** The figures of a report page, in order, parsed from their JSON blocks. */
function specs(html: string): Spec[] {
  return [...html.matchAll(/<script type="application\/json" class="inpca-spec" data-for="([^"]+)" data-kind="([^"]+)">([\s\S]*?)<\/script>/g)].map((m) => ({
    target: m[1]!, kind: m[2]!, ...(JSON.parse(m[3]!) as { data: Record<string, unknown>[]; layout: Record<string, unknown> }),
  }));
}

function summary(html: string): { runs: number; checkpoints: number; splits: { split: string; checkpoints: number; embedded: number; method: string; landmarks: number | null; samples: number; es3: number; labelled: boolean; geodesicPoints: number; finalLambda: Record<string, number | null> }[] } {
  const m = /<script type="application\/json" id="inpca-report-summary">([\s\S]*?)<\/script>/.exec(html);
  expect(m, "summary block").not.toBeNull();
  return JSON.parse(m![1]!);
}

/** Number of entries of a trace coordinate (plain array, or Plotly's base64 typed array). */
function count(v: unknown): number {
  if (Array.isArray(v)) return v.filter((x) => x !== null).length;
  if (v && typeof v === "object" && "bdata" in v) return Buffer.from(String((v as { bdata: string }).bdata), "base64").length / 4;
  return 0;
}

const ENDPOINTS = "P₀ ignorance, P* truth";

/** Markers of model points in a trajectories3d spec (not the P0/P* trace). */
function modelMarkers(spec: Spec): number {
  return spec.data.filter((t) => t["mode"] === "markers" && t["name"] !== ENDPOINTS).reduce((a, t) => a + count(t["x"]), 0);
}

function occurrences(haystack: string, needle: string): number {
  let n = 0;
  for (let i = haystack.indexOf(needle); i >= 0; i = haystack.indexOf(needle, i + needle.length)) n++;
  return n;
}

/** Script, stylesheet, image or frame sources that would be fetched from a network. */
function networkReferences(html: string): string[] {
  return [
    ...html.matchAll(/<(?:script|link|img|iframe|source|video|audio)\b[^>]*\b(?:src|href)\s*=\s*["']?[^"'\s>]*/gi),
    ...html.matchAll(/@import\s+url\(\s*["']?https?:[^)]*/gi),
  ].map((m) => m[0]);
}


/** The coordinates blocks of a report page. */
function coordinateBlocks(html: string): CoordinatesBlock[] {
  return [...html.matchAll(/<script type="application\/json" class="inpca-coords" data-split="[^"]+">([\s\S]*?)<\/script>/g)].map((m) => JSON.parse(m[1]!) as CoordinatesBlock);
}

/** The page's own download code, run in a vm with no buttons: its csv and npy builders. */
function pageDownloads(html: string): { csv: (b: CoordinatesBlock) => string; npy: (b: CoordinatesBlock) => Uint8Array } {
  const code = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!).find((c) => c.includes("inpcaCoordinates"));
  expect(code, "download script").toBeDefined();
  const window: Record<string, unknown> = {};
  runInNewContext(code!, { window, atob, Uint8Array, Float64Array, DataView, document: { querySelectorAll: () => [] } });
  const api = window["inpcaCoordinates"] as { csv: (b: CoordinatesBlock) => string; npy: (b: CoordinatesBlock) => Uint8Array };
  return { csv: (b) => api.csv(b), npy: (b) => new Uint8Array(api.npy(b)) };
}

const zooDir = join(tmp, "zoo");
makeZoo(zooDir, 3, 6, 24, 4);
const M = 18;

describe("inpca report on a zoo", () => {
  const out = join(tmp, "out", "zoo.html");
  let html = "";

  it("exits 0, says what it did on stderr and writes one page", () => {
    const r = cli(["report", zooDir, "--out", out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/loading zoo/);
    expect(r.stderr).toMatch(/train: Bhattacharyya distances 18 × 18 on 24 samples/);
    expect(r.stderr).toMatch(/wrote .*zoo\.html \(\d+\.\d MB\)/);
    html = readFileSync(out, "utf8");
    expect(html.startsWith("<!DOCTYPE html>")).toBe(true);
  });

  it("carries plotly.js exactly once and refers to nothing on a network", () => {
    const bundle = plotlyBundle().source;
    expect(occurrences(html, bundle.slice(0, 400))).toBe(1);
    expect(occurrences(html, bundle.slice(bundle.length - 400))).toBe(1);
    expect(html.length).toBeLessThan(bundle.length + 400_000);
    expect(networkReferences(html)).toEqual([]);
  });

  it("has, per split, the 3-D embedding with geodesic and P0/P*, explained stress and progress, with the input's points", () => {
    const figs = specs(html);
    const perSplit = ["trajectories3d", "triplot", "explainedStress", "progressCurves", "distanceToGeodesic"];
    expect(figs.map((f) => f.kind)).toEqual([...perSplit, ...perSplit, "scatter"]);
    // train against test: every checkpoint of both splits, matched by run and step, and the zero line
    const tt = figs[10]!;
    expect(tt.data.filter((t) => t["mode"] === "markers").reduce((a, t) => a + count(t["x"]), 0)).toBe(M);
    expect(tt.data.filter((t) => t["mode"] === "markers").map((t) => t["name"]).sort()).toEqual([...ARCHS].sort());
    expect((tt.layout["shapes"] as { y0: number; y1: number }[])[0]).toMatchObject({ y0: 0, y1: 0 }); // the zero line of no lag
    expect(html).toMatch(/<h2>Train and test<\/h2>[\s\S]*18 checkpoints of 3 runs have predictions on both splits/);
    for (const f of [figs[0]!, figs[5]!]) {
      expect(modelMarkers(f)).toBe(M);
      // one marker trace per architecture
      expect(f.data.filter((t) => t["mode"] === "markers" && t["name"] !== ENDPOINTS).map((t) => t["name"]).sort()).toEqual([...ARCHS].sort());
      const geo = f.data.find((t) => t["name"] === "geodesic P₀ → P*");
      expect(count(geo?.["x"])).toBe(100);
      expect(count(f.data.find((t) => t["name"] === ENDPOINTS)?.["x"])).toBe(2);
      // their labels are scene annotations, drawn over the WebGL cloud
      expect(((f.layout["scene"] as { annotations: { text: string }[] }).annotations).map((a) => a.text)).toEqual(["P₀", "P*"]);
    }
    for (const f of [figs[1]!, figs[6]!]) {
      // the 2-D panels: the same points in each of the three panels, and the geodesic with P0/P*
      expect(modelMarkers(f)).toBe(3 * M);
      expect(f.data.filter((t) => t["name"] === "geodesic P₀ → P*").length).toBe(3);
    }
    for (const f of [figs[2]!, figs[7]!]) expect(count(f.data[0]!["y"])).toBe(M); // ES(k), k = 1..M (< 50)
    for (const f of [figs[3]!, figs[8]!]) {
      expect(f.data.map((t) => t["name"]).sort()).toEqual([...ARCHS].sort());
      expect(f.data.reduce((a, t) => a + count(t["y"]), 0)).toBe(M);
    }
    for (const f of [figs[4]!, figs[9]!]) {
      // distance to the geodesic: one band per architecture over the checkpoints
      expect(f.data.filter((t) => t["mode"] === "lines+markers").map((t) => t["name"]).sort()).toEqual([...ARCHS].sort());
    }
  });

  it("states what was loaded, ES(3) in text and a table of runs with final error and λ*", () => {
    const s = summary(html);
    expect(s.runs).toBe(3);
    expect(s.checkpoints).toBe(M);
    expect(s.splits.map((x) => [x.split, x.embedded, x.samples, x.labelled, x.geodesicPoints])).toEqual([["train", M, 24, true, 100], ["test", M, 20, true, 100]]);
    for (const sp of s.splits) {
      expect(sp.es3).toBeGreaterThan(0);
      expect(sp.es3).toBeLessThanOrEqual(1);
      expect(html).toContain(`<strong>ES(3) = ${sp.es3.toFixed(3)}</strong>`);
      expect(Object.keys(sp.finalLambda).sort()).toEqual(["cnn-s1", "mlp-s0", "vit-s2"]);
      // runs that train further (s0 < s1 < s2) end further along the geodesic
      const l = sp.finalLambda as Record<string, number>;
      expect(l["mlp-s0"]).toBeLessThan(l["cnn-s1"]!);
      expect(l["cnn-s1"]).toBeLessThan(l["vit-s2"]!);
    }
    expect(html).toMatch(/<td>runs<\/td><td>3 — (mlp|cnn|vit) \(1\), (mlp|cnn|vit) \(1\), (mlp|cnn|vit) \(1\)<\/td>/);
    expect(html).toMatch(/<td>classes<\/td><td>4: 0, 1, 2, 3<\/td>/);
    const table = /<section id="split-train">[\s\S]*?<table class="runs">([\s\S]*?)<\/table>/.exec(html)![1]!;
    expect(table).toContain("<th>final error</th><th>final λ*</th>");
    expect(occurrences(table, "<tr>")).toBe(4); // header + 3 runs
    expect(table).toContain(`<td class="n">${s.splits[0]!.finalLambda["vit-s2"]!.toFixed(3)}</td>`);
  });

  it("offers each split's coordinates as CSV and .npy, built in the page, equal to the embedding to the last bit", async () => {
    const blocks = coordinateBlocks(html);
    expect(blocks.map((b) => b.split)).toEqual(["train", "test"]);
    const zoo = loadZoo(zooDir);
    for (const b of blocks) {
      const set = zoo.predictions(b.split);
      const emb = inpca(await bhattacharyya(set), { dims: 3 });
      const { csv, npy } = pageDownloads(html);
      const arr = readNpy(npy(b), "download.npy");
      expect(arr.shape).toEqual([M, 3]);
      expect(arr.dtype).toBe("<f8");
      expect(Array.from(arr.data)).toEqual(Array.from(emb.coords));
      const lines = csv(b).trimEnd().split("\n").map((l) => l.split(","));
      expect(lines[0]).toEqual(["run", "arch", "seed", "step", "epoch", "progress", "error", ...[0, 1, 2].map((k) => `inpca${k + 1}${emb.timelike[k] ? "_timelike" : ""}`)]);
      expect(lines.length).toBe(M + 1);
      const lambda = geodesicProgress(set);
      lines.slice(1).forEach((row, i) => {
        const m = set.meta[i]!;
        expect(row.slice(0, 5)).toEqual([m.run, String(m.config!["arch"]), String(m.config!["seed"]), String(m.step), String(m.epoch)]);
        expect(Number(row[5])).toBe(lambda[i]);
        expect(row.slice(7).map(Number)).toEqual(Array.from(emb.coords.subarray(3 * i, 3 * i + 3)));
      });
    }
    expect(html).toContain('data-file="zoo-test-coordinates.npy"');
  });

  it("--split, --max-points and --title select, thin and name", () => {
    const o = join(tmp, "out", "test-only.html");
    const r = cli(["report", zooDir, "-o", o, "--split", "test", "--max-points", "7", "--title", "Toy <runs>", "--quiet"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe("");
    const h = readFileSync(o, "utf8");
    const s = summary(h);
    // 7 points for 3 runs: 2 per run (first and last)
    expect(s.splits.map((x) => [x.split, x.checkpoints, x.embedded])).toEqual([["test", M, 6]]);
    expect(modelMarkers(specs(h)[0]!)).toBe(6);
    expect(h).toContain("<title>Toy &lt;runs&gt;</title>");
    expect(h).toMatch(/thinned to 6/);
  });

  it("shows finished, trained, ordinary runs by default, says what it left out, and --all-runs shows every run", () => {
    const dir = join(tmp, "flagged-zoo");
    makeZoo(dir, 6, 4, 24, 4);
    // flag two runs as the manifest would: one untrained, one a corner initialisation
    const flag = (j: { id: string; trained?: boolean; config: Record<string, unknown> }) => {
      if (j.id === "mlp-s0") j.trained = false;
      if (j.id === "cnn-s1") j.config["group"] = "corner";
    };
    const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
    manifest.runs.forEach(flag);
    writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest));
    for (const id of ["mlp-s0", "cnn-s1"]) {
      const f = join(dir, "runs", `${id}.json`);
      if (existsSync(f)) {
        const run = JSON.parse(readFileSync(f, "utf8"));
        flag(run);
        writeFileSync(f, JSON.stringify(run));
      }
    }
    const o = join(tmp, "out", "flagged.html");
    expect(cli(["report", dir, "-o", o, "--split", "train", "--quiet"]).code).toBe(0);
    const h = readFileSync(o, "utf8");
    expect(summary(h).runs).toBe(4);
    expect(Object.keys(summary(h).splits[0]!.finalLambda).sort()).toEqual(["cnn-s4", "mlp-s3", "vit-s2", "vit-s5"]);
    expect(/<li>[^<]*left out[^<]*<\/li>/.exec(h)?.[0]).toBe("<li>2 of 6 runs are left out: 1 untrained (final train error above its threshold), 1 corner initialisations. --all-runs includes them.</li>");
    const all = join(tmp, "out", "flagged-all.html");
    expect(cli(["report", dir, "-o", all, "--split", "train", "--quiet", "--all-runs"]).code).toBe(0);
    const ha = readFileSync(all, "utf8");
    expect(summary(ha).runs).toBe(6);
    expect(ha).not.toContain("runs are left out");
    expect(/<li>[^<]*flagged untrained[^<]*<\/li>/.exec(ha)?.[0]).toMatch(/^<li>1 run is flagged untrained in the manifest/);
    // the runs --all-runs adds are drawn in a second style (dotted lines, open markers), named by why, in 3-D and 2-D
    const [fig3, fig2] = specs(ha);
    for (const f of [fig3!, fig2!]) {
      const second = f.data.filter((t) => String(t["name"]).includes(" · "));
      expect([...new Set(second.map((t) => t["name"]))].sort()).toEqual(["cnn · corner", "mlp · untrained"]);
      for (const t of second) {
        if (t["mode"] === "lines") expect((t["line"] as { dash?: string }).dash).toBe("dot");
        else expect((t["marker"] as { symbol?: string }).symbol).toBe("circle-open");
      }
      const markersOf = (name: string) => f.data.filter((t) => t["mode"] === "markers" && t["name"] === name).reduce((a, t) => a + count(t["x"]), 0);
      const panels = f === fig2 ? 3 : 1;
      expect(markersOf("mlp · untrained")).toBe(4 * panels); // one run of 4 checkpoints
      expect(markersOf("mlp")).toBe(4 * panels); // the other mlp run, in the usual style
      expect(f.data.filter((t) => (t["marker"] as { symbol?: string } | undefined)?.symbol === "circle-open").every((t) => String(t["name"]).includes(" · "))).toBe(true);
    }
    expect(ha).toContain("Dotted lines and open markers: the runs an ordinary report leaves out");
    // the ordinary report draws everything in the usual style
    expect(specs(h)[0]!.data.some((t) => String(t["name"]).includes(" · "))).toBe(false);
  });

  it("--method landmark embeds every checkpoint by landmark InPCA, and the page says how", () => {
    const o = join(tmp, "out", "landmark.html");
    const r = cli(["report", zooDir, "-o", o, "--method", "landmark", "--landmarks", "9", "--quiet"]);
    expect(r.code, r.stderr).toBe(0);
    const h = readFileSync(o, "utf8");
    const s = summary(h);
    for (const sp of s.splits) {
      expect(sp.embedded).toBe(sp.checkpoints);
      expect([sp.method, sp.landmarks]).toEqual(["landmark", 9]);
    }
    // 18 checkpoints a split, fewer than the 400 drawn for the stress estimate: it uses them all, and says so
    expect(h).toMatch(/Embedded by landmark InPCA: 9 landmarks \(pivoted\), every checkpoint placed from its distances to them; explained stress from all 18 checkpoints, ES\(3\) = 0\.\d{3}\. The distance from exact InPCA, estimated from 64 sampled exact columns: 3-D signed distances at most [\d.]+ %/);
    expect(cli(["report", zooDir, "-o", o, "--method", "fast"]).stderr).toMatch(/--method is "fast"; expected one of "exact", "landmark", "auto"/);
  });

  it("above 3,000 checkpoints a split is embedded whole by landmark InPCA (auto), not thinned", () => {
    const dir = join(tmp, "landmark-zoo");
    const M = 3200, S = 20, C = 4;
    const probs = new Float32Array(M * S * C);
    for (let m = 0; m < M; m++) for (let n = 0; n < S; n++) {
      const t = (m % 100) / 99, y = n % C;
      for (let c = 0; c < C; c++) probs[(m * S + n) * C + c] = c === y ? 0.25 + 0.7 * t : (0.75 - 0.7 * t) / 3;
    }
    const meta: ModelPoint[] = Array.from({ length: M }, (_, m) => ({ run: `r${Math.floor(m / 100)}`, step: m % 100, config: { arch: m < 1600 ? "a" : "b" } }));
    saveZoo(dir, { train: PredictionSet.fromProbabilities(probs, [M, S, C], { meta, labels: Array.from({ length: S }, (_, n) => n % C), renormalize: true }) });
    const o = join(tmp, "out", "landmark-zoo.html");
    const r = cli(["report", dir, "-o", o, "--quiet"]);
    expect(r.code, r.stderr).toBe(0);
    const h = readFileSync(o, "utf8");
    const sp = summary(h).splits[0]!;
    expect([sp.checkpoints, sp.embedded, sp.method, sp.landmarks]).toEqual([3200, 3200, "landmark", 2000]);
    expect(h).not.toMatch(/thinned/);
    const stress = /explained stress estimated from 400 random checkpoints, ES\(3\) ≈ [01]\.\d{3} \(95 % [01]\.\d{3}–[01]\.\d{3}\)/.exec(h);
    expect(stress, "the page says the explained stress is an estimate, with its interval").not.toBeNull();
  }, 120_000);

  it("is reachable as the package's bin and prints help", () => {
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { bin: Record<string, string> };
    expect(resolve(root, pkg.bin["inpca"]!)).toBe(bin);
    expect(readFileSync(bin, "utf8").startsWith("#!/usr/bin/env node")).toBe(true);
    expect(statSync(bin).mode & 0o111).not.toBe(0);
    const r = cli(["report", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: inpca report <folder>/);
  });
});

describe("inpca report on checkpoint folders", () => {
  /** A folder of run folders, one .npy per checkpoint; labels where `labelsAt` says. */
  function makeCheckpoints(dir: string, labelsAt: "top" | "none"): void {
    const S = 16, C = 3, runs = 2, steps = 5;
    const labels = Int32Array.from({ length: S }, (_, n) => n % C);
    const probs = trainingLike(runs, steps, S, C, labels, 7);
    for (let r = 0; r < runs; r++) {
      const runDir = join(dir, `run${r}`);
      mkdirSync(runDir, { recursive: true });
      writeFileSync(join(runDir, "config.json"), JSON.stringify({ run: `net-${r}`, config: { arch: r ? "cnn" : "mlp" } }));
      for (let k = 0; k < steps; k++) writeFileSync(join(runDir, `epoch_${k}.npy`), writeNpy(probs.slice((r * steps + k) * S * C, (r * steps + k + 1) * S * C), [S, C]));
    }
    if (labelsAt === "top") writeFileSync(join(dir, "labels.npy"), writeNpy(labels, [S]));
  }

  it("finds labels in the folder given and draws the geodesic and progress", () => {
    const dir = join(tmp, "ckpt-labels");
    makeCheckpoints(dir, "top");
    const o = join(tmp, "out", "ckpt.html");
    const r = cli(["report", dir, "--out", o]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/loading train: 10 checkpoints of 2 runs/);
    const h = readFileSync(o, "utf8");
    const s = summary(h);
    expect(s.splits.map((x) => [x.split, x.embedded, x.labelled, x.geodesicPoints])).toEqual([["train", 10, true, 100]]);
    expect(specs(h).map((f) => f.kind)).toEqual(["trajectories3d", "triplot", "explainedStress", "progressCurves", "distanceToGeodesic"]);
    expect(modelMarkers(specs(h)[0]!)).toBe(10);
    expect(Object.keys(s.splits[0]!.finalLambda)).toEqual(["net-0", "net-1"]);
  });

  it("train/ and test/ folders of one run's checkpoints: both splits, compared checkpoint by checkpoint (by step)", () => {
    const dir = join(tmp, "ckpt-one-run");
    const S = 16, C = 3, steps = 6;
    const labels = Int32Array.from({ length: S }, (_, n) => n % C);
    for (const [split, seed] of [["train", 3], ["test", 4]] as const) {
      const probs = trainingLike(1, steps, S, C, labels, seed);
      mkdirSync(join(dir, split), { recursive: true });
      for (let k = 0; k < steps; k++) writeFileSync(join(dir, split, `epoch_${k}.npy`), writeNpy(probs.slice(k * S * C, (k + 1) * S * C), [S, C]));
    }
    writeFileSync(join(dir, "labels.npy"), writeNpy(labels, [S]));
    const o = join(tmp, "out", "one-run.html");
    const r = cli(["report", dir, "--out", o, "-q"]);
    expect(r.code, r.stderr).toBe(0);
    const h = readFileSync(o, "utf8");
    expect(summary(h).splits.map((x) => x.split)).toEqual(["train", "test"]);
    expect(h).toMatch(/6 checkpoints of 1 runs? have predictions on both splits/);
    expect(specs(h).at(-1)!.kind).toBe("scatter");
  });

  it("without labels: no geodesic or progress, and the page says so", () => {
    const dir = join(tmp, "ckpt-nolabels");
    makeCheckpoints(dir, "none");
    const o = join(tmp, "out", "nolabels.html");
    const r = cli(["report", dir, "--out", o]);
    expect(r.code, r.stderr).toBe(0);
    const h = readFileSync(o, "utf8");
    expect(specs(h).map((f) => f.kind)).toEqual(["trajectories3d", "triplot", "explainedStress"]);
    expect(specs(h)[0]!.data.some((t) => t["name"] === "geodesic P₀ → P*")).toBe(false);
    expect(modelMarkers(specs(h)[0]!)).toBe(10);
    expect(h).toMatch(/train: no labels found[^<]*the geodesic, P₀\/P\*, progress λ\* and errors are left out/);
    expect(summary(h).splits[0]!.labelled).toBe(false);
  });
});

describe("inpca report on bad input", () => {
  it("a missing folder: exit 1, the path named, nothing written", () => {
    const missing = join(tmp, "no-such-zoo");
    const o = join(tmp, "out", "missing.html");
    const r = cli(["report", missing, "--out", o]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${missing}: no such folder`);
    expect(existsSync(o)).toBe(false);
  });

  it("a folder with nothing readable, a file instead of a folder, a broken manifest: exit 1 naming the path", () => {
    const empty = join(tmp, "empty");
    mkdirSync(empty);
    writeFileSync(join(empty, "notes.txt"), "hello");
    let r = cli(["report", empty, "--out", join(tmp, "out", "x.html")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${empty}: no checkpoints`);
    r = cli(["report", join(empty, "notes.txt")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${join(empty, "notes.txt")}: not a folder`);
    const broken = join(tmp, "broken");
    mkdirSync(broken);
    writeFileSync(join(broken, "manifest.json"), "{ not json");
    r = cli(["report", broken]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${join(broken, "manifest.json")}: invalid JSON`);
    expect(r.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
  });

  it("bad usage exits 2 with the reason", () => {
    for (const [args, why] of [
      [["report"], /needs a folder/],
      [["report", zooDir, "--split", "validation"], /--split is "validation"; expected one of "train", "test", "both"/],
      [["report", zooDir, "--dims", "2"], /--dims is 2; expected an integer ≥ 3/],
      [["report", zooDir, "--max-points", "many"], /--max-points is "many"; expected an integer ≥ 4/],
      [["report", zooDir, "--colour", "arch"], /Unknown option '--colour'/],
      [["plot", zooDir], /unknown command "plot"/],
    ] as const) {
      const r = cli([...args]);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toMatch(why);
    }
    const r = cli(["report", zooDir, "--split", "test", "--out", join(tmp, "out", "y.html"), "--color-by", "optimizer"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no checkpoint has a field "optimizer" \(fields: .*arch/);
  });

  it("Ctrl-C during the distances stops the workers and exits 130 without writing", async () => {
    // large enough that the distances take seconds on worker threads
    const big = join(tmp, "big");
    const S = 1000, C = 10, runs = 40, steps = 50;
    const labels = Int32Array.from({ length: S }, (_, n) => n % C);
    const meta: ModelPoint[] = [];
    for (let r = 0; r < runs; r++) for (let k = 0; k < steps; k++) meta.push({ run: `r${r}`, step: k, epoch: k, config: { arch: ARCHS[r % 3]! } });
    const set = new PredictionSet({ probs: trainingLike(runs, steps, S, C, labels, 3), models: runs * steps, samples: S, classes: C, labels, meta, split: "train" }, { validate: false });
    saveZoo(big, { train: set }, { dataset: "big" });
    const o = join(tmp, "out", "big.html");
    const child = spawn(process.execPath, [bin, "report", big, "--out", o], { cwd: tmp, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    const code = await new Promise<number | null>((done) => {
      child.stderr.on("data", (b: Buffer) => {
        stderr += b.toString();
        if (/Bhattacharyya distances/.test(stderr) && !child.killed) child.kill("SIGINT");
      });
      child.on("exit", (c) => done(c));
    });
    expect(code, stderr).toBe(130);
    expect(stderr).toMatch(/interrupting/);
    expect(stderr).toMatch(/interrupted; nothing written/);
    expect(existsSync(o)).toBe(false);
  });
});

describe("the page in headless Chromium, offline", skipWhen(browserReasons.join("; ")), () => {
  const shots = join(root, "out", "cli-report");

  async function open(html: string, png: string, during?: (page: import("playwright-core").Page) => Promise<void>): Promise<{ drawn: string | null; requests: string[]; errors: string[] }> {
    const { chromium } = await import("playwright-core");
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"] });
    try {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, offline: true });
      const page = await context.newPage();
      const requests: string[] = [];
      const errors: string[] = [];
      page.on("request", (q) => { if (!/^(file|data|blob|about):/.test(q.url())) requests.push(q.url()); });
      page.on("pageerror", (e) => errors.push(String(e)));
      await page.route(/^(?!file:|data:|blob:|about:)/, (route) => route.abort());
      await page.goto(pathToFileURL(html).href, { waitUntil: "load" });
      await page.waitForSelector("body[data-inpca-drawn]", { timeout: 60_000 });
      const drawn = await page.getAttribute("body", "data-inpca-drawn");
      await page.waitForTimeout(500);
      mkdirSync(shots, { recursive: true });
      await page.screenshot({ path: png, fullPage: true });
      if (during) await during(page);
      return { drawn, requests, errors };
    } finally {
      await browser.close();
    }
  }

  it("draws every figure of the toy zoo's page and requests nothing", async () => {
    const o = join(tmp, "out", "browser.html");
    expect(cli(["report", zooDir, "--out", o, "-q"]).code).toBe(0);
    const got: Record<string, Buffer> = {};
    const r = await open(o, join(shots, "toy.png"), async (page) => {
      // the download buttons, clicked as a reader clicks them
      for (const format of ["csv", "npy"]) {
        const [dl] = await Promise.all([page.waitForEvent("download"), page.click(`button.inpca-download[data-split="test"][data-format="${format}"]`)]);
        got[dl.suggestedFilename()] = readFileSync((await dl.path())!);
      }
    });
    expect(r).toEqual({ drawn: "11", requests: [], errors: [] }); // 2 splits × (3-D, 2-D panels, stress, progress, distance to the geodesic), train vs test
    expect(Object.keys(got).sort()).toEqual(["browser-test-coordinates.csv", "browser-test-coordinates.npy"].map((n) => n.replace("browser", "zoo")));
    const block = coordinateBlocks(readFileSync(o, "utf8")).find((b) => b.split === "test")!;
    const { csv, npy } = pageDownloads(readFileSync(o, "utf8"));
    expect(new Uint8Array(got["zoo-test-coordinates.npy"]!)).toEqual(npy(block));
    expect(got["zoo-test-coordinates.csv"]!.toString("utf8")).toBe(csv(block));
    expect(readNpy(new Uint8Array(got["zoo-test-coordinates.npy"]!)).shape).toEqual([M, 3]);
  });

  it("draws the report of the shipped zoo (data/zoo)", skipWhen(!existsSync(join(root, "data", "zoo", "manifest.json")) && "no shipped zoo (data/zoo/manifest.json)"), async () => {
    const o = join(shots, "zoo.html");
    const r = cli(["report", join(root, "data", "zoo"), "--out", o, "--max-points", "800"], root);
    expect(r.code, r.stderr).toBe(0);
    const h = readFileSync(o, "utf8");
    expect(statSync(o).size).toBeLessThan(10e6);
    const s = summary(h);
    for (const sp of s.splits) expect(sp.es3).toBeGreaterThan(0.6);
    const b = await open(o, join(shots, "zoo.png"));
    expect(b).toEqual({ drawn: String(specs(h).length), requests: [], errors: [] });
  });
});

describe("inpca report on a full disk and on a read-only folder", () => {
  const mnt = join(tmp, "mnt");
  mkdirSync(mnt, { recursive: true });
  const canMount = process.getuid?.() === 0 && spawnSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", mnt]).status === 0;
  if (canMount) spawnSync("umount", [mnt]);
  else console.warn("full-disk and read-only report tests skipped: cannot mount a tmpfs here (needs root)");
  const zoo = join(root, "data", "zoo");

  it("a page that does not fit leaves no file (not a truncated page, no temporary file), one line naming the path, exit 1", skipWhen(!canMount && "cannot mount a tmpfs here (needs root)", { timeout: 120_000 }), () => {
    expect(spawnSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", mnt]).status).toBe(0);
    try {
      const r = cli([ "report", zoo, "--out", join(mnt, "report.html"), "--quiet", "--max-points", "200"]);
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split("\n")).toEqual([`inpca: ${join(mnt, "report.html")}: cannot write: no space left on the device (ENOSPC)`]);
      expect(spawnSync("ls", ["-A", mnt], { encoding: "utf8" }).stdout.trim()).toBe("");
    } finally {
      spawnSync("umount", [mnt]);
    }
  });

  it("a read-only folder: one line naming the path, exit 1, no stack trace", skipWhen(!canMount && "cannot mount a tmpfs here (needs root)", { timeout: 120_000 }), () => {
    expect(spawnSync("mount", ["-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", mnt]).status).toBe(0);
    try {
      const r = cli(["report", zoo, "--out", join(mnt, "report.html"), "--quiet", "--max-points", "200"]);
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split("\n")).toEqual([`inpca: ${join(mnt, "report.html")}: cannot write: read-only file system (EROFS)`]);
    } finally {
      spawnSync("umount", [mnt]);
    }
  });
});
