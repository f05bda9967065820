#!/usr/bin/env node
// Registers the tslab kernel ("tslab", shown as "TypeScript") with Jupyter for THIS checkout, idempotently:
// nothing happens when the registered kernel already starts this checkout's node_modules/.bin/tslab.
// Used by the browser test (test/browser.test.ts) and the notebook runner.
//   node scripts/jupyter-kernel.mjs [--check] [--python PATH] [--prefix DIR]
//   --check   only report (exit 1 when not registered for this checkout)
//   --python  the Python whose Jupyter gets the kernel (default /usr/bin/python3, else python3)
//   --prefix  install under DIR/share/jupyter/kernels (default: Jupyter's default for the user: system-wide as root)
// Prints the kernel directory on success.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const opt = (name) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const check = args.includes("--check");
const prefix = opt("--prefix") ? resolve(opt("--prefix")) : undefined;
const python = opt("--python") ?? (existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3");
const binary = join(root, "node_modules", ".bin", "tslab");
const fail = (msg) => { console.error(`jupyter-kernel: ${msg}`); process.exit(1); };

if (!existsSync(binary)) fail(`${binary} is missing: run npm install (tslab is a dependency)`);

/** The registered tslab kernel: { dir, argv } or null. */
function registered() {
  if (prefix) {
    const dir = join(prefix, "share", "jupyter", "kernels", "tslab");
    const file = join(dir, "kernel.json");
    return existsSync(file) ? { dir, argv: JSON.parse(readFileSync(file, "utf8")).argv } : null;
  }
  const r = spawnSync(python, ["-m", "jupyter_client.kernelspecapp", "list", "--json"], { encoding: "utf8", env: { ...process.env, PYDEVD_DISABLE_FILE_VALIDATION: "1" } });
  if (r.status !== 0) fail(`${python} cannot list Jupyter kernels (is jupyter installed? bash scripts/system-deps.sh): ${r.stderr.trim().split("\n").pop()}`);
  const spec = JSON.parse(r.stdout).kernelspecs?.tslab;
  return spec ? { dir: spec.resource_dir, argv: spec.spec.argv } : null;
}

const ours = (k) => k !== null && Array.isArray(k.argv) && k.argv[0] === binary;
let k = registered();
if (ours(k)) { console.log(k.dir); process.exit(0); }
if (check) fail(k ? `tslab is registered for another tslab (${k.argv[0]}), not ${binary}` : "no tslab kernel is registered");
execFileSync(binary, ["install", `--python=${python}`, `--binary=${binary}`, ...(prefix ? [`--prefix=${prefix}`] : [])], { stdio: ["ignore", "ignore", "inherit"] });
k = registered();
if (!ours(k)) fail(`tslab install ran but the kernel is still not registered for ${binary}`);
console.log(k.dir);
