/**
 * `npx tsx scripts/landmark-error.ts [--out docs/figures]`: how far landmark InPCA is from exact InPCA as the
 * number of landmarks L grows, on the shipped zoo (data/zoo, finished runs, 3,707 checkpoints a split, 500 samples,
 * 10 classes), for "pivoted" (the default) and "spread" landmarks, both splits. Prints a Markdown table (relative
 * error of the 3-D signed distances between all pairs; the embedding's own estimate of it with its 95 % upper
 * bound; the three axes' errors after sign alignment; ES(3) against exact; seconds) and writes
 * `landmark-error.png` into --out: the measured error and the estimate's upper bound against L, log–log, taken in
 * headless Chromium. A measurement, not a test.
 */
import { copyFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bhattacharyya, inpca, landmarkInpca, loadZoo, shutdownPool, zooSource, type Embedding } from "../src/index";
import { standaloneHtml } from "../src/plot/html";
import { axisErrors } from "../test/helpers/data";

const out = process.argv.includes("--out") ? process.argv[process.argv.indexOf("--out") + 1]! : "docs/figures";
const SIZES = [100, 200, 400, 1000, 2000];
const SELECT = ["pivoted", "spread"] as const;
const SPLITS = ["train", "test"] as const;

function distanceError(a: Embedding, b: Embedding): number {
  const A = a.signedDistances(3).data, B = b.signedDistances(3).data;
  let e = 0, n = 0;
  for (let i = 0; i < A.length; i++) {
    e += (A[i]! - B[i]!) ** 2;
    n += B[i]! ** 2;
  }
  return Math.sqrt(e / n);
}

(async () => {
  const zoo = loadZoo(join(__dirname, "..", "data", "zoo"));
  const finished = { where: (r: { finished?: boolean }) => r.finished !== false };
  const pct = (x: number) => `${(100 * x).toFixed(x < 0.01 ? 2 : 1)} %`;
  const rows: string[] = [];
  const series: { name: string; x: number[]; y: number[]; dash: string; color: string }[] = [];
  const colors = { pivoted: "#4269d0", spread: "#ff725c" };
  for (const split of SPLITS) {
    const exact = inpca(await bhattacharyya(zoo.predictions(split, finished), { showProgress: false }), { dims: 3 });
    for (const select of SELECT) {
      const measured: number[] = [], bound: number[] = [];
      for (const L of SIZES) {
        const t = Date.now();
        const lm = await landmarkInpca(zooSource(zoo, split, finished), { landmarks: L, select, showProgress: false, warnAbove: Infinity });
        const seconds = (Date.now() - t) / 1000;
        const d = distanceError(lm, exact), c = lm.landmark!.check!.distanceError;
        measured.push(d);
        bound.push(c.high);
        rows.push(`| ${L.toLocaleString("en")} | ${split} | ${select} | ${pct(d)} | ${pct(c.estimate)} (≤ ${pct(c.high)}) | ${axisErrors(lm, exact, 3).map(pct).join(", ")} | ${lm.explainedStress[2]!.toFixed(4)} / ${exact.explainedStress[2]!.toFixed(4)} | ${seconds.toFixed(1)} |`);
        process.stderr.write(`${rows.at(-1)}\n`);
      }
      series.push({ name: `${select}, ${split}: measured`, x: SIZES, y: measured, dash: split === "train" ? "solid" : "dash", color: colors[select] });
      series.push({ name: `${select}, ${split}: estimate's 95 % bound`, x: SIZES, y: bound, dash: "dot", color: colors[select] });
    }
  }
  console.log("| landmarks | split | selection | 3-D distances | estimate (≤ 95 % bound) | axes 1, 2, 3 | ES(3) landmark / exact | seconds |");
  console.log("|---:|---|---|---:|---|---|---|---:|");
  for (const r of rows) console.log(r);
  const spec = {
    data: series.map((s) => ({ type: "scatter", mode: "lines+markers", name: s.name, x: s.x, y: s.y, line: { color: s.color, dash: s.dash, width: s.dash === "dot" ? 1.5 : 2.5 }, marker: { size: s.dash === "dot" ? 4 : 7 } })),
    layout: {
      title: { text: "Landmark InPCA against exact InPCA on the shipped zoo (3,707 checkpoints a split)" }, width: 900, height: 520,
      xaxis: { type: "log", title: { text: "landmarks L" } },
      yaxis: { type: "log", title: { text: "relative error of the 3-D signed distances" }, exponentformat: "power" },
      legend: { x: 1.02, y: 1 }, margin: { l: 80, r: 20, t: 60, b: 60 },
      shapes: [{ type: "line", xref: "paper", x0: 0, x1: 1, y0: 0.03, y1: 0.03, line: { color: "#888", width: 1, dash: "dash" } }],
      annotations: [{ xref: "paper", x: 0.01, y: Math.log10(0.03), yref: "y", text: "3 %", showarrow: false, yshift: 8, font: { color: "#666" } }],
      template: { layout: { font: { family: "Helvetica, Arial, sans-serif", size: 13 } } },
    },
  };
  const html = join(tmpdir(), "inpca-landmark-error.html");
  writeFileSync(html, standaloneHtml(spec as never, { title: "landmark error against L" }));
  try {
    const { screenshotFigures } = await import("./figure-pngs.mjs" as string);
    const dir = join(tmpdir(), "inpca-landmark-error");
    await screenshotFigures(html, dir);
    copyFileSync(join(dir, "fig-01.png"), join(out, "landmark-error.png"));
    rmSync(dir, { recursive: true, force: true });
  } catch (e) {
    process.stderr.write(`landmark-error: no PNG (${(e as Error).message})\n`);
  }
  await shutdownPool();
})();
