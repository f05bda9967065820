/**
 * The side-effect edge of the plot layer: `show` (one notebook output per figure) and `save` (HTML, PNG, SVG,
 * PDF files). Everything else in src/plot is pure.
 *
 * In a tslab kernel, `show` sends ONE `display_data` message with three MIME types: the Plotly JSON, an
 * offline `text/html` and `text/plain`. It writes through tslab's internal `lastWriteDisplayData` (the public
 * `tslab.display` sends one MIME type per call) of the tslab copy that runs the kernel, found in Node's module
 * cache, so it works whether tslab is installed in the project, globally, or both.
 *
 * plotly.js travels inside the notebook exactly once: the most recent figure output of the kernel session
 * carries it (gzip+base64, 1.9 MB). When a new figure is shown, the previous carrier is updated in place
 * (`update_display_data` with its display id) to a light copy of itself. So a saved notebook holds one copy
 * whatever cells were re-run, and an `nbconvert --to html` export of it draws every figure with no network
 * (see html.ts for how each output finds the carrier). A restarted kernel cannot update outputs of the previous
 * session, so a notebook re-run piecemeal across restarts may hold one copy per session.
 *
 * This module also gives `Embedding` and `DistanceMatrix` a `[Symbol.for("Jupyter.display")]` method (Deno's
 * kernel renders a last expression through it): a prototype registration made here, so core and geometry do
 * not depend on plot (arrows point down: core ← geometry ← plot).
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, extname, join, resolve } from "node:path";
import { DistanceMatrix } from "../core/distance-matrix.js";
import { InpcaInputError } from "../core/errors.js";
import { Embedding } from "../core/embedding.js";
import { heatmap } from "./charts.js";
import { explainedStress } from "./explained-stress.js";
import { Figure, PLOTLY_MIME, asFigure, mimeBundle, setCarried, type MimeBundle } from "./figure.js";
import { figureHeight, newFigureId, outputHtml, specTexts, standaloneHtml } from "./html.js";
import { trajectories3d } from "./trajectories3d.js";
import { triplot } from "./triplot.js";
import type { PlotSpec } from "./types.js";

/** What `show` and `save` accept: a figure, a plain Plotly spec, an Embedding or a DistanceMatrix. */
export type Showable = Figure | PlotSpec | Embedding | DistanceMatrix;

/** The content of a Jupyter `display_data` message. */
export interface DisplayContent {
  /** The MIME bundle (Plotly JSON, HTML, plain text). */
  data: MimeBundle;
  /** Per-MIME metadata. */
  metadata: Record<string, unknown>;
  /** The display id an output is updated in place by. */
  transient: {
    /** The id of the output to create or update in place. */
    display_id?: string;
  };
}

/** tslab's writer: sends `display_data` (or `update_display_data` when `update`) on the kernel's IOPub channel. */
export type DisplayWriter = (content: DisplayContent, update: boolean) => void;

// __filename in the CommonJS build; the working directory when run from TypeScript sources (tests).
const moduleRequire = createRequire(typeof __filename === "string" ? __filename : `${process.cwd()}/`);

/** The figure for a showable value (an Embedding becomes its 3-D or 2-D InPCA figure, a matrix its heat map). */
export function figureOf(x: Showable): Figure {
  if (x instanceof Figure) return x;
  if (x instanceof Embedding) {
    const colorBy = x.meta.some((m) => m.config && "arch" in m.config) ? "arch" : new Set(x.meta.map((m) => m.run)).size <= 18 ? "run" : undefined;
    if (x.dims >= 3) return trajectories3d(x, { colorBy });
    if (x.dims === 2) return triplot(x, { colorBy });
    return explainedStress(x);
  }
  if (x instanceof DistanceMatrix) return heatmap(x);
  if (x && typeof x === "object" && Array.isArray((x as PlotSpec).data)) return asFigure(x as PlotSpec);
  throw new InpcaInputError("show: expected a Figure (ip.plot.*), a Plotly spec {data, layout}, an Embedding or a DistanceMatrix");
}

function textOf(x: Showable, fig: Figure): string {
  return x instanceof Embedding || x instanceof DistanceMatrix ? `${x.toString()}\n${fig.toString()}` : fig.toString();
}

/**
 * The display writer of the tslab kernel running this process, or null outside a kernel cell. Looks for
 * `tslab/dist/jupyter.js` modules in Node's module cache (the kernel loaded its own copy, wherever it is
 * installed) and takes the one whose `lastWriteDisplayData` is set (it is set while a cell executes).
 */
