/**
 * `inpca report`, the page: the figures of each analysed split (3-D embedding, 2-D panels, explained stress,
 * progress, distance to the geodesic), their facts and captions, the table of runs, the train-and-test section,
 * and the self-contained HTML page around them (plotly.js inline once, nothing fetched).
 */
import { basename, resolve } from "node:path";
import { field, type ModelPoint } from "../core/meta.js";
import type { PredictionSet } from "../core/prediction-set.js";
import { formatSeconds } from "../core/progress.js";
import { landmarkCheckText, type Embedding } from "../core/embedding.js";
import { scatter } from "../plot/charts.js";
import { progressCurves, distanceToGeodesic as plotDistanceToGeodesic } from "../plot/curves.js";
import { coloring } from "../plot/data.js";
import { explainedStress } from "../plot/explained-stress.js";
import type { Figure } from "../plot/figure.js";
import { escapeHtml, figureHeight, htmlPage, plotlyBundle, specJson } from "../plot/html.js";
import { fieldTitle } from "../plot/style.js";
import { trajectories3d } from "../plot/trajectories3d.js";
import { triplot } from "../plot/triplot.js";
import { varyingConfig, type RunRow, type SplitAnalysis, type SplitSummary } from "./report-analyse.js";
import { coordinatesBlock, coordinatesHtml, DOWNLOAD_SCRIPT } from "./report-downloads.js";
import type { Loaded } from "./report-load.js";
import { capitalise, fmtInt, formatValue, num, quantiles } from "./report-text.js";

/** What the page's header says about the whole report (a Report without its html). */
export interface PageSummary {
  source: string;
  kind: "zoo" | "checkpoints";
  dataset: string | null;
  runs: number;
  checkpoints: number;
  classes: number;
  classNames: readonly string[];
  splits: SplitSummary[];
  notes: string[];
  seconds: number;
}

/** What the page's header and footer take from the options of `buildReport`. */
export interface PageOptions {
  /** Page title (default "InPCA report: <folder name>"). */
  title?: string;
  /** The command line shown in the footer. */
  command?: string;
  /** Time stamp shown in the page (default now). */
  date?: Date;
}

/**
 * The HTML sections of the analysed splits, in order (figure ids fig-1, fig-2, … across them), then the
 * train-and-test section when both splits have λ*; a note goes to `notes` when no checkpoint is in both.
 * `folder` names the downloads.
 */
export function reportSections(analysed: readonly SplitAnalysis[], folder: string, notes: string[]): string[] {
  const sections: string[] = [];
  let figureNo = 0;
  for (const a of analysed) {
    const figs = splitFigures(a);
    const block = coordinatesBlock(a.summary.split, a.set, a.emb, a.lambda, varyingConfig(a.set.meta));
    sections.push(splitSection(a.summary, a.set, a.emb, a.lambda, figs.map((f) => ({ ...f, id: `fig-${++figureNo}` })), a.colorBy, coordinatesHtml(block, basename(resolve(folder)))));
  }
  const tr = analysed.find((a) => a.summary.split === "train");
  const te = analysed.find((a) => a.summary.split === "test");
  if (tr?.lambda && te?.lambda) {
    const section = trainTestSection(tr.set, tr.lambda, te.set, te.lambda, tr.colorBy, `fig-${++figureNo}`);
    if (section) sections.push(section);
    else notes.push("Train and test are not compared: no checkpoint is in both splits (matched by run and step).");
  }
  return sections;
}

