#!/usr/bin/env node
// npm run figures [-- notebooks/02-manifold-train.ipynb ...] [--out out/figures] [--no-png]
//
// Executes the example notebooks headless with the tslab kernel (registering it for this checkout first),
// writes the executed notebooks, their offline HTML exports and one PNG per figure to the output folder, and
// prints a summary: notebook, status, seconds, and the claims each notebook checked. Works offline.
// Exit code 1 when any notebook fails (an error, or a claim that does not hold).
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const opt = (name) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const out = resolve(opt("--out") ?? join(root, "out", "figures"));
const wantPng = !args.includes("--no-png");
// the package's own choice of Python (Debian's, which has Jupyter, before the python3 on PATH)
const python = existsSync(join(root, "dist", "cli", "kernel.js")) ? (await import(join(root, "dist", "cli", "kernel.js"))).defaultPython() : "python3";
const given = args.filter((a, i) => a.endsWith(".ipynb") && args[i - 1] !== "--out");
const notebooks = given.length ? given.map((p) => resolve(p)) : readdirSync(join(root, "notebooks")).filter((f) => /^\d\d-.*\.ipynb$/.test(f)).sort().map((f) => join(root, "notebooks", f));

function step(label, cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { encoding: "utf8", cwd: root, ...opts });
  if (r.status !== 0) {
    console.error(`figures: ${label} failed:\n${(r.stderr || r.stdout || "").trim().split("\n").slice(-25).join("\n")}`);
    return false;
  }
  return true;
}

/** Newest modification time (ms) of the files under `dir`. */
function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

// the notebooks import the built package: rebuild when it is missing or older than the sources
const built = join(root, "dist", "index.js");
const stale = !existsSync(built) || statSync(built).mtimeMs < newest(join(root, "src"));
if (stale && !step("build", process.execPath, [join(root, "scripts", "build.mjs")], { stdio: "inherit" })) process.exit(1);
// notebooks import the package by name: node_modules/inpca -> this checkout (npm install <pkg> prunes the link)
if (!step("self-link", process.execPath, [join(root, "scripts", "link-self.mjs")])) process.exit(1);
if (!step("kernel registration", process.execPath, [join(root, "scripts", "jupyter-kernel.mjs")])) process.exit(1);
mkdirSync(out, { recursive: true });

/** Lines printed by ip.claim in the executed notebook, and the error (if any) in its outputs. */
function readOutputs(file) {
  const nb = JSON.parse(readFileSync(file, "utf8"));
  const claims = [];
  const infos = [];
  let error = null;
  for (const cell of nb.cells) for (const o of cell.outputs ?? []) {
    const text = o.output_type === "stream" ? [].concat(o.text).join("") : "";
    for (const line of text.split("\n")) {
      if (line.startsWith("claim: ")) claims.push(line.slice(7));
      if (line.startsWith("info: ")) infos.push(line.slice(6));
      if (line.startsWith("claim: ") && line.endsWith("✗")) error ??= `failed claim: ${line.slice(7)}`;
    }
    // tslab reports a cell's exception on stderr (not as an "error" output)
    if (o.output_type === "stream" && o.name === "stderr") {
      const m = /^(\w*(?:Error|Exception)\b.*)$/m.exec(text);
      if (m) error ??= m[1];
      // a TypeScript diagnostic stops the cell before it runs: "4:32 - Property 'x' does not exist ..."
      const d = /^(\d+:\d+ - .*)$/m.exec(text);
      if (d) error ??= `TypeScript: ${d[1]}`;
    }
    if (o.output_type === "error") error ??= `${o.ename}: ${o.evalue}`;
  }
  return { claims, infos, error };
}

