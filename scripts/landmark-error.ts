/**
 * `npx tsx scripts/landmark-error.ts [--out docs/figures]`: how far landmark InPCA is from exact InPCA as the
 * number of landmarks L grows, on the 12,000 model-points of test/geometry/landmark.test.ts (400 runs × 30 checkpoints of
 * smooth synthetic trajectories in six groups, 40 samples, 10 classes), for "spread" and "random" landmarks.
 * Prints a Markdown table (per-axis relative error after sign alignment, ES(3) estimated with its 95 % interval
 * against the exact value, seconds) and writes `landmark-error.png` into --out: a log–log figure of the axis
 * errors against L, taken in headless Chromium (the page itself stays in the temporary folder). A measurement, not a test.
 */
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bhattacharyya, inpca, landmarkInpca, shutdownPool } from "../src/index";
import { standaloneHtml } from "../src/plot/html";
import { axisErrors, trajectorySet } from "../test/helpers/data";

const out = process.argv.includes("--out") ? process.argv[process.argv.indexOf("--out") + 1]! : "docs/figures";
const SIZES = [100, 200, 500, 1000, 1500, 3000];
const SELECT = ["spread", "random"] as const;

(async () => {
  const set = trajectorySet(400, 30, 40, 10, 3);
  let t = Date.now();
  const exact = inpca(await bhattacharyya(set, { showProgress: false }), { dims: 3 });
  const exactSeconds = (Date.now() - t) / 1000;
  const pct = (x: number) => `${(100 * x).toFixed(x < 0.01 ? 2 : 1)} %`;
  const rows: string[] = [];
  const series: Record<string, { L: number[]; err: number[][] }> = {};
  for (const select of SELECT) {
    series[select] = { L: [], err: [[], [], []] };
    for (const L of SIZES) {
      t = Date.now();
      const lm = await landmarkInpca(set, { landmarks: L, dims: 3, select, showProgress: false });
      const seconds = (Date.now() - t) / 1000;
      const err = axisErrors(lm, exact, 3);
      const s = lm.landmark!.stress;
      series[select]!.L.push(L);
      err.forEach((e, k) => series[select]!.err[k]!.push(e));
      rows.push(`| ${L.toLocaleString("en")} | ${select} | ${err.map(pct).join(" | ")} | ${s.explained.toFixed(3)} (${s.low.toFixed(3)}–${s.high.toFixed(3)}) | ${exact.explainedStress[2]!.toFixed(3)} | ${seconds.toFixed(1)} |`);
      process.stderr.write(`${rows.at(-1)}\n`);
    }
  }
  console.log(`12,000 model-points × 40 samples × 10 classes; exact InPCA ${exactSeconds.toFixed(0)} s\n`);
  console.log("| landmarks | selection | axis 1 | axis 2 | axis 3 | ES(3) landmark (95 %) | ES(3) exact | seconds |");
  console.log("|---:|---|---:|---:|---:|---|---:|---:|");
  for (const r of rows) console.log(r);
  const dash = { spread: "solid", random: "dot" } as const;
  const colors = ["#4269d0", "#efb118", "#ff725c"];
  const data = SELECT.flatMap((select) => [0, 1, 2].map((k) => ({
    type: "scatter", mode: "lines+markers", name: `axis ${k + 1}, ${select}`, x: series[select]!.L, y: series[select]!.err[k],
    line: { color: colors[k], dash: dash[select], width: 2 }, marker: { size: 6 },
  })));
  const spec = {
    data,
    layout: {
      title: { text: "Landmark InPCA against exact InPCA: 12,000 model-points" }, width: 760, height: 480,
      xaxis: { type: "log", title: { text: "landmarks L" } }, yaxis: { type: "log", title: { text: "relative error of the axis (after sign alignment)" }, exponentformat: "power" },
      legend: { x: 1.02, y: 1 }, margin: { l: 80, r: 20, t: 60, b: 60 }, template: { layout: { font: { family: "Helvetica, Arial, sans-serif", size: 13 } } },
    },
  };
  const html = join(tmpdir(), "inpca-landmark-error.html");
  writeFileSync(html, standaloneHtml(spec as never, { title: "landmark error against L" }));
  try {
    const { screenshotFigures } = await import("./figure-pngs.mjs" as string);
    const dir = join(tmpdir(), "inpca-landmark-error");
    await screenshotFigures(html, dir);
    const { copyFileSync, rmSync } = await import("node:fs");
    copyFileSync(join(dir, "fig-01.png"), join(out, "landmark-error.png"));
    rmSync(dir, { recursive: true, force: true });
  } catch (e) {
    process.stderr.write(`landmark-error: no PNG (${(e as Error).message})\n`);
  }
  await shutdownPool();
})();