/** The figures of one split, with their headings and captions. */
function splitFigures(a: SplitAnalysis): { fig: Figure; heading: string; caption: string }[] {
  const { summary, set, emb, all, lambda, colorBy, styleBy } = a;
  const hover = set.models > 2000 ? "minimal" : "full";
  const figs: { fig: Figure; heading: string; caption: string }[] = [];
  figs.push({
    heading: "3-D InPCA embedding",
    fig: trajectories3d(all, { colorBy, styleBy, hover, height: 640, markerSize: set.models > 800 ? 2.5 : undefined, ...(summary.runs > 12 ? { lineWidth: 1.5, lineOpacity: 0.45 } : {}) }),
    caption: `Every checkpoint is a point, each run a line in step order${colorBy ? `, coloured by ${escapeHtml(fieldTitle(colorBy))}` : ""}. ` +
      (set.labels ? "The black line is the ignorance→truth geodesic, the red markers P₀ (uniform predictions) and P* (the labels). " : "") +
      (styleBy ? "Dotted lines and open markers: the runs an ordinary report leaves out (--all-runs), named in the legend by why. " : "") +
      "Axes in √(nats per sample); a red axis title marks a time-like axis (λ < 0). Drag to rotate, scroll to zoom, hover for the checkpoint.",
  });
  figs.push({
    heading: "The same, in 2-D panels",
    fig: triplot(all, { colorBy, styleBy, hover, height: 380, markerSize: set.models > 800 ? 2.5 : undefined, ...(summary.runs > 12 ? { lineWidth: 1, lineOpacity: 0.4 } : {}) }),
    caption: "Axes 1–2, 1–3 and 2–3 of the embedding above, on equal scales: the view the paper prints, without the rotation.",
  });
  figs.push({
    heading: "Explained stress",
    fig: explainedStress(emb, { height: 360 }),
    caption: "Left: ES(k), the share of the stress (the double-centred distance matrix) kept by the first k axes. Right: the eigenvalue ladder |λ<sub>k</sub>| (red: λ < 0, time-like).",
  });
  if (lambda) {
    const curves = clipLongRuns(progressCurves(set, { y: lambda, colorBy, yTitle: "progress λ*", height: 400 }), set);
    figs.push({
      heading: "Progress along the geodesic",
      fig: curves.fig,
      caption: "λ* of each checkpoint: the point of the ignorance→truth geodesic nearest to it (0 = P₀, 1 = P*), against training time, one line per run." + curves.note,
    });
    figs.push({
      heading: "Distance to the geodesic",
      fig: plotDistanceToGeodesic(a.toGeodesic!, { colorBy, height: 380 }),
      caption: "d<sub>B</sub> from each checkpoint to its nearest point on the ignorance→truth geodesic (nats per sample), against that point's λ*: mean ± 1 sd per group over progress bins. How far training strays from the straight way between ignorance and truth.",
    });
  }
  return figs;
}

/**
 * When a few runs last much longer than the rest (pre-training phases, longer schedules), the x axis is
 * first shown up to the end of the typical run (double-click shows everything) and the caption says so.
 */
function clipLongRuns(fig: Figure, set: PredictionSet): { fig: Figure; note: string } {
  const byEpoch = set.meta.every((m) => typeof m.epoch === "number");
  const ends = set.runRows().map((r) => {
    const m = set.meta[r.rows[r.rows.length - 1]!]!;
    return byEpoch ? m.epoch! : m.step;
  });
  const median = quantiles(ends).median;
  const typical = ends.filter((e) => e <= 2 * median);
  const longer = ends.length - typical.length;
  if (!(median > 0) || longer === 0) return { fig, note: "" };
  const end = Math.max(...typical) * 1.04;
  const unit = byEpoch ? "epoch" : "step";
  const xaxis = { ...(fig.layout["xaxis"] as object), range: [0, end], autorange: false };
  return {
    fig: fig.withLayout({ xaxis }),
    note: ` The ${unit} axis stops at the end of the typical run (${unit} ${formatValue(Math.max(...typical))}); ${longer} longer run${longer === 1 ? " continues" : "s continue"} to ${unit} ${formatValue(Math.max(...ends))}: double-click the plot to see ${longer === 1 ? "it" : "them"} whole.`,
  };
}

