/**
 * Figures the way a user sees them: a real Jupyter Notebook server on localhost with the tslab kernel runs
 * test/notebooks/figures.ipynb in headless Chromium, and every Plotly graph must be drawn with no error output;
 * then the notebook is executed by `jupyter nbconvert --execute`, exported with `--to html`, and the export is
 * opened from a file URL with the network disabled: every figure must still draw. Screenshots and the measured
 * sizes go to out/browser/ (gitignored). test/notebooks/live.ipynb checks the live map of training the same way:
 * its one output must be redrawn in place while the cell runs and end in the final state. Skips, saying why,
 * when chromium, jupyter or playwright-core is absent.
 */
/// <reference lib="dom" />
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { createRequire } from "node:module";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_PYTHON } from "./helpers/python.js";
import { skipWhen } from "./helpers/skip.js";

const root = resolve(__dirname, "..");
const require = createRequire(join(root, "package.json"));
const CHROMIUM = process.env["INPCA_CHROMIUM"] ?? "/usr/bin/chromium";
const PYTHON = DEFAULT_PYTHON;
const work = join(root, "out", "browser");
const shots = join(work, "screenshots");

function missing(): string[] {
  const reasons: string[] = [];
  if (!existsSync(CHROMIUM)) reasons.push(`no chromium at ${CHROMIUM} (Debian: apt-get install chromium)`);
  const py = spawnSync(PYTHON, ["-c", "import notebook, nbconvert, nbclient"], { encoding: "utf8" });
  if (py.status !== 0) reasons.push("jupyter notebook/nbconvert not importable by python3 (Debian: jupyter-notebook jupyter-nbconvert python3-nbclient)");
  try { require.resolve("playwright-core"); } catch { reasons.push("playwright-core is not installed"); }
  if (!existsSync(join(root, "node_modules", ".bin", "tslab"))) reasons.push("tslab is not installed (npm install)");
  if (!existsSync(join(root, "dist", "index.js"))) reasons.push("dist/ is not built (npm run build)");
  return reasons;
}

const reasons = missing();
if (reasons.length) console.log(`browser test skipped: ${reasons.join("; ")}`);

/** Code cells that show a figure in a notebook file. */
function figureCells(file: string): number {
  const nb = JSON.parse(readFileSync(file, "utf8")) as { cells: { cell_type: string; source: string[] | string }[] };
  return nb.cells.filter((c) => c.cell_type === "code" && /ip\.show\(/.test(Array.isArray(c.source) ? c.source.join("") : c.source)).length;
}

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => (a && typeof a === "object" ? ok(a.port) : fail(new Error("no port"))));
    });
  });
}

const sizes: Record<string, number> = {};
const kib = (n: number) => `${(n / 1024 / 1024).toFixed(2)} MB`;

