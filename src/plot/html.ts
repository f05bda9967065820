/**
 * HTML forms of a figure, rendering with no network.
 *
 * plotly.js (the `plotly.js-dist-min` package, 4.8 MB) travels inside the page itself, in one of two ways:
 * - `standaloneHtml`: a whole page with the bundle inlined as a plain script (for `save(fig, "x.html")` and
 *   the HTML file `show` writes outside a kernel). Works in any browser.
 * - `outputHtml`: a notebook output fragment. Only an output built with `carrier: true` holds plotly.js, as a
 *   gzip+base64 data block (1.9 MB) that the browser decodes with `DecompressionStream`; every other output is
 *   a few kB plus its data and draws with the page's `window.Plotly`. The loader of each output first uses an
 *   already loaded `window.Plotly`, else any carrier anywhere in the page (before or after it, so it works
 *   in a live notebook, a reopened one and an `nbconvert --to html` export alike), else waits for a carrier to
 *   appear (event `inpca-plotly-carrier`), and says so in the output when none ever does.
 */
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import type { PlotSpec } from "./types.js";

/** Significant digits kept for non-integer numbers in serialised figures (plenty for a picture). */
export const SIGNIFICANT_DIGITS = 6;

let bundleCache: { source: string; version: string; path: string } | null = null;
let carrierCache: string | null = null;

/**
 * The plotly.js distribution bundle from the `plotly.js-dist-min` package (read once): its source, version
 * and file path. Throws with an install hint when the package is missing.
 */
export function plotlyBundle(): { source: string; version: string; path: string } {
  if (bundleCache) return bundleCache;
  // __filename in the CommonJS build; the working directory when run from TypeScript sources (tests).
  const req = createRequire(typeof __filename === "string" ? __filename : `${process.cwd()}/`);
  let path: string;
  try {
    path = req.resolve("plotly.js-dist-min");
  } catch {
    throw new Error("inpca: the npm package plotly.js-dist-min is not installed (npm install plotly.js-dist-min); figures need it to render offline");
  }
  const source = readFileSync(path, "utf8");
  const version = /plotly\.js v([\w.\-]+)/.exec(source.slice(0, 400))?.[1] ?? "unknown";
  // "</script" must not end the inline script early (only possible inside strings or comments of the bundle).
  bundleCache = { source: source.replace(/<\/script/gi, "<\\/script"), version, path };
  return bundleCache;
}

/** The plotly.js bundle gzip-compressed (level 9) and base64-encoded, as carried by a notebook output (cached). */
export function plotlyCarrierPayload(): string {
  if (carrierCache === null) carrierCache = gzipSync(Buffer.from(plotlyBundle().source, "utf8"), { level: 9 }).toString("base64");
  return carrierCache;
}

/**
 * JSON text of a figure spec: numeric arrays of at least `BDATA_MIN_LENGTH` entries become Plotly's base64
 * typed arrays, other non-integer numbers keep `SIGNIFICANT_DIGITS` significant digits, non-finite numbers
 * become null (Plotly's gap), and `</`, `<!--` are escaped so the text can sit inside a `<script>` element.
 */