export function findKernelWriter(cache: Record<string, { exports?: unknown } | undefined> = moduleRequire.cache as Record<string, { exports?: unknown } | undefined>): DisplayWriter | null {
  const keys = Object.keys(cache).filter((k) => /[\\/]tslab[\\/]dist[\\/]jupyter\.js$/.test(k));
  // the kernel's own copy first: next to its entry point (`tslab kernel` runs tslab/dist/main.js)
  const main = moduleRequire.main?.filename ?? process.argv[1] ?? "";
  const own = /[\\/]tslab[\\/]/.test(main) ? main.replace(/[\\/]tslab[\\/].*$/, "") : null;
  if (own) keys.sort((a, b) => Number(b.startsWith(own)) - Number(a.startsWith(own)));
  for (const k of keys) {
    const w = (cache[k]?.exports as { lastWriteDisplayData?: unknown } | undefined)?.lastWriteDisplayData;
    if (typeof w === "function") return w as DisplayWriter;
  }
  return null;
}

/** Deno's Jupyter kernel broadcast, when running in one. */
function denoBroadcast(): ((type: string, content: Record<string, unknown>) => Promise<void>) | null {
  const deno = (globalThis as { Deno?: { jupyter?: { broadcast?: (t: string, c: Record<string, unknown>) => Promise<void> } } }).Deno;
  return typeof deno?.jupyter?.broadcast === "function" ? deno.jupyter.broadcast.bind(deno.jupyter) : null;
}

/** The carrier of this kernel session: the display id and light bundle of the output holding plotly.js. */
let carrier: { id: string; light: MimeBundle } | null = null;

/** Options of `show`. */
export interface ShowOptions {
  /** Width and height in px (override the figure's layout). */
  width?: number;
  /** Height in px. */
  height?: number;
  /** Outside a kernel: folder of the HTML file (default $INPCA_FIGURE_DIR or <tmp>/inpca-figures). */
  dir?: string;
}

let fileCounter = 0;

/**
 * Displays a figure (or an Embedding, DistanceMatrix, plain Plotly spec) inline in the notebook: one output
 * with `application/vnd.plotly.v1+json`, an offline `text/html` and `text/plain` (see the module comment for
 * how plotly.js is carried). Outside a kernel it writes a standalone HTML file and prints its path.
 */
export function show(x: Showable, options: ShowOptions = {}): void {
  present(x, options, null);
}

/** One notebook output that can be redrawn in place (see `showLive`). */
export interface LiveOutput {
  /** Replaces the output's figure (tslab: `update_display_data` on its display id; outside a kernel: rewrites its HTML file). */
  update(x: Showable): void;
  /** The output's display id in a kernel, or the HTML file written outside one. */
  readonly id: string;
}

/**
 * Like `show`, but returns a handle whose `update(fig)` redraws the same output in place, for figures that change
 * while a cell runs (the live map of training). The output stays where it was shown; what a saved notebook holds
 * is the last state. While the output carries plotly.js (it is the session's latest figure), an update sends the
 * carrier again (~1.9 MB), so updates are for every second or so, not every millisecond.
 */
export function showLive(x: Showable, options: ShowOptions = {}): LiveOutput {
  const first = present(x, options, null);
  return { id: first, update: (y) => void present(y, options, first) };
}