describe("figures in a real Jupyter Notebook and in the offline HTML export", skipWhen(reasons.join("; ")), () => {
  type Pw = typeof import("playwright-core");
  let chromium: Pw["chromium"];
  let browser: Awaited<ReturnType<Pw["chromium"]["launch"]>>;
  let env: NodeJS.ProcessEnv;
  let server: ChildProcess | null = null;

  beforeAll(async () => {
    rmSync(work, { recursive: true, force: true });
    mkdirSync(shots, { recursive: true });
    for (const f of ["figures.ipynb", "large.ipynb", "live.ipynb"]) copyFileSync(join(root, "test", "notebooks", f), join(work, f));
    // a private kernel registry for this checkout (the script is idempotent; see scripts/jupyter-kernel.mjs)
    const prefix = join(work, "jupyter");
    const reg = spawnSync(process.execPath, [join(root, "scripts", "jupyter-kernel.mjs"), "--prefix", prefix, "--python", PYTHON], { encoding: "utf8" });
    expect(reg.status, reg.stderr).toBe(0);
    env = {
      ...process.env,
      JUPYTER_PATH: join(prefix, "share", "jupyter"),
      JUPYTER_CONFIG_DIR: join(work, "jupyter-config"),
      JUPYTER_RUNTIME_DIR: join(work, "jupyter-runtime"),
      PYDEVD_DISABLE_FILE_VALIDATION: "1",
    };
    chromium = (await import("playwright-core")).chromium;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    });
  });

  afterAll(async () => {
    await browser?.close();
    if (server && server.exitCode === null) {
      const exited = new Promise((ok) => server!.once("exit", ok));
      server.kill("SIGTERM");
      const timer = setTimeout(() => server?.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(timer);
    }
    writeFileSync(join(work, "sizes.json"), JSON.stringify(sizes, null, 2));
    console.log(`notebook sizes: ${Object.entries(sizes).map(([k, v]) => `${k} ${kib(v)}`).join(", ")}`);
  });

  let running: { base: string; token: string } | null = null;
  /** The Jupyter Notebook server of this test file (started on first use, stopped in afterAll). */
  async function notebookServer(): Promise<{ base: string; token: string }> {
    if (running) return running;
    const port = await freePort();
    const token = `t${Math.random().toString(36).slice(2)}`;
    server = spawn(PYTHON, ["-m", "notebook", "--no-browser", `--port=${port}`, "--ip=127.0.0.1", `--NotebookApp.token=${token}`, `--notebook-dir=${work}`, "--NotebookApp.open_browser=False", ...(process.getuid?.() === 0 ? ["--allow-root"] : [])], { env, stdio: ["ignore", "ignore", "pipe"] });
    let log = "";
    server.stderr!.on("data", (b: Buffer) => { log += b.toString(); });
    const base = `http://127.0.0.1:${port}`;
    const t0 = Date.now();
    for (;;) {
      try {
        const r = await fetch(`${base}/api/status?token=${token}`);
        if (r.ok) break;
      } catch { /* not up yet */ }
      if (Date.now() - t0 > 60_000) throw new Error(`jupyter notebook did not start:\n${log.slice(-2000)}`);
      await new Promise((ok) => setTimeout(ok, 300));
    }
    running = { base, token };
    return running;
  }

  /** Opens `name` in the notebook server and waits for its kernel. */
  async function openNotebook(name: string) {
    const { base, token } = await notebookServer();
    const page = await browser.newPage({ viewport: { width: 1300, height: 1000 } });
    const pageErrors: string[] = [];
    page.on("pageerror", (e) => pageErrors.push(String(e)));
    await page.goto(`${base}/notebooks/${name}?token=${token}`);
    await page.waitForFunction(() => {
      const J = (window as unknown as { Jupyter?: { notebook?: { kernel?: { is_connected(): boolean } } } }).Jupyter;
      return !!J?.notebook?.kernel?.is_connected();
    }, null, { timeout: 90_000 });
    return { page, pageErrors };
  }

  /** Runs every cell of the open notebook and waits until all have run. */
  async function runAll(page: Awaited<ReturnType<typeof openNotebook>>["page"], timeout = 240_000): Promise<void> {
    await page.evaluate(() => (window as unknown as { Jupyter: { notebook: { execute_all_cells(): void } } }).Jupyter.notebook.execute_all_cells());
    await page.waitForFunction(() => {
      const cells = (window as unknown as { Jupyter: { notebook: { get_cells(): { cell_type: string; input_prompt_number: unknown }[] } } }).Jupyter.notebook.get_cells();
      return cells.filter((c) => c.cell_type === "code").every((c) => typeof c.input_prompt_number === "number");
    }, null, { timeout, polling: 500 });
  }

  it("runs every cell of figures.ipynb in Jupyter Notebook and draws every figure", async () => {
    const expected = figureCells(join(work, "figures.ipynb"));
    const { page, pageErrors } = await openNotebook("figures.ipynb");
    await runAll(page);
    await page.waitForFunction((n) => document.querySelectorAll(".inpca-figure[data-inpca-drawn]").length >= n, expected, { timeout: 120_000, polling: 500 });
    const report = await page.evaluate(() => ({
      drawn: document.querySelectorAll(".inpca-figure[data-inpca-drawn]").length,
      plots: document.querySelectorAll(".js-plotly-plot .main-svg").length,
      gl: document.querySelectorAll(".js-plotly-plot .gl-container canvas").length,
      errors: Array.from(document.querySelectorAll(".output_error, .output_stderr")).map((e) => (e as Element).textContent ?? ""),
      carriers: document.querySelectorAll("script.inpca-plotly-carrier").length,
      failed: Array.from(document.querySelectorAll(".inpca-figure")).filter((e) => /could not be drawn|Waiting for plotly/.test((e as Element).textContent ?? "")).length,
    }));
    expect(report.errors).toEqual([]);
    expect(report.drawn).toBe(expected);
    expect(report.plots).toBeGreaterThanOrEqual(expected);
    expect(report.gl).toBeGreaterThan(0); // the 3-D figures drew WebGL scenes
    expect(report.failed).toBe(0);
    expect(report.carriers).toBe(1); // plotly.js sits in exactly one output, the most recent figure
    expect(pageErrors).toEqual([]);
    const figures = await page.$$(".inpca-figure");
    for (let k = 0; k < figures.length; k++) {
      await figures[k]!.scrollIntoViewIfNeeded();
      await figures[k]!.screenshot({ path: join(shots, `live-${String(k + 1).padStart(2, "0")}.png`) });
    }
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(shots, "live-page.png") });
    // the saved notebook with its outputs: the size a user commits
    await page.evaluate(() => (window as unknown as { Jupyter: { notebook: { save_notebook(): Promise<unknown> } } }).Jupyter.notebook.save_notebook());
    await new Promise((ok) => setTimeout(ok, 1500));
    sizes["live notebook, 12 figures (.ipynb)"] = statSync(join(work, "figures.ipynb")).size;
    await page.close();
  }, 480_000);

  it("the live map of training: one output redrawn in place while the cell runs, ending in the final state", async () => {
    const { page, pageErrors } = await openNotebook("live.ipynb");
    // every redraw renders a new figure element in the same output: count them as they appear
    await page.evaluate(() => {
      const w = window as unknown as { inpcaRendered: number };
      w.inpcaRendered = 0;
      new MutationObserver((records) => {
        for (const r of records) {
          r.addedNodes.forEach((n) => {
            if (n instanceof Element) w.inpcaRendered += (n.matches(".inpca-figure") ? 1 : 0) + n.querySelectorAll(".inpca-figure").length;
          });
        }
      }).observe(document.body, { childList: true, subtree: true });
    });
    await runAll(page, 180_000);
    await page.waitForFunction(() => document.querySelectorAll(".inpca-figure[data-inpca-drawn]").length >= 1, null, { timeout: 60_000, polling: 250 });
    const state = await page.evaluate(() => {
      type Graph = Element & { data?: { name?: string; x?: unknown[] }[] };
      const graphs = Array.from(document.querySelectorAll(".js-plotly-plot")) as Graph[];
      const lines = graphs.flatMap((g) => (g.data ?? []).filter((t) => t.name === "a network, live"));
      const summary = /(\d+) checkpoints, (\d+) redraws/.exec(document.body.innerText);
      return {
        rendered: (window as unknown as { inpcaRendered: number }).inpcaRendered,
        figures: document.querySelectorAll(".inpca-figure").length,
        drawn: document.querySelectorAll(".inpca-figure[data-inpca-drawn]").length,
        livePoints: lines.map((t) => t.x?.length ?? 0),
        summary: summary ? [Number(summary[1]), Number(summary[2])] : null,
        errors: Array.from(document.querySelectorAll(".output_error, .output_stderr")).map((e) => (e as Element).textContent ?? ""),
      };
    });
    expect(state.errors).toEqual([]);
    expect(pageErrors).toEqual([]);
    expect(state.figures).toBe(1); // one output, redrawn in place
    expect(state.drawn).toBe(1);
    expect(state.summary?.[0]).toBe(16);
    expect(state.summary?.[1]).toBe(18); // shown, redrawn at each of the 16 checkpoints (interval 0), and at done()
    expect(state.rendered).toBeGreaterThanOrEqual(4); // and the browser rendered redraws as they came, not only the last
    expect(state.livePoints).toEqual([16, 16, 16]); // the final state: all 16 checkpoints, in each of the 3 panels
    const figure = await page.$(".inpca-figure");
    await figure!.scrollIntoViewIfNeeded();
    await figure!.screenshot({ path: join(shots, "live-map.png") });
    console.log(`live map: ${state.summary?.[1]} redraws sent, ${state.rendered} rendered by the browser`);
    await page.close();
  }, 300_000);

  /** Executes a notebook with nbconvert and exports it to HTML; returns the HTML path. */
  function executeAndExport(name: string): { ipynb: string; html: string } {
    const run = (args: string[]) => {
      const r = spawnSync(PYTHON, ["-m", "nbconvert", ...args], { cwd: work, env, encoding: "utf8", timeout: 300_000 });
      if (r.status !== 0) throw new Error(`nbconvert ${args.join(" ")} failed:\n${r.stderr.slice(-3000)}`);
    };
    run(["--to", "notebook", "--execute", `${name}.ipynb`, "--output", `${name}.executed.ipynb`, "--ExecutePreprocessor.timeout=300", "--ExecutePreprocessor.iopub_timeout=60"]);
    run(["--to", "html", `${name}.executed.ipynb`]);
    return { ipynb: join(work, `${name}.executed.ipynb`), html: join(work, `${name}.executed.html`) };
  }

  /** Opens an HTML file with every network request refused and waits until `expected` figures are drawn. */
  async function openOffline(html: string, expected: number, shotPrefix: string): Promise<{ ms: number }> {
    const context = await browser.newContext({ offline: true, viewport: { width: 1300, height: 1000 } });
    const requested: string[] = [];
    await context.route("**/*", async (route) => {
      const url = route.request().url();
      if (url.startsWith("file:") || url.startsWith("data:") || url.startsWith("blob:")) return route.continue();
      requested.push(url);
      return route.abort();
    });
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on("pageerror", (e) => pageErrors.push(String(e)));
    const t0 = Date.now();
    await page.goto(pathToFileURL(html).href, { waitUntil: "load", timeout: 120_000 });
    await page.waitForFunction((n) => document.querySelectorAll(".inpca-figure[data-inpca-drawn]").length >= n, expected, { timeout: 120_000, polling: 250 });
    const ms = Date.now() - t0;
    const state = await page.evaluate(() => ({
      drawn: document.querySelectorAll(".inpca-figure[data-inpca-drawn]").length,
      plots: document.querySelectorAll(".js-plotly-plot .main-svg").length,
      failed: Array.from(document.querySelectorAll(".inpca-figure")).filter((e) => /could not be drawn|Waiting for plotly/.test((e as Element).textContent ?? "")).length,
      errors: document.querySelectorAll(".output_error, .jp-RenderedText[data-mime-type='application/vnd.jupyter.stderr']").length,
    }));
    expect(state.drawn).toBe(expected);
    expect(state.plots).toBeGreaterThanOrEqual(expected);
    expect(state.failed).toBe(0);
    expect(state.errors).toBe(0);
    expect(pageErrors.filter((e) => !/require|MathJax/i.test(e))).toEqual([]); // the template's own CDN scripts fail offline; ours must not
    const figures = await page.$$(".inpca-figure");
    for (let k = 0; k < figures.length; k++) {
      await figures[k]!.scrollIntoViewIfNeeded();
      await figures[k]!.screenshot({ path: join(shots, `${shotPrefix}-${String(k + 1).padStart(2, "0")}.png`) });
    }
    await context.close();
    return { ms };
  }

  it("executes with nbconvert, and the HTML export draws every figure with the network disabled", async () => {
    const expected = figureCells(join(work, "figures.ipynb"));
    const { ipynb, html } = executeAndExport("figures");
    const nb = JSON.parse(readFileSync(ipynb, "utf8")) as { cells: { outputs?: { output_type: string; data?: Record<string, unknown> }[] }[] };
    const outputs = nb.cells.flatMap((c) => c.outputs ?? []);
    expect(outputs.filter((o) => o.output_type === "error")).toEqual([]);
    const displays = outputs.filter((o) => o.output_type === "display_data");
    expect(displays.length).toBe(expected);
    for (const d of displays) expect(Object.keys(d.data ?? {}).sort()).toEqual(["application/vnd.plotly.v1+json", "text/html", "text/plain"]);
    expect(displays.filter((d) => String(d.data?.["text/html"]).includes('class="inpca-plotly-carrier"')).length).toBe(1);
    sizes["executed notebook, 12 figures (.ipynb)"] = statSync(ipynb).size;
    sizes["HTML export, 12 figures"] = statSync(html).size;
    await openOffline(html, expected, "export");
  }, 480_000);

  it("a notebook with one figure, and one with 20,000 points, export and draw offline", async () => {
    const src = JSON.parse(readFileSync(join(work, "figures.ipynb"), "utf8")) as { cells: { cell_type: string; source: string[] }[] };
    const firstShow = src.cells.findIndex((c) => c.cell_type === "code" && c.source.join("").includes("ip.show("));
    writeFileSync(join(work, "one.ipynb"), JSON.stringify({ ...src, cells: src.cells.slice(0, firstShow + 1) }));
    const one = executeAndExport("one");
    sizes["executed notebook, 1 figure (.ipynb)"] = statSync(one.ipynb).size;
    sizes["HTML export, 1 figure"] = statSync(one.html).size;
    await openOffline(one.html, 1, "one");
    const large = executeAndExport("large");
    sizes["executed notebook, 20,000 points in 2 figures (.ipynb)"] = statSync(large.ipynb).size;
    const { ms } = await openOffline(large.html, 2, "large");
    console.log(`20,000-point notebook export drawn in ${ms} ms`);
  }, 600_000);
});