export function specJson(spec: PlotSpec, options: { escapeHtml?: boolean } = {}): string {
  const text = rawSpecJson(spec);
  // only "</" (which could close the script element) and "<!--" need escaping inside a JSON data block;
  // escaping every "<" would cost 6 characters for each "<br>" of the hover text
  return options.escapeHtml === false ? text : text.replace(/<\//g, "<\\/").replace(/<!--/g, "<\\u0021--");
}

/** The same plain object `specJson` serialises (for the `application/vnd.plotly.v1+json` MIME entry). */
export function specObject(spec: PlotSpec): PlotSpec {
  return JSON.parse(specJson(spec, { escapeHtml: false })) as PlotSpec;
}

/** `specJson` and `specObject` of one spec from one serialisation: the script-safe text and the plain object. */
export function specTexts(spec: PlotSpec): { json: string; object: PlotSpec } {
  const raw = rawSpecJson(spec);
  return { json: raw.replace(/<\//g, "<\\/").replace(/<!--/g, "<\\u0021--"), object: JSON.parse(raw) as PlotSpec };
}

// Deep-frozen traces (a live map's base map, redrawn many times) are serialised once: their JSON text and its
// parsed form are kept here. Anything not deep-frozen is serialised every time.
const traceTexts = new WeakMap<object, string>();
const deeplyFrozen = new WeakSet<object>();

function isDeepFrozen(v: unknown): boolean {
  if (v === null || typeof v !== "object") return true;
  if (deeplyFrozen.has(v)) return true;
  if (!Object.isFrozen(v)) return false;
  for (const x of Array.isArray(v) ? v : Object.values(v)) if (x !== null && typeof x === "object" && !isDeepFrozen(x)) return false;
  deeplyFrozen.add(v);
  return true;
}

/** Freezes a trace and everything in it, so that displays serialise it once (see `specJson`). Returns it. */
export function freezeTrace<T extends object>(trace: T): T {
  const walk = (v: unknown): void => {
    if (v === null || typeof v !== "object" || Object.isFrozen(v)) return;
    if (ArrayBuffer.isView(v)) return; // typed arrays cannot be frozen; leave the trace unfrozen then
    for (const x of Array.isArray(v) ? v : Object.values(v)) walk(x);
    Object.freeze(v);
  };
  walk(trace);
  return trace;
}

function traceText(t: unknown): string {
  if (t !== null && typeof t === "object" && isDeepFrozen(t)) {
    let text = traceTexts.get(t);
    if (text === undefined) traceTexts.set(t, (text = JSON.stringify(t, jsonReplacer) ?? "null"));
    return text;
  }
  return JSON.stringify(t, jsonReplacer) ?? "null";
}

/** `JSON.stringify({ data, layout, config }, jsonReplacer)`, trace by trace (frozen traces from the cache). */
function rawSpecJson(spec: PlotSpec): string {
  const parts = [`"data":[${spec.data.map(traceText).join(",")}]`];
  const layout = JSON.stringify(spec.layout, jsonReplacer);
  if (layout !== undefined) parts.push(`"layout":${layout}`);
  parts.push(`"config":${JSON.stringify(spec.config ?? {}, jsonReplacer)}`);
  return `{${parts.join(",")}}`;
}

/** Numeric arrays at least this long are written as base64 float32 (`{dtype: "f4", bdata}`). */
export const BDATA_MIN_LENGTH = 1000;

/**
 * Plotly's typed-array JSON encoding (plotly.js ≥ 2.28, as plotly.py ≥ 6 writes it): little-endian float32 in
 * base64, 5.3 characters per number instead of ~10 (and one line instead of one per number in a notebook file).
 * Gaps (null) become NaN, which Plotly also draws as gaps. Returns null unless every entry is a number or null.
 */
export function encodeNumbers(values: readonly unknown[]): { dtype: "f4"; bdata: string } | null {
  const f = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v === "number") f[i] = v;
    else if (v === null) f[i] = Number.NaN;
    else return null;
  }
  const bytes = new Uint8Array(f.buffer);
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) for (let i = 0; i < bytes.length; i += 4) bytes.subarray(i, i + 4).reverse();
  return { dtype: "f4", bdata: Buffer.from(bytes).toString("base64") };
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (Array.isArray(value) && value.length >= BDATA_MIN_LENGTH && !Array.isArray(value[0])) {
    const encoded = encodeNumbers(value);
    if (encoded) return encoded;
  }
  // a matrix (heat map z): rows of equal length, row-major with Plotly's "rows,cols" shape
  if (Array.isArray(value) && Array.isArray(value[0]) && value.length * (value[0] as unknown[]).length >= BDATA_MIN_LENGTH) {
    const cols = (value[0] as unknown[]).length;
    if (value.every((r) => Array.isArray(r) && r.length === cols)) {
      const encoded = encodeNumbers((value as unknown[][]).flat());
      if (encoded) return { ...encoded, shape: `${value.length},${cols}` };
    }
  }
  if (ArrayBuffer.isView(value) && !(value instanceof DataView) && (value as unknown as ArrayLike<number>).length >= BDATA_MIN_LENGTH) {
    return encodeNumbers(Array.from(value as unknown as ArrayLike<number>));
  }
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return null;
    if (Number.isInteger(value)) return value;
    return Number(value.toPrecision(SIGNIFICANT_DIGITS));
  }
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return Array.from(value as unknown as ArrayLike<number>);
  return value;
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

let idCounter = 0;
/** A page-unique element id for an output (random part so outputs of different sessions never clash). */
export function newFigureId(): string {
  idCounter += 1;
  return `inpca-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}-${idCounter}`;
}

/** Height of a figure in px from its layout (default 500). */
export function figureHeight(spec: PlotSpec): number {
  const h = spec.layout["height"];
  return typeof h === "number" && h > 0 ? h : 500;
}

/**
 * The loader every notebook output runs (ES5, no network): find plotly.js (window, else a carrier block in
 * the page, else wait for one), then draw the spec into the output's div. `%ID%` is replaced by the output id.
 */