/** Shows `x` as a new output (`id` null) or redraws output `id`; returns the output's id (or file). */
function present(x: Showable, options: ShowOptions, id: string | null): string {
  let fig = figureOf(x);
  if (options.width || options.height) fig = fig.withLayout({ ...(options.width ? { width: options.width } : {}), ...(options.height ? { height: options.height } : {}) });
  const text = textOf(x, fig);
  const writer = findKernelWriter();
  if (writer) {
    // one serialisation of the figure for the MIME object and both HTML forms
    const { json: spec, object: json } = specTexts(fig);
    if (id !== null) {
      // an update: the carrier stays the carrier (with this state as its light copy for later); others stay light
      const carries = carrier?.id === id;
      const light: MimeBundle = { [PLOTLY_MIME]: json, "text/html": outputHtml(fig, { carrier: false, id, json: spec }), "text/plain": text };
      writer({ data: carries ? { ...light, "text/html": outputHtml(fig, { carrier: true, id, json: spec }) } : light, metadata: {}, transient: { display_id: id } }, true);
      if (carries) carrier = { id, light };
      return id;
    }
    const fresh = newFigureId();
    const full: MimeBundle = { [PLOTLY_MIME]: json, "text/html": outputHtml(fig, { carrier: true, id: fresh, json: spec }), "text/plain": text };
    writer({ data: full, metadata: {}, transient: { display_id: fresh } }, false);
    if (carrier) writer({ data: carrier.light, metadata: {}, transient: { display_id: carrier.id } }, true);
    carrier = { id: fresh, light: { [PLOTLY_MIME]: json, "text/html": outputHtml(fig, { carrier: false, id: fresh, json: spec }), "text/plain": text } };
    setCarried(true);
    return fresh;
  }
  const deno = denoBroadcast();
  if (deno) {
    const displayId = id ?? newFigureId();
    void deno(id === null ? "display_data" : "update_display_data", { data: mimeBundle(fig, { text }), metadata: {}, transient: { display_id: displayId } });
    return displayId;
  }
  let file = id;
  if (file === null) {
    const dir = resolve(options.dir ?? process.env["INPCA_FIGURE_DIR"] ?? join(tmpdir(), "inpca-figures"));
    mkdirSync(dir, { recursive: true });
    fileCounter += 1;
    file = join(dir, `${fig.kind}-${new Date().toISOString().replace(/[:.]/g, "-")}-${fileCounter}.html`);
  }
  writeFileSync(file, standaloneHtml(fig, { title: fig.title ?? fig.kind }));
  if (id === null) console.log(`${text}\nnot in a notebook kernel: wrote ${file} (open it in a browser)`);
  return file;
}

/** Forgets the carrier of this session (the next `show` output carries plotly.js anyway); for tests. */
export function resetDisplay(): void {
  carrier = null;
  setCarried(false);
}

/** Options of `save`. */
export interface SaveOptions {
  /** Image size in px (default the figure's layout width, else 900, and height, else 500). */
  width?: number;
  /** Image height in px. */
  height?: number;
  /** PNG pixel ratio (default 2). */
  scale?: number;
  /** Chromium executable (default $INPCA_CHROMIUM, else /usr/bin/chromium). */
  executablePath?: string;
  /** Milliseconds to wait for the figure to draw (default 60,000). */
  timeout?: number;
}

/** Command-line flags of the headless Chromium used for images: no GPU, no network services, no profile set-up. */
export const CHROMIUM_ARGS: readonly string[] = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
];

/** The Chromium executable `save` uses, or an Error explaining how to get one. */
export function chromiumPath(explicit?: string): string {
  const path = explicit ?? process.env["INPCA_CHROMIUM"] ?? "/usr/bin/chromium";
  if (!existsSync(path)) {
    throw new Error(
      `inpca.save: PNG, SVG and PDF export drive a headless Chromium, and none was found at ${path}. ` +
      "Install the system's Chromium (Debian/Ubuntu: `sudo apt-get install chromium`, or `bash scripts/system-deps.sh` in this repository) " +
      "or point INPCA_CHROMIUM (or the executablePath option) at a Chrome/Chromium binary. HTML export (save(fig, \"x.html\")) needs no browser.",
    );
  }
  return path;
}

/** playwright-core's Chromium launcher, or an Error saying how to install it. */
function playwright(): { launch: (o: Record<string, unknown>) => Promise<PwBrowser> } {
  try {
    return (moduleRequire("playwright-core") as { chromium: { launch: (o: Record<string, unknown>) => Promise<PwBrowser> } }).chromium;
  } catch {
    throw new Error("inpca.save: PNG, SVG and PDF export need the npm package playwright-core (npm install playwright-core); it drives the system's Chromium and downloads nothing");
  }
}

/** The small part of playwright-core's API used here. */
interface PwPage {
  setContent(html: string, o?: Record<string, unknown>): Promise<void>;
  waitForSelector(s: string, o?: Record<string, unknown>): Promise<unknown>;
  evaluate<T, A>(f: (a: A) => T | Promise<T>, a: A): Promise<T>;
  pdf(o: Record<string, unknown>): Promise<Buffer>;
  route(url: string, handler: (route: { abort(): Promise<void>; continue(): Promise<void>; request(): { url(): string } }) => Promise<void>): Promise<void>;
}
interface PwBrowser {
  newPage(o?: Record<string, unknown>): Promise<PwPage>;
  close(): Promise<void>;
}

