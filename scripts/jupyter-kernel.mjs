#!/usr/bin/env node
// Registers the tslab kernel ("tslab", shown as "TypeScript") with Jupyter, idempotently, through the package's
// own `inpca kernel` (src/cli/kernel.ts): a kernel that runs the tslab of each notebook's own project, so that
// checkouts side by side never break each other. Used by scripts/dev.sh, the notebook runner and the tests.
//   node scripts/jupyter-kernel.mjs [--check] [--python PATH] [--prefix DIR]
//   --check   only report (exit 1 when the registered "tslab" is not the launcher kernel)
//   --python  the Python whose Jupyter gets the kernel (default /usr/bin/python3, else python3)
//   --prefix  install under DIR/share/jupyter/kernels (default: Jupyter's default: system-wide as root)
// Prints the kernel directory on success.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const opt = (name) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const check = args.includes("--check");
const prefix = opt("--prefix") ? resolve(opt("--prefix")) : undefined;
const fail = (msg) => { console.error(`jupyter-kernel: ${msg}`); process.exit(1); };
const built = join(root, "dist", "cli", "kernel.js");
if (!existsSync(built)) fail(`${built} is missing: run npm install (it builds dist/)`);
const { registerKernel, defaultPython, LAUNCHER } = createRequire(import.meta.url)(built);
const python = opt("--python") ?? defaultPython();

/** The folder of the registered "tslab" kernel, or null. */
function registered() {
  if (prefix) {
    const dir = join(prefix, "share", "jupyter", "kernels", "tslab");
    return existsSync(join(dir, "kernel.json")) ? dir : null;
  }
  const r = spawnSync(python, ["-m", "jupyter_client.kernelspecapp", "list", "--json"], { encoding: "utf8", env: { ...process.env, PYDEVD_DISABLE_FILE_VALIDATION: "1" } });
  if (r.status !== 0) fail(`${python} cannot list Jupyter kernels (is jupyter installed? bash scripts/system-deps.sh): ${(r.stderr || "").trim().split("\n").pop()}`);
  return JSON.parse(r.stdout).kernelspecs?.tslab?.resource_dir ?? null;
}
const ours = (dir) => {
  if (!dir) return false;
  try {
    const spec = JSON.parse(readFileSync(join(dir, "kernel.json"), "utf8"));
    return spec.argv?.[0] === process.execPath && readFileSync(join(dir, "launch.cjs"), "utf8") === LAUNCHER;
  } catch { return false; }
};
const dir = registered();
if (ours(dir)) { console.log(dir); process.exit(0); }
if (check) fail(dir ? `the registered tslab kernel (${dir}) is not inpca's per-project launcher` : "no tslab kernel is registered");
try {
  console.log(registerKernel({ python, prefix }));
} catch (e) { fail(e.message); }