const LOADER = `(function () {
  var id = "%ID%";
  var el = document.getElementById(id);
  if (!el) return;
  function say(msg) { el.innerHTML = '<div style="font:13px sans-serif;color:#a33;padding:8px;border:1px solid #e5c0c0;background:#fff7f7">' + msg + '</div>'; }
  function draw(P) {
    var spec = JSON.parse(document.getElementById(id + "-spec").textContent);
    el.innerHTML = "";
    return P.newPlot(el, spec.data, spec.layout, spec.config).then(function () { el.setAttribute("data-inpca-drawn", "1"); });
  }
  function decode(block) {
    if (typeof DecompressionStream === "undefined") return Promise.reject(new Error("this browser lacks DecompressionStream (needed to unpack the embedded plotly.js)"));
    var bin = atob(block.textContent.replace(/\\s+/g, "")), bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream).text().then(function (src) {
      var s = document.createElement("script");
      s.textContent = "(function (module, exports, define) {\\n" + src + "\\n}).call(window);";
      document.head.appendChild(s);
      if (!window.Plotly || !window.Plotly.newPlot) throw new Error("the embedded plotly.js did not load");
      return window.Plotly;
    });
  }
  function plotly() {
    if (window.Plotly && window.Plotly.newPlot) return Promise.resolve(window.Plotly);
    if (window.__inpcaPlotly) return window.__inpcaPlotly;
    var block = document.querySelector("script.inpca-plotly-carrier");
    if (!block) return null;
    window.__inpcaPlotly = decode(block);
    window.__inpcaPlotly.catch(function () { window.__inpcaPlotly = null; });
    return window.__inpcaPlotly;
  }
  function fail(e) { say("This figure could not be drawn: " + (e && e.message ? e.message : e)); }
  var waiting = false;
  function attempt() {
    var p = plotly();
    if (p) { p.then(draw).catch(fail); return; }
    if (waiting) return;
    waiting = true;
    var again = function () { window.removeEventListener("inpca-plotly-carrier", again); waiting = false; attempt(); };
    window.addEventListener("inpca-plotly-carrier", again);
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { if (waiting) again(); });
    else say("Waiting for plotly.js: it is carried by the most recent figure output of the notebook (inpca embeds it once per kernel session). If this message stays, re-run the notebook or call ip.show on any figure.");
  }
  attempt();
})();`;

/** Options of `outputHtml`. */
export interface OutputHtmlOptions {
  /** Embed plotly.js (gzip+base64) in this output (see the module comment). */
  carrier?: boolean;
  /** Element id (default a fresh unique id). */
  id?: string;
  /** The spec's `specJson(spec)` when the caller has it already (a display serialises a figure once). */
  json?: string;
}

/**
 * A notebook `text/html` output fragment for the figure: a div (with a text note for viewers that run no
 * scripts), the spec as a JSON data block, optionally the plotly.js carrier block, and the loader script.
 */
export function outputHtml(spec: PlotSpec, options: OutputHtmlOptions = {}): string {
  const id = options.id ?? newFigureId();
  const height = figureHeight(spec);
  const width = spec.layout["width"];
  const style = `width:${typeof width === "number" ? `${width}px` : "100%"};height:${height}px;`;
  const parts = [
    `<div id="${id}" class="inpca-figure" style="${style}"><div style="font:13px sans-serif;color:#666;padding:8px">Interactive figure (plotly.js, embedded; drawn when the notebook is trusted and runs JavaScript).</div></div>`,
    `<script type="application/json" id="${id}-spec">${options.json ?? specJson(spec)}</script>`,
  ];
  if (options.carrier) {
    parts.push(`<script type="application/octet-stream" class="inpca-plotly-carrier" data-plotly-version="${escapeHtml(plotlyBundle().version)}" data-encoding="gzip+base64">${plotlyCarrierPayload()}</script>`);
    parts.push(`<script>window.dispatchEvent(new Event("inpca-plotly-carrier"));</script>`);
  }
  parts.push(`<script>${LOADER.replace("%ID%", id)}</script>`);
  return parts.join("\n");
}

/** What goes into a self-contained page (see {@link htmlPage}). */
export interface HtmlPage {
  /** The page title (escaped here). */
  title: string;
  /** CSS of the page. */
  style?: string;
  /** Extra lines in <head> (already HTML). */
  head?: readonly string[];
  /** The body (already HTML), followed by the `scripts` (JavaScript sources, run in order after the body). */
  body: readonly string[];
  scripts?: readonly string[];
}

/**
 * The one writer of self-contained HTML pages (standalone figures, `inpca report`): plotly.js inlined as a plain
 * script in <head> (4.8 MB; no network, no decompression, any browser), then the body and its scripts.
 */
export function htmlPage(page: HtmlPage): string {
  return [
    "<!DOCTYPE html>",
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(page.title)}</title>`,
    ...(page.style ? [`<style>${page.style}</style>`] : []),
    ...(page.head ?? []),
    `<script>${plotlyBundle().source}</script>`,
    "</head><body>",
    ...page.body,
    ...(page.scripts ?? []).map((js) => `<script>${js}</script>`),
    "</body></html>",
    "",
  ].join("\n");
}

/** A complete HTML page showing the figure (the page `htmlPage` builds). `title` is the page title. */
export function standaloneHtml(spec: PlotSpec, options: { title?: string } = {}): string {
  const height = figureHeight(spec);
  const width = spec.layout["width"];
  const style = `width:${typeof width === "number" ? `${width}px` : "100%"};height:${height}px;`;
  return htmlPage({
    title: options.title ?? "inpca figure",
    style: "html,body{margin:0;background:#fff}",
    body: [
      `<div id="fig" class="inpca-figure" style="${style}"></div>`,
      `<script type="application/json" id="fig-spec">${specJson(spec)}</script>`,
    ],
    scripts: ['(function(){var s=JSON.parse(document.getElementById("fig-spec").textContent);var el=document.getElementById("fig");Plotly.newPlot(el,s.data,s.layout,s.config).then(function(){el.setAttribute("data-inpca-drawn","1");});})();'],
  });
}
