/**
 * One kernel registration, two checkouts side by side: each notebook runs the tslab (and inpca) of the checkout
 * it lives in, whichever checkout registered last, and deleting one checkout leaves the other's notebooks
 * working. (A kernel spec pointing at one checkout's node_modules/.bin/tslab broke every other checkout when that
 * one was deleted.) Each clone has its own tslab, node_modules/inpca self-link and dist/.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { executeNotebook, jupyterMissing, outputText, privateJupyter, PYTHON, writeNotebook } from "../helpers/jupyter.js";
import { skipWhen } from "../helpers/skip.js";

const root = resolve(__dirname, "..", "..");
const work = mkdtempSync(join(tmpdir(), "inpca-checkouts-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const reason = jupyterMissing() ?? (existsSync(join(root, "dist", "index.js")) ? null : "dist/ is not built") ?? (existsSync(join(root, ".git")) ? null : "not a git checkout");
if (reason) console.warn(`two-checkout kernel test skipped: ${reason}`);

/**
 * A clone of this repository's HEAD with dist/ copied and a node_modules of its own: a real copy of tslab (so
 * each checkout has its own kernel code) and symbolic links to the main checkout's other packages. (Hard links
 * would touch the main checkout's files, which a notebook's TypeScript watcher running alongside notices.)
 */
function checkout(name: string): string {
  const dir = join(work, name);
  execFileSync("git", ["clone", "--quiet", "--no-hardlinks", "--depth", "1", `file://${root}`, dir], { stdio: "pipe" });
  const modules = join(dir, "node_modules");
  mkdirSync(modules);
  for (const entry of readdirSync(join(root, "node_modules"))) {
    if (entry === "inpca") continue; // the clone's own self-link, below
    if (entry === "tslab") cpSync(join(root, "node_modules", entry), join(modules, entry), { recursive: true });
    else symlinkSync(join(root, "node_modules", entry), join(modules, entry));
  }
  cpSync(join(root, "dist"), join(dir, "dist"), { recursive: true });
  execFileSync(process.execPath, [join(dir, "scripts", "link-self.mjs")], { stdio: "pipe" });
  return dir;
}

const probe = (dir: string) => {
  const nb = join(dir, "notebooks", "which.ipynb");
  writeNotebook(nb, [
    `import * as ip from "inpca";\nconst set = ip.PredictionSet.fromProbabilities(new Float32Array(300 * 200 * 2).fill(0.5), [300, 200, 2]);\nconst D = await ip.bhattacharyya(set, { threads: 2 });\nconsole.log("inpca=" + require.resolve("inpca") + " tslab=" + Object.keys(require.cache).filter((k) => k.endsWith("tslab/dist/main.js")).join(",") + " max=" + Math.max(...D.data));`,
  ]);
  return nb;
};

describe("one tslab kernel, two checkouts", skipWhen(reason), () => {
  it("each notebook runs its own checkout's tslab and inpca; deleting one checkout breaks nothing in the other", () => {
    const a = checkout("a");
    const b = checkout("b");
    const registry = join(work, "jupyter");
    for (const dir of [a, b]) {
      const r = spawnSync(process.execPath, [join(dir, "scripts", "jupyter-kernel.mjs"), "--prefix", registry, "--python", PYTHON], { encoding: "utf8" });
      expect(r.status, r.stderr).toBe(0);
    }
    const env = privateJupyter(registry);
    const line = (nb: string) => executeNotebook(nb, env).flat().map(outputText).join("");
    for (const dir of [a, b]) {
      // b registered last; a's notebook still runs a's code
      expect(line(probe(dir))).toContain(`inpca=${join(dir, "dist", "index.js")} tslab=${join(dir, "node_modules", "tslab", "dist", "main.js")} max=0`);
    }
    rmSync(a, { recursive: true, force: true });
    expect(line(probe(b))).toContain(`inpca=${join(b, "dist", "index.js")}`);
    // a notebook outside any project gets a clear message, not a hang
    const lost = join(work, "nowhere.ipynb");
    writeNotebook(lost, ["1 + 1"]);
    expect(() => executeNotebook(lost, env, 60_000)).toThrow(/Kernel died|kernel/i);
  }, 300_000);
});
