/**
 * `inpca kernel` and the tools around it when the machine's `python3` is not Debian's: with a python3 first on PATH
 * that has neither Jupyter nor NumPy (as a fresh pyenv or conda one), the kernel registers with Debian's Jupyter,
 * the notebook runner executes a notebook, and the NumPy cross-checks find Debian's Python. Also: the check that
 * tslab's zeromq addon loads (npm 11 skips its install script unless approved), with the fix it names.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { kernelTransportProblem, tslabProject } from "../../src/cli/kernel.js";
import { writeNotebook } from "../helpers/jupyter.js";
import { skipWhen } from "../helpers/skip.js";

const root = resolve(__dirname, "..", "..");
const bin = join(root, "dist", "cli", "main.js");
const work = mkdtempSync(join(tmpdir(), "inpca-kernel-test-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("the kernel's transport (tslab speaks through zeromq's native addon)", () => {
  it("loads in this checkout", () => {
    expect(tslabProject(join(root, "notebooks"))).toBe(root);
    expect(kernelTransportProblem(root)).toBeNull();
  });

  it("names the fix when the addon does not load (a platform without a prebuilt binary, its install script skipped)", () => {
    const project = join(work, "no-addon");
    mkdirSync(join(project, "node_modules", "tslab"), { recursive: true });
    mkdirSync(join(project, "node_modules", "zeromq"), { recursive: true });
    writeFileSync(join(project, "node_modules", "tslab", "package.json"), JSON.stringify({ name: "tslab", version: "1.0.22", main: "index.js" }));
    writeFileSync(join(project, "node_modules", "zeromq", "package.json"), JSON.stringify({ name: "zeromq", version: "6.8.0", main: "index.js" }));
    writeFileSync(join(project, "node_modules", "zeromq", "index.js"), 'throw new Error("No native build was found for platform=plan9 arch=mips");');
    const problem = kernelTransportProblem(project);
    expect(problem).toMatch(/No native build was found for platform=plan9/);
    expect(problem).toContain("npm install-scripts approve zeromq");
    expect(problem).toContain(`npm rebuild zeromq\` in ${project}`);
    expect(kernelTransportProblem(work)).toMatch(/no tslab in/);
  });
});

describe("a project where inpca is a linked folder (npm install /path/to/inpca), without a tslab of its own", () => {
  it("the kernel runs the tslab inpca depends on, and a notebook in that project imports inpca and runs", () => {
    const project = join(work, "linked-project");
    mkdirSync(join(project, "node_modules"), { recursive: true });
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "my-analysis", private: true, dependencies: { inpca: `file:${root}` } }));
    symlinkSync(root, join(project, "node_modules", "inpca"));
    expect(existsSync(join(project, "node_modules", "tslab"))).toBe(false);
    expect(tslabProject(project)).toBe(realpathSync(root));
    // the registered kernel (scripts/jupyter-kernel.mjs writes the launcher) executes a notebook of that project
    expect(spawnSync(process.execPath, [join(root, "scripts", "jupyter-kernel.mjs")], { encoding: "utf8" }).status).toBe(0);
    const nb = join(project, "linked.ipynb");
    writeNotebook(nb, ['import * as ip from "inpca";\nip.notebook("linked");\nip.claim("a notebook runs in a project that links inpca", ip.PredictionSet.fromProbabilities(new Float32Array([0.5, 0.5]), [1, 1, 2]).models, { holds: true, rule: "= 1" });']);
    const r = spawnSync(process.execPath, [join(root, "scripts", "figures.mjs"), "--no-png", "--out", join(project, "out"), nb], { cwd: project, encoding: "utf8" });
    expect(r.stdout + r.stderr).toMatch(/1 notebooks, 0 failed/);
    expect(r.stdout).toContain("a notebook runs in a project that links inpca");
  }, 300_000);
});

// a python3 without site-packages: Debian's own interpreter started with -S sees neither Jupyter nor NumPy
const DEBIAN = "/usr/bin/python3";
const shadowReason = !existsSync(DEBIAN) ? `no ${DEBIAN}`
  : spawnSync(DEBIAN, ["-c", "import nbconvert, numpy"]).status !== 0 ? `${DEBIAN} lacks nbconvert or NumPy (bash scripts/system-deps.sh)`
  : !existsSync(bin) ? "dist/ is not built" : null;
if (shadowReason) console.warn(`python3-on-PATH tests skipped: ${shadowReason}`);

describe("with a python3 first on PATH that has neither Jupyter nor NumPy", skipWhen(shadowReason), () => {
  const shims = join(work, "shims");
  mkdirSync(shims, { recursive: true });
  for (const name of ["python3", "python"]) {
    writeFileSync(join(shims, name), `#!/bin/sh\nexec ${DEBIAN} -S "$@"\n`);
    chmodSync(join(shims, name), 0o755);
  }
  const env = { ...process.env, PATH: `${shims}${delimiter}${process.env["PATH"] ?? ""}` };

  it("the shim is what a bare python3 runs, and it lacks both", () => {
    const r = spawnSync("python3", ["-c", "import sys; print(sys.flags.no_site); import numpy"], { env, encoding: "utf8" });
    expect(r.stdout.trim()).toBe("1");
    expect(r.status).not.toBe(0);
  });

  it("inpca kernel registers with Debian's Jupyter", () => {
    const prefix = join(work, "registry");
    const r = spawnSync(process.execPath, [bin, "kernel", "--prefix", prefix], { cwd: root, env, encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe("");
    const spec = JSON.parse(readFileSync(join(prefix, "share", "jupyter", "kernels", "tslab", "kernel.json"), "utf8")) as { argv: string[] };
    expect(spec.argv[0]).toBe(process.execPath);
  });

  it("the NumPy cross-checks find Debian's Python", () => {
    const tsx = join(root, "node_modules", ".bin", "tsx");
    const r = spawnSync(tsx, ["-e", 'import { python, numpyMissing } from "./test/helpers/python.ts"; console.log(JSON.stringify({ python, numpyMissing }))'], { cwd: root, env, encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ python: DEBIAN, numpyMissing: null });
  });

  it("npm run figures executes a notebook", () => {
    const dir = join(root, "out", "python-on-path");
    mkdirSync(dir, { recursive: true });
    const nb = join(dir, "shadowed.ipynb");
    writeNotebook(nb, ['import * as ip from "inpca";\nip.notebook("shadowed");\nip.claim("a notebook runs with a foreign python3 first on PATH", 1, { holds: true, rule: "= 1" });']);
    const r = spawnSync(process.execPath, [join(root, "scripts", "figures.mjs"), "--no-png", "--out", join(dir, "out"), nb], { cwd: root, env, encoding: "utf8" });
    expect(r.stdout + r.stderr).toMatch(/1 notebooks, 0 failed/);
    expect(r.stdout).toContain("a notebook runs with a foreign python3 first on PATH");
  }, 300_000);
});