function splitSection(summary: SplitSummary, set: PredictionSet, emb: Embedding, lambda: Float64Array | null, figs: { fig: Figure; heading: string; caption: string; id: string }[], colorBy: string | undefined, downloads: string): string {
  const { split } = summary;
  const es = emb.explainedStress;
  const ev = Array.from(emb.eigenvalues);
  const timelike = ev.map((l, k) => (l < 0 ? k + 1 : 0)).filter((k) => k > 0);
  const negatives = Array.from(emb.spectrum).filter((l) => l < 0).length;
  const facts: string[] = [];
  facts.push(`<strong>ES(3) = ${es[2]!.toFixed(3)}</strong>: the first three InPCA axes explain ${(100 * es[2]!).toFixed(1)} % of the stress` +
    ` (ES(1) = ${es[0]!.toFixed(3)}${emb.dims > 3 ? `, ES(${emb.dims}) = ${es[emb.dims - 1]!.toFixed(3)}` : ""}${es.length >= 10 ? `, ES(10) = ${es[9]!.toFixed(3)}` : ""}).`);
  facts.push(`Eigenvalues ${ev.map((l, k) => `λ<sub>${k + 1}</sub> = ${l.toPrecision(4)}`).join(", ")} (nats per sample); ` +
    (timelike.length ? `axis ${timelike.join(", ")} ${timelike.length === 1 ? "is" : "are"} time-like (λ < 0)` : "no time-like axis among them") +
    `; ${negatives} of the ${emb.spectrum.length} leading eigenvalues are negative.`);
  if (lambda) {
    const rr = set.runRows();
    const starts = quantiles(rr.map((r) => lambda[r.rows[0]!]!));
    const ends = quantiles(rr.map((r) => lambda[r.rows[r.rows.length - 1]!]!));
    facts.push(`Progress λ*: runs start at ${starts.min.toFixed(2)}–${starts.max.toFixed(2)} and end at ${ends.min.toFixed(2)}–${ends.max.toFixed(2)} (median ${ends.median.toFixed(2)}).`);
  } else {
    facts.push("No labels: the geodesic, P₀/P*, progress λ* and errors are not available for this split.");
  }
  const thinned = summary.embedded < summary.checkpoints ? ` (thinned from ${fmtInt(summary.checkpoints)})` : "";
  const how = emb.landmark
    ? ` Embedded by landmark InPCA: ${fmtInt(emb.landmark.landmarks.length)} landmarks (${emb.landmark.select}), every checkpoint placed from its distances to them; ` +
      (emb.landmark.stress.points >= summary.embedded
        ? `explained stress from all ${fmtInt(emb.landmark.stress.points)} checkpoints, ES(3) = ${emb.landmark.stress.explained.toFixed(3)}.`
        : `explained stress estimated from ${fmtInt(emb.landmark.stress.points)} random checkpoints, ES(3) ≈ ${emb.landmark.stress.explained.toFixed(3)} (95 % ${emb.landmark.stress.low.toFixed(3)}–${emb.landmark.stress.high.toFixed(3)}).`) +
      (emb.landmark.check ? ` The ${escapeHtml(landmarkCheckText(emb.landmark.check, emb.dims))}.` : "") +
      (emb.landmark.warning ? ` <strong>${escapeHtml(emb.landmark.warning)}</strong>` : "")
    : " Embedded by exact InPCA of the full distance matrix.";
  const head = `<p class="lead">${fmtInt(summary.embedded)} checkpoints${thinned} of ${fmtInt(summary.runs)} run${summary.runs === 1 ? "" : "s"} on ${fmtInt(summary.samples)} ${split} samples, ${summary.classes} classes.${how}</p>`;
  const figures = figs.map((f) => [
    `<h3>${escapeHtml(f.heading)}</h3>`,
    `<div id="${f.id}" class="inpca-figure" style="height:${figureHeight(f.fig)}px"><noscript>This figure needs JavaScript.</noscript></div>`,
    `<script type="application/json" class="inpca-spec" data-for="${f.id}" data-kind="${escapeHtml(f.fig.kind)}">${specJson(f.fig)}</script>`,
    `<p class="caption">${f.caption}</p>`,
  ].join("\n"));
  return [
    `<section id="split-${escapeHtml(split)}">`,
    `<h2>${escapeHtml(capitalise(split))} predictions</h2>`,
    head,
    `<ul class="facts">${facts.map((f) => `<li>${f}</li>`).join("")}</ul>`,
    downloads,
    ...figures,
    `<h3>Runs</h3>`,
    runsTableHtml(summary.table, set, colorBy, lambda !== null),
    "</section>",
  ].join("\n");
}

/**
 * Train against test, for the checkpoints both splits have (matched by run and step): λ* on the test samples
 * against λ* on the train samples, with the diagonal, and the final errors. Null when no checkpoint matches.
 */