/**
 * Writes a figure to `path`; the extension chooses the format:
 * - `.html`: a standalone page with plotly.js inlined (about 5 MB, interactive, offline, any browser);
 * - `.png` (pixel ratio `scale`), `.svg`, `.pdf` (vector, WebGL layers as images): rendered by plotly.js in a
 *   headless Chromium (playwright-core driving the system's browser; never downloads one).
 * Returns the absolute path written.
 */
export async function save(x: Showable, path: string, options: SaveOptions = {}): Promise<string> {
  const fig = figureOf(x);
  const file = resolve(path);
  const ext = extname(file).toLowerCase();
  if (![".html", ".htm", ".png", ".svg", ".pdf"].includes(ext)) throw new InpcaInputError(`save: unknown extension "${ext}" (use .html, .png, .svg or .pdf)`);
  mkdirSync(dirname(file), { recursive: true });
  const width = options.width ?? (typeof fig.layout["width"] === "number" ? (fig.layout["width"] as number) : 900);
  const height = options.height ?? figureHeight(fig);
  const sized = fig.withLayout({ width, height });
  if (ext === ".html" || ext === ".htm") {
    writeFileSync(file, standaloneHtml(sized, { title: fig.title ?? fig.kind }));
    return file;
  }
  const executablePath = chromiumPath(options.executablePath);
  const browser = await playwright().launch({ executablePath, args: [...CHROMIUM_ARGS], headless: true });
  try {
    const page = await browser.newPage({ viewport: { width, height } });
    // no network at all: the page is self-contained
    await page.route("**/*", async (route) => {
      const u = route.request().url();
      if (u.startsWith("data:") || u.startsWith("about:")) await route.continue();
      else await route.abort();
    });
    await page.setContent(standaloneHtml(sized), { waitUntil: "load", timeout: options.timeout ?? 60_000 });
    await page.waitForSelector("#fig[data-inpca-drawn]", { timeout: options.timeout ?? 60_000 });
    const format = ext === ".png" ? "png" : "svg";
    const url = await page.evaluate(
      (a: { format: string; width: number; height: number; scale: number }) =>
        (globalThis as unknown as { Plotly: { toImage(el: unknown, o: Record<string, unknown>): Promise<string> } }).Plotly.toImage(
          (globalThis as unknown as { document: { getElementById(id: string): unknown } }).document.getElementById("fig"),
          { format: a.format, width: a.width, height: a.height, scale: a.scale },
        ),
      { format, width, height, scale: ext === ".png" ? options.scale ?? 2 : 1 },
    );
    const svg = format === "svg" ? decodeDataUrl(url).toString("utf8") : "";
    if (ext === ".png") writeFileSync(file, decodeDataUrl(url));
    else if (ext === ".svg") writeFileSync(file, svg);
    else {
      const pdfPage = await browser.newPage({ viewport: { width, height } });
      await pdfPage.setContent(`<!DOCTYPE html><html><head><style>@page{size:${width}px ${height}px;margin:0}html,body{margin:0;padding:0}svg{display:block}</style></head><body>${svg}</body></html>`, { waitUntil: "load" });
      writeFileSync(file, await pdfPage.pdf({ width: `${width}px`, height: `${height}px`, printBackground: true, pageRanges: "1" }));
    }
    return file;
  } finally {
    await browser.close();
  }
}

/** Bytes of a `data:` URL (base64 or percent-encoded). */
function decodeDataUrl(url: string): Buffer {
  const comma = url.indexOf(",");
  const head = url.slice(0, comma);
  const body = url.slice(comma + 1);
  return head.endsWith(";base64") ? Buffer.from(body, "base64") : Buffer.from(decodeURIComponent(body), "utf8");
}

/** The MIME bundle of any showable value (what Deno's kernel shows for a last expression). */
export function displayBundle(x: Showable): MimeBundle {
  const fig = figureOf(x);
  return mimeBundle(fig, { text: textOf(x, fig) });
}

// Registration hook: Embedding and DistanceMatrix render as figures in kernels that honour Jupyter.display.
for (const cls of [Embedding, DistanceMatrix]) {
  Object.defineProperty(cls.prototype, Symbol.for("Jupyter.display"), {
    value: function jupyterDisplay(this: Embedding | DistanceMatrix): MimeBundle {
      return displayBundle(this);
    },
    configurable: true,
    writable: true,
    enumerable: false,
  });
}

