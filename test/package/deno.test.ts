/**
 * Deno's Jupyter kernel (`deno jupyter`), headless through nbconvert: a notebook imports the built ESM entry by
 * path, computes distances on the worker pool (the worker is a .cjs file, which Deno reads as CommonJS) and shows
 * a figure as a cell's last value (Symbol.for("Jupyter.display")). Deno comes from the npm package `deno`, a
 * devDependency; the test is skipped, with the reason, only where that binary cannot run.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { executeNotebook, jupyterMissing, outputText, privateJupyter, writeNotebook, type CellOutput } from "../helpers/jupyter.js";

const root = resolve(__dirname, "..", "..");
const deno = join(root, "node_modules", ".bin", "deno");
const work = mkdtempSync(join(tmpdir(), "inpca-deno-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const denoVersion = existsSync(deno) ? spawnSync(deno, ["--version"], { encoding: "utf8" }) : null;
const reason = !denoVersion ? `no deno binary at ${deno} (npm ci installs the deno devDependency)`
  : denoVersion.status !== 0 ? `deno does not run here: ${(denoVersion.stderr || String(denoVersion.error)).trim()}`
  : jupyterMissing() ?? (existsSync(join(root, "dist", "index.mjs")) ? null : "dist/ is not built");
if (reason) console.warn(`Deno notebook test skipped: ${reason}`);

describe.skipIf(!!reason)("a Deno notebook", () => {
  it("computes distances on workers and displays a figure as the cell's last value", () => {
    const registry = join(work, "jupyter");
    const kernel = join(registry, "share", "jupyter", "kernels", "deno");
    mkdirSync(kernel, { recursive: true });
    writeFileSync(join(kernel, "kernel.json"), JSON.stringify({ argv: [deno, "jupyter", "--kernel", "--conn", "{connection_file}"], display_name: "Deno", language: "typescript" }));
    const nb = join(work, "deno.ipynb");
    const entry = join(root, "dist", "index.mjs");
    writeNotebook(nb, [
      `import * as ip from "${entry}";\nconst M = 300, S = 200, C = 10;\nconst probs = new Float32Array(M * S * C).map((_, i) => 1 + ((i * 2654435761) % 97));\nconst set = ip.PredictionSet.fromProbabilities(probs, [M, S, C], { renormalize: true, meta: Array.from({ length: M }, (_, m) => ({ run: "r" + (m % 4), step: m })) });\nconst D = await ip.bhattacharyya(set, { threads: 2 });\nconst ref = ip.bhattacharyyaSync(set);\nconst same = D.data.every((v, i) => v === ref.data[i]);\nconsole.log("distances", D.rows, "same bits", same);`,
      `const emb = ip.inpca(D, { dims: 3 });\nip.plot.trajectories3d(emb)`,
    ], "deno", "typescript");
    const run = () => executeNotebook(nb, { ...privateJupyter(registry), DENO_DIR: join(work, "deno-cache"), DENO_NO_UPDATE_CHECK: "1" });
    const figureOf = (outputs: CellOutput[][]) => outputs[1]!.find((o) => o.output_type === "execute_result" || o.output_type === "display_data");
    let outputs = run();
    // Now and then (about one run in three here, more under load) the figure cell comes back with no output at
    // all from Deno's kernel through nbclient; the cause is not found yet (not the figure's size: the plotly.js
    // payload precomputed in an earlier cell did not change it). Try once more, and say so.
    if (!figureOf(outputs)) {
      console.warn(`Deno dropped the figure cell's result (outputs: ${JSON.stringify(outputs[1]).slice(0, 300)}); running the notebook once more`);
      outputs = run();
    }
    expect(outputs.flat().filter((o) => o.output_type === "error")).toEqual([]);
    expect(outputs[0]!.map(outputText).join("")).toContain("distances 300 same bits true");
    const fig = figureOf(outputs);
    expect(fig?.data?.["application/vnd.plotly.v1+json"], JSON.stringify(outputs[1]).slice(0, 500)).toBeDefined();
    expect(String(fig?.data?.["text/html"] ?? "")).toContain("Plotly");
  }, 180_000);
});