function trainTestSection(train: PredictionSet, lamTrain: Float64Array, test: PredictionSet, lamTest: Float64Array, colorBy: string | undefined, id: string): string | null {
  // a checkpoint is the same on both splits when its run and step are; when each split is one run (train/ and
  // test/ folders of one run's checkpoints, whose ids are the folder names), by step alone
  const oneRunEach = train.runs().length === 1 && test.runs().length === 1;
  const key = (m: ModelPoint) => (oneRunEach ? String(m.step) : `${m.run}\0${m.step}`);
  const trainRow = new Map(train.meta.map((m, i) => [key(m), i]));
  const pairs: [number, number][] = [];
  test.meta.forEach((m, j) => {
    const i = trainRow.get(key(m));
    if (i !== undefined) pairs.push([i, j]);
  });
  if (pairs.length === 0) return null;
  const x = Float64Array.from(pairs, ([i]) => lamTrain[i]!);
  const y = Float64Array.from(pairs, ([, j]) => lamTest[j]!);
  const meta = pairs.map(([i]) => train.meta[i]!);
  // the lag λ*_train − λ*_test against λ*_train: the two splits agree to within a few hundredths, which a plot of
  // one against the other squeezes onto its diagonal
  const lag = Float64Array.from(x, (v, k) => v - y[k]!);
  const fig0 = scatter(x, lag, { meta, colorBy, xTitle: "progress λ* on the train samples", yTitle: "λ*<sub>train</sub> − λ*<sub>test</sub> (lag of test)", height: 460 });
  const fig = fig0.withLayout({ shapes: [{ type: "line", xref: "paper", x0: 0, x1: 1, yref: "y", y0: 0, y1: 0, line: { color: "#444", width: 1, dash: "dash" } }] });
  const below = pairs.filter((_, k) => y[k]! < x[k]!).length;
  // the last checkpoint of each run that both splits have
  const last = new Map<string, number>();
  pairs.forEach(([i], k) => last.set(train.meta[i]!.run, k));
  const ends = [...last.values()];
  const gap = quantiles(ends.map((k) => x[k]! - y[k]!));
  const errTrain = quantiles(ends.map((k) => train.meta[pairs[k]![0]]!.error).filter((v): v is number => typeof v === "number"));
  const errTest = quantiles(ends.map((k) => test.meta[pairs[k]![1]]!.error).filter((v): v is number => typeof v === "number"));
  const facts = [
    `${fmtInt(pairs.length)} checkpoints of ${fmtInt(ends.length)} runs have predictions on both splits; ${(100 * below / pairs.length).toFixed(0)} % are further along on train than on test (above the zero line of the figure).`,
    `At the end of training λ*<sub>train</sub> − λ*<sub>test</sub> is ${num(gap.min, 3)} to ${num(gap.max, 3)} (median ${num(gap.median, 3)}).`,
    ...(Number.isFinite(errTrain.median) && Number.isFinite(errTest.median)
      ? [`Final error: train median ${num(errTrain.median)} (${num(errTrain.min)}–${num(errTrain.max)}), test median ${num(errTest.median)} (${num(errTest.min)}–${num(errTest.max)}).`]
      : []),
  ];
  return [
    `<section id="train-test">`,
    `<h2>Train and test</h2>`,
    `<ul class="facts">${facts.map((f) => `<li>${f}</li>`).join("")}</ul>`,
    `<h3>How far test lags behind train in progress</h3>`,
    `<div id="${id}" class="inpca-figure" style="height:${figureHeight(fig)}px"><noscript>This figure needs JavaScript.</noscript></div>`,
    `<script type="application/json" class="inpca-spec" data-for="${id}" data-kind="${escapeHtml(fig.kind)}">${specJson(fig)}</script>`,
    `<p class="caption">For each checkpoint, its progress λ* on the train samples minus its progress on the test samples (each split with its own geodesic from ignorance to truth), against the former. Above the dashed zero line the network is further along toward truth on the images it was trained on than on new ones: test trajectories lag, as the paper finds for networks trained to zero error.</p>`,
    "</section>",
  ].join("\n");
}