const results = [];
for (const nb of notebooks) {
  const name = basename(nb, ".ipynb");
  const t0 = Date.now();
  process.stdout.write(`${name} ... `);
  // --allow-errors: the executed notebook is written even when a cell fails, so the error and the claims made
  // before it are read from the outputs and reported (a failed claim prints its line, then throws)
  const r = spawnSync(python, ["-m", "nbconvert", "--to", "notebook", "--execute", "--allow-errors", "--ExecutePreprocessor.timeout=1200", "--ExecutePreprocessor.iopub_timeout=60", "--ExecutePreprocessor.startup_timeout=600", "--ExecutePreprocessor.kernel_name=tslab", "--output-dir", out, "--output", `${name}.ipynb`, nb], { encoding: "utf8", cwd: dirname(nb), env: { ...process.env, PYDEVD_DISABLE_FILE_VALIDATION: "1" } });
  const seconds = (Date.now() - t0) / 1000;
  const executed = join(out, `${name}.ipynb`);
  let status = r.status === 0 ? "ok" : "FAILED";
  let detail = r.status === 0 ? "" : ((r.stderr ?? "").trim().split("\n").pop() ?? "");
  let claims = [];
  let infos = [];
  if (existsSync(executed) && r.status === 0) {
    const o = readOutputs(executed);
    claims = o.claims;
    infos = o.infos;
    if (o.error) {
      status = "FAILED";
      detail = o.error.split("\n")[0].slice(0, 400);
    } else step(`html export of ${name}`, python, ["-m", "nbconvert", "--to", "html", "--output-dir", out, executed], { env: { ...process.env, PYDEVD_DISABLE_FILE_VALIDATION: "1" } });
  }
  console.log(`${status} ${seconds.toFixed(1)} s${detail ? `: ${detail}` : ""}`);
  for (const c of claims) console.log(`    ${c}`);
  for (const c of infos) console.log(`    info: ${c}`);
  results.push({ name, status, seconds, claims, infos, detail });
}

let pngs = 0;
if (wantPng) {
  try {
    const { screenshotFigures } = await import("./figure-pngs.mjs");
    for (const r of results.filter((x) => x.status === "ok")) pngs += await screenshotFigures(join(out, `${r.name}.html`), join(out, r.name));
  } catch (e) {
    console.warn(`figures: PNG export skipped: ${e.message.split("\n")[0]}`);
  }
}

// the claims as the notebooks made them: counts and table for docs/claims.md (never counted by hand)
const soft = (c) => /\(soft: reported, not enforced\)$/.test(c);
const all = results.flatMap((r) => r.claims.map((c) => ({ nb: r.name.slice(0, 2), c })));
const enforced = all.filter((x) => !soft(x.c));
const softs = all.filter((x) => soft(x.c));
const infoLines = results.flatMap((r) => (r.infos ?? []).map((c) => ({ nb: r.name.slice(0, 2), c })));
const cell = (t) => t.replace(/\|/g, "\\|");
writeFileSync(join(out, "claims.md"), [
  `${enforced.length} enforced claims (${enforced.filter((x) => x.c.endsWith("✓")).length} hold), ${softs.length} soft claims reported but not enforced (${softs.filter((x) => x.c.includes("✓ (soft")).length} hold), ${infoLines.length} information lines, from ${results.length} notebooks.`,
  "",
  "| notebook | kind | claim: measured (paper; rule) |",
  "|---|---|---|",
  ...enforced.map((x) => `| ${x.nb} | enforced | ${cell(x.c)} |`),
  ...softs.map((x) => `| ${x.nb} | soft | ${cell(x.c)} |`),
  ...infoLines.map((x) => `| ${x.nb} | information | ${cell(x.c)} |`),
  "",
].join("\n"));

const total = results.reduce((a, r) => a + r.seconds, 0);
const failed = results.filter((r) => r.status !== "ok");
writeFileSync(join(out, "summary.json"), JSON.stringify({ results, totalSeconds: total }, null, 1));
console.log(`\n${results.length} notebooks, ${failed.length} failed, ${total.toFixed(1)} s in all; ${pngs} figure PNGs; output in ${out}`);
if (failed.length) process.exit(1);
