/**
 * Deno's Jupyter kernel (`deno jupyter`), headless through nbconvert: a notebook imports the built ESM entry by
 * path, computes distances on the worker pool (the worker is a .cjs file, which Deno reads as CommonJS) and shows
 * a figure as a cell's last value (Symbol.for("Jupyter.display")). Cells run through jupyter_client
 * (test/helpers/run-kernel.py), not nbconvert, for the reason given below. Deno comes from the npm package `deno`, a
 * devDependency; the test is skipped, with the reason, only where that binary cannot run.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { jupyterMissing, outputText, privateJupyter, type CellOutput } from "../helpers/jupyter.js";
import { DEFAULT_PYTHON } from "../helpers/python.js";
import { skipWhen } from "../helpers/skip.js";

const root = resolve(__dirname, "..", "..");
const deno = join(root, "node_modules", ".bin", "deno");
const work = mkdtempSync(join(tmpdir(), "inpca-deno-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const denoVersion = existsSync(deno) ? spawnSync(deno, ["--version"], { encoding: "utf8" }) : null;
const reason = !denoVersion ? `no deno binary at ${deno} (npm ci installs the deno devDependency)`
  : denoVersion.status !== 0 ? `deno does not run here: ${(denoVersion.stderr || String(denoVersion.error)).trim()}`
  : jupyterMissing() ?? (existsSync(join(root, "dist", "index.mjs")) ? null : "dist/ is not built");
if (reason) console.warn(`Deno notebook test skipped: ${reason}`);

describe("a Deno notebook", skipWhen(reason), () => {
  it("computes distances on workers and displays a figure as the cell's last value", () => {
    const registry = join(work, "jupyter");
    const kernel = join(registry, "share", "jupyter", "kernels", "deno");
    mkdirSync(kernel, { recursive: true });
    writeFileSync(join(kernel, "kernel.json"), JSON.stringify({ argv: [deno, "jupyter", "--kernel", "--conn", "{connection_file}"], display_name: "Deno", language: "typescript" }));
    const entry = join(root, "dist", "index.mjs");
    const cells = join(work, "cells.json");
    writeFileSync(cells, JSON.stringify([
      `import * as ip from "${entry}";\nconst M = 300, S = 200, C = 10;\nconst probs = new Float32Array(M * S * C).map((_, i) => 1 + ((i * 2654435761) % 97));\nconst set = ip.PredictionSet.fromProbabilities(probs, [M, S, C], { renormalize: true, meta: Array.from({ length: M }, (_, m) => ({ run: "r" + (m % 4), step: m })) });\nconst D = await ip.bhattacharyya(set, { threads: 2 });\nconst ref = ip.bhattacharyyaSync(set);\nconst same = D.data.every((v, i) => v === ref.data[i]);\nconsole.log("distances", D.rows, "same bits", same);`,
      `const emb = ip.inpca(D, { dims: 3 });\nip.plot.trajectories3d(emb)`,
    ]));
    // Deno's kernel sometimes publishes a cell's execute_result after its idle status (measured: 3 runs in 8), which
    // nbclient (nbconvert --execute) drops while a notebook front end shows it; run-kernel.py reads IOPub as a
    // front end does, with a grace period after idle.
    const out = join(work, "outputs.json");
    const r = spawnSync(DEFAULT_PYTHON, [join(root, "test", "helpers", "run-kernel.py"), "deno", cells, out], {
      env: { ...process.env, ...privateJupyter(registry), DENO_DIR: join(work, "deno-cache"), DENO_NO_UPDATE_CHECK: "1" }, encoding: "utf8", timeout: 170_000,
    });
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    const outputs = JSON.parse(readFileSync(out, "utf8")) as CellOutput[][];
    const figureOf = (o: CellOutput[][]) => o[1]!.find((x) => x.output_type === "execute_result" || x.output_type === "display_data");
    expect(outputs.flat().filter((o) => o.output_type === "error")).toEqual([]);
    expect(outputs[0]!.map(outputText).join("")).toContain("distances 300 same bits true");
    const fig = figureOf(outputs);
    expect(fig?.data?.["application/vnd.plotly.v1+json"], JSON.stringify(outputs[1]).slice(0, 500)).toBeDefined();
    expect(String(fig?.data?.["text/html"] ?? "")).toContain("Plotly");
  }, 180_000);
});