function runsTableHtml(rows: RunRow[], set: PredictionSet, colorBy: string | undefined, labelled: boolean): string {
  const firstRows = new Map(set.runRows().map((r) => [r.run, r.rows[0]!]));
  const cols = varyingConfig(set.meta).slice(0, 6);
  const hasError = rows.some((r) => r.finalError !== null);
  const hasEpoch = rows.some((r) => r.lastEpoch !== null);
  const hasFlags = rows.some((r) => r.flags.length > 0);
  // the swatch colours are the figures' own categorical colouring, read at each run's first checkpoint
  const swatch = new Map<string, string>();
  const c = colorBy ? coloring(set.meta, [...firstRows.values()], colorBy) : null;
  if (c?.type === "categorical") [...firstRows.keys()].forEach((run, j) => swatch.set(run, c.colors.get(c.values[j]!)!));
  const th = ["run", "checkpoints", hasEpoch ? "last epoch" : "last step", ...(hasError ? ["final error"] : []), ...(labelled ? ["final λ*"] : []), ...(hasFlags ? ["note"] : []), ...cols.map(fieldTitle)];
  const body = rows.map((r) => {
    const color = swatch.get(r.run);
    const dot = color ? `<span class="dot" style="background:${color}"></span>` : "";
    const cells = [
      `<td class="run">${dot}${escapeHtml(r.run)}</td>`,
      `<td class="n">${r.checkpoints}</td>`,
      `<td class="n">${hasEpoch ? formatValue(r.lastEpoch) : r.lastStep}</td>`,
      ...(hasError ? [`<td class="n">${num(r.finalError)}</td>`] : []),
      ...(labelled ? [`<td class="n">${num(r.finalLambda)}</td>`] : []),
      ...(hasFlags ? [`<td class="flag">${r.flags.join(", ")}</td>`] : []),
      ...cols.map((k) => `<td>${escapeHtml(formatValue(r.config[k]))}</td>`),
    ];
    return `<tr>${cells.join("")}</tr>`;
  });
  return `<div class="table-wrap"><table class="runs"><thead><tr>${th.map((h) => `<th>${escapeHtml(h)}</th>`).join("")}</tr></thead><tbody>\n${body.join("\n")}\n</tbody></table></div>`;
}

// ---------------------------------------------------------------------------------------------------------
// The page

const STYLE = `
*{box-sizing:border-box}
body{margin:0;background:#fff;color:#222;font:15px/1.5 "Helvetica Neue",Arial,sans-serif}
main{max-width:1180px;margin:0 auto;padding:24px 28px 48px}
h1{font-size:26px;margin:0 0 4px}
h2{font-size:21px;margin:40px 0 6px;padding-top:14px;border-top:2px solid #222}
h3{font-size:16px;margin:26px 0 6px}
.sub{color:#666;margin:0 0 16px;font-size:13px}
table{border-collapse:collapse;font-size:13px}
th,td{padding:3px 8px;text-align:left;border-bottom:1px solid #e3e3e3;white-space:nowrap}
table.runs th{white-space:normal;max-width:90px;vertical-align:bottom;line-height:1.25}
th{background:#f5f5f5;font-weight:600;position:sticky;top:0}
td.n{text-align:right;font-variant-numeric:tabular-nums}
td.flag{color:#a33}
th{text-align:left}
table.loaded td:first-child{color:#555}
.table-wrap{max-height:520px;overflow:auto;border:1px solid #e3e3e3;display:inline-block;max-width:100%}
.dot{display:inline-block;width:9px;height:9px;border-radius:50%;margin-right:7px;vertical-align:0}
ul.notes{background:#fff8e6;border:1px solid #f0dca8;padding:8px 12px 8px 30px;font-size:13px}
ul.facts{padding-left:20px}
ul.facts li{margin:2px 0}
.lead{margin:4px 0}
.caption{color:#555;font-size:13px;margin:2px 0 0;max-width:900px}
.inpca-figure{width:100%}
nav{margin:14px 0 0}
nav a{margin-right:14px}
footer{margin-top:40px;color:#777;font-size:12px;border-top:1px solid #ddd;padding-top:8px}
code{font-size:12px}
.downloads{font-size:13px;color:#555;margin:8px 0}
.downloads button{font:12px/1.4 "Helvetica Neue",Arial,sans-serif;padding:2px 8px;margin:0 2px;border:1px solid #bbb;border-radius:3px;background:#f7f7f7;cursor:pointer}
.downloads button:hover{background:#eee}
`;

/** Draws every figure from its JSON block; sets data-inpca-drawn on each figure and on <body> when all are drawn. */
const DRAW = `(function () {
  var blocks = document.querySelectorAll("script.inpca-spec"), pending = blocks.length, failed = 0;
  function settle() { if (--pending === 0) document.body.setAttribute("data-inpca-drawn", String(blocks.length - failed)); }
  if (!pending) document.body.setAttribute("data-inpca-drawn", "0");
  Array.prototype.forEach.call(blocks, function (b) {
    var el = document.getElementById(b.getAttribute("data-for"));
    try {
      var s = JSON.parse(b.textContent);
      Plotly.newPlot(el, s.data, s.layout, s.config).then(function () { el.setAttribute("data-inpca-drawn", "1"); settle(); },
        function (e) { failed++; el.textContent = "This figure could not be drawn: " + e; settle(); });
    } catch (e) { failed++; el.textContent = "This figure could not be drawn: " + e; settle(); }
  });
})();`;

