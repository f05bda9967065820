/**
 * The report's downloads: each split's InPCA coordinates as CSV (with run, configuration, step, epoch, λ*, error)
 * and as `.npy` (float64 [checkpoints, axes], rows in the CSV's order), built in the page from one JSON block per
 * split, so the page stays one file and carries the numbers once (coordinates as base64 float64, exact).
 */
import type { ConfigValue } from "../core/meta.js";
import type { PredictionSet } from "../core/prediction-set.js";
import type { Embedding } from "../core/embedding.js";
import { escapeHtml } from "../plot/html.js";

/** What the page carries of one split's coordinates (see DOWNLOAD_SCRIPT for the files made from it). */
export interface CoordinatesBlock {
  split: string;
  /** Checkpoints (rows) and InPCA axes (columns). */
  points: number;
  dims: number;
  /** Run ids, and each row's index into them. */
  runs: string[];
  run: number[];
  step: number[];
  epoch: (number | null)[];
  /** λ* of each row, or null when the split has no labels. */
  progress: (number | null)[] | null;
  error: (number | null)[];
  /** Configuration fields that vary between runs: one value per run. */
  config: Record<string, (ConfigValue | null)[]>;
  /** Which axes are time-like (λ < 0). */
  timelike: boolean[];
  /** float64 little-endian [points, dims], base64. */
  coords: string;
}

/** The block of `emb`'s model-point coordinates (rows of `set`, in order) with their metadata. */
export function coordinatesBlock(split: string, set: PredictionSet, emb: Embedding, progress: Float64Array | null, configFields: readonly string[]): CoordinatesBlock {
  const M = set.models;
  if (emb.points !== M) throw new Error(`coordinatesBlock: ${emb.points} embedded points for ${M} checkpoints`);
  const runs: string[] = [];
  const firstRow: number[] = [];
  const index = new Map<string, number>();
  const run = set.meta.map((m, i) => {
    let k = index.get(m.run);
    if (k === undefined) {
      index.set(m.run, (k = runs.length));
      runs.push(m.run);
      firstRow.push(i);
    }
    return k;
  });
  const config: Record<string, (ConfigValue | null)[]> = {};
  // configuration values proper (`config`), not top-level fields of the same name
  for (const k of configFields) config[k] = firstRow.map((i) => (set.meta[i]!.config?.[k] ?? null) as ConfigValue | null);
  const bytes = new Uint8Array(M * emb.dims * 8);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < M * emb.dims; i++) view.setFloat64(8 * i, emb.coords[i]!, true);
  const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : null);
  return {
    split, points: M, dims: emb.dims, runs, run,
    step: set.meta.map((m) => m.step), epoch: set.meta.map((m) => num(m.epoch)),
    progress: progress ? Array.from(progress, (v) => (Number.isFinite(v) ? v : null)) : null,
    error: set.meta.map((m) => num(m.error)), config, timelike: [...emb.timelike],
    coords: Buffer.from(bytes).toString("base64"),
  };
}

/** The JSON block and the two download buttons of a split (`stem` begins the file names). */
export function coordinatesHtml(block: CoordinatesBlock, stem: string): string {
  // every "<" escaped: no run id or configuration value can end the data block or open a comment in it
  const json = JSON.stringify(block).replace(/</g, "\\u003c");
  const name = (ext: string) => escapeHtml(`${stem}-${block.split}-coordinates.${ext}`);
  return [
    `<script type="application/json" class="inpca-coords" data-split="${escapeHtml(block.split)}">${json}</script>`,
    `<p class="downloads">Coordinates of the ${block.points.toLocaleString("en-US")} checkpoints on ${block.dims} axes: ` +
      `<button type="button" class="inpca-download" data-split="${escapeHtml(block.split)}" data-format="csv" data-file="${name("csv")}">${name("csv")}</button> ` +
      `(run, configuration, step, epoch, λ*, error, InPCA 1…${block.dims}) ` +
      `<button type="button" class="inpca-download" data-split="${escapeHtml(block.split)}" data-format="npy" data-file="${name("npy")}">${name("npy")}</button> ` +
      `(float64 [${block.points}, ${block.dims}], rows as in the CSV; <code>numpy.load</code>, <code>loadNpy</code> of <code>inpca/io</code>).</p>`,
  ].join("\n");
}

/**
 * Page script: `window.inpcaCoordinates.csv(block)` (text) and `.npy(block)` (Uint8Array, NumPy format 1.0), and
 * the download buttons. Plain ES5 so it runs wherever the page does; tests run it in Node's vm.
 */
export const DOWNLOAD_SCRIPT = `(function () {
  function bytes(b64) { var s = atob(b64), out = new Uint8Array(s.length); for (var i = 0; i < s.length; i++) out[i] = s.charCodeAt(i); return out; }
  function coords(d) { var b = bytes(d.coords), v = new DataView(b.buffer), n = d.points * d.dims, out = new Float64Array(n); for (var i = 0; i < n; i++) out[i] = v.getFloat64(8 * i, true); return out; }
  function cell(v) { if (v === null || v === undefined) return ""; var s = String(v); return /[",\\n\\r]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s; }
  function csv(d) {
    var fixed = ["run", "step", "epoch", "progress", "error"], keys = Object.keys(d.config), x = coords(d);
    // a configuration field named like a fixed column is written as config.<name>
    var head = ["run"].concat(keys.map(function (k) { return fixed.indexOf(k) >= 0 || /^inpca\\d/.test(k) ? "config." + k : k; }), ["step", "epoch", "progress", "error"]);
    for (var k = 0; k < d.dims; k++) head.push("inpca" + (k + 1) + (d.timelike[k] ? "_timelike" : ""));
    var lines = [head.map(cell).join(",")];
    for (var i = 0; i < d.points; i++) {
      var r = d.run[i], row = [d.runs[r]];
      for (var j = 0; j < keys.length; j++) row.push(d.config[keys[j]][r]);
      row.push(d.step[i], d.epoch[i], d.progress ? d.progress[i] : null, d.error[i]);
      for (var a = 0; a < d.dims; a++) row.push(x[i * d.dims + a]);
      lines.push(row.map(cell).join(","));
    }
    return lines.join("\\n") + "\\n";
  }
  function npy(d) {
    var dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (" + d.points + ", " + d.dims + "), }";
    var len = dict.length + 1; while ((10 + len) % 64) len++;
    while (dict.length < len - 1) dict += " ";
    dict += "\\n";
    var data = bytes(d.coords), out = new Uint8Array(10 + len + data.length);
    out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, len & 255, len >> 8]);
    for (var i = 0; i < len; i++) out[10 + i] = dict.charCodeAt(i);
    out.set(data, 10 + len);
    return out;
  }
  window.inpcaCoordinates = { csv: csv, npy: npy };
  Array.prototype.forEach.call(document.querySelectorAll("button.inpca-download"), function (btn) {
    btn.addEventListener("click", function () {
      var block = document.querySelector('script.inpca-coords[data-split="' + btn.getAttribute("data-split") + '"]');
      var d = JSON.parse(block.textContent), isCsv = btn.getAttribute("data-format") === "csv";
      var blob = new Blob([isCsv ? csv(d) : npy(d)], { type: isCsv ? "text/csv" : "application/octet-stream" });
      var a = document.createElement("a");
      a.href = URL.createObjectURL(blob);
      a.download = btn.getAttribute("data-file");
      document.body.appendChild(a); a.click(); a.remove();
      setTimeout(function () { URL.revokeObjectURL(a.href); }, 10000);
    });
  });
})();`;