/** The whole page: header (what was loaded), notes, the sections, footer, and the summary as JSON for tools. */
export function reportPage(report: PageSummary, loaded: Loaded, sections: string[], options: PageOptions): string {
  const name = basename(resolve(report.source));
  const title = options.title ?? `InPCA report: ${name}`;
  const date = (options.date ?? new Date()).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
  const samples = report.splits.map((s) => `${fmtInt(s.samples)} ${s.split}`).join(", ");
  const classNames = report.classNames.length <= 20 ? `: ${report.classNames.map((c) => escapeHtml(c)).join(", ")}` : "";
  const archs = new Map<string, number>();
  const anySet = [...loaded.sets.values()][0]!;
  for (const r of anySet.runRows()) {
    const a = field(anySet.meta[r.rows[0]!]!, "arch");
    if (a !== undefined && a !== null) archs.set(String(a), (archs.get(String(a)) ?? 0) + 1);
  }
  const rows: [string, string][] = [
    ["source", `<code>${escapeHtml(resolve(report.source))}</code> (${report.kind === "zoo" ? "zoo: manifest.json" : "checkpoint predictions"})`],
    ...(report.dataset ? [["dataset", escapeHtml(report.dataset)] as [string, string]] : []),
    ["runs", fmtInt(report.runs) + (archs.size ? ` — ${[...archs].map(([a, n]) => `${escapeHtml(a)} (${n})`).join(", ")}` : "")],
    ["checkpoints", fmtInt(report.checkpoints) + (report.splits.some((s) => s.embedded < s.checkpoints) ? ` (embedded: ${report.splits.map((s) => `${fmtInt(s.embedded)} ${s.split}`).join(", ")})` : "")],
    ["samples", samples + (loaded.available.length > report.splits.length ? ` (also in the input: ${loaded.available.filter((s) => !report.splits.some((x) => x.split === s)).join(", ")})` : "")],
    ["classes", `${report.classes}${classNames}`],
    ["labels", report.splits.map((s) => `${s.split}: ${s.labelled ? "yes" : "none found"}`).join(", ")],
    ["ES(3)", report.splits.map((s) => `${s.split} ${s.es3.toFixed(3)}`).join(", ")],
  ];
  const summaryJson = JSON.stringify({
    source: resolve(report.source), kind: report.kind, runs: report.runs, checkpoints: report.checkpoints, classes: report.classes,
    splits: report.splits.map((s) => ({ split: s.split, checkpoints: s.checkpoints, embedded: s.embedded, method: s.method, landmarks: s.landmarks, samples: s.samples, runs: s.runs, labelled: s.labelled, es3: s.es3, eigenvalues: s.eigenvalues, geodesicPoints: s.geodesicPoints, finalLambda: Object.fromEntries(s.table.map((r) => [r.run, r.finalLambda])) })),
  }).replace(/<\//g, "<\\/");
  const nav = report.splits.length > 1 ? `<nav>${report.splits.map((s) => `<a href="#split-${escapeHtml(s.split)}">${escapeHtml(capitalise(s.split))}</a>`).join("")}</nav>` : "";
  return htmlPage({
    title,
    style: STYLE,
    body: [
      "<main>",
      `<h1>${escapeHtml(title)}</h1>`,
      `<p class="sub">Intensive PCA of the training runs' predictions (Bhattacharyya distances, Mao et al., PNAS 2024) — generated ${escapeHtml(date)} by inpca, in ${formatSeconds(report.seconds)}.</p>`,
      `<table class="loaded">${rows.map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td>${v}</td></tr>`).join("")}</table>`,
      report.notes.length ? `<ul class="notes">${report.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join("")}</ul>` : "",
      nav,
      ...sections,
      `<footer>Made with <code>${escapeHtml(options.command ?? "inpca report")}</code>. Everything on this page, plotly.js ${escapeHtml(plotlyBundle().version)} included, is in this one file; it works offline.</footer>`,
      "</main>",
      `<script type="application/json" id="inpca-report-summary">${summaryJson}</script>`,
    ],
    scripts: [DRAW, DOWNLOAD_SCRIPT],
  });
}
