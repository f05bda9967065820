/**
 * `inpca kernel`: registers a Jupyter kernel named `tslab` that runs, for each notebook, the tslab of the
 * project the notebook lives in (the nearest `node_modules/tslab` above the kernel's working directory, which
 * Jupyter sets to the notebook's folder). The kernel spec holds its own small launcher, so it points at no
 * checkout: two projects side by side never break each other, and deleting one breaks none of the others'
 * notebooks. (`tslab install --binary <path>` writes one absolute path into a global spec: the last project to
 * register wins, and deleting it breaks every notebook.)
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";

/** The launcher stored in the kernel spec's folder: plain CommonJS, run by the node that registered it. */
export const LAUNCHER = `// inpca's tslab launcher (written by \`inpca kernel\`): starts the tslab of the project this notebook is in.
"use strict";
const fs = require("fs");
const path = require("path");
const connectionFile = process.argv[2];
const js = process.argv.includes("--js");
// the project's own tslab; else, in a project where inpca is a linked folder (npm install /path/to/inpca), the
// tslab that inpca itself depends on
const tslabOf = (dir) => {
  if (path.basename(dir) === "node_modules") return null;
  const own = path.join(dir, "node_modules", "tslab", "dist", "main.js");
  if (fs.existsSync(own)) return own;
  try {
    return require.resolve("tslab/dist/main.js", { paths: [fs.realpathSync(path.join(dir, "node_modules", "inpca"))] });
  } catch {
    return null;
  }
};
for (let dir = process.cwd(); ; dir = path.dirname(dir)) {
  const main = tslabOf(dir);
  if (main) {
    require(main).startKernel({ configPath: connectionFile, enableFindLocal: false, jsKernel: js });
    break;
  }
  if (path.dirname(dir) === dir) {
    console.error("tslab kernel: no node_modules/tslab in " + process.cwd() + " or any folder above it; " +
      "install it in the notebook's project: npm install inpca (which depends on it), or npm install tslab");
    process.exit(1);
  }
}
`;

/** Options of {@link registerKernel}. */
export interface KernelOptions {
  /** The Python whose Jupyter gets the kernel (default: /usr/bin/python3 when present, else python3). */
  python?: string;
  /** Install under PREFIX/share/jupyter/kernels (default: Jupyter's default: system-wide as root, else user). */
  prefix?: string;
  /** Install in the per-user registry. */
  user?: boolean;
  /** Kernel name (default "tslab", the name the notebooks' metadata uses). */
  name?: string;
  /** Node binary the kernel runs (default: this process's). */
  node?: string;
}

/** The Python used when none is given: Debian's, which has Jupyter, before whatever `python3` is on PATH. */
export function defaultPython(): string {
  return existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
}

/**
 * Why the kernel could not talk to Jupyter from `project` (a folder with node_modules/tslab), or null when it can:
 * tslab speaks through zeromq's native addon. zeromq ships prebuilt addons for Linux, macOS and Windows on x64 and
 * arm64 and loads one of them; its install script only checks that and builds from source where none fits. npm ≥
 * 11.19 skips dependencies' install scripts unless the project approves them, which is harmless where a prebuilt
 * addon fits (every platform above) and leaves the others without an addon: this says so, with the fix.
 */
export function kernelTransportProblem(project: string): string | null {
  const tslab = join(project, "node_modules", "tslab", "package.json");
  if (!existsSync(tslab)) return `no tslab in ${join(project, "node_modules")} (npm install inpca, which depends on it)`;
  try {
    const fromTslab = createRequire(tslab);
    const zeromq = fromTslab.resolve("zeromq");
    // loading the addon is what the kernel does at start-up; a load that fails names the missing binary
    createRequire(zeromq)(zeromq);
    return null;
  } catch (e) {
    const first = (e as Error).message.split("\n")[0];
    return `tslab's zeromq has no native addon that loads on ${process.platform}-${process.arch} (${first}). Its install script builds one from source (it needs cmake and a C++ compiler); npm 11.19 and later skip install scripts until you approve them: run \`npm install-scripts approve zeromq\` then \`npm rebuild zeromq\` in ${project}`;
  }
}

/**
 * The project whose tslab the launcher (LAUNCHER) starts for a notebook in `dir`: the nearest folder at or above it,
 * not itself named node_modules, that holds node_modules/tslab/dist/main.js, or (a project where inpca is a linked
 * folder, without a tslab of its own) the folder inpca links to when that holds one; null when there is none. The
 * same rule as the launcher's, so that the check runs against the tslab the kernel will run.
 */
export function tslabProject(dir: string): string | null {
  for (let d = dir; ; d = dirname(d)) {
    if (basename(d) !== "node_modules") {
      if (existsSync(join(d, "node_modules", "tslab", "dist", "main.js"))) return d;
      const linked = join(d, "node_modules", "inpca");
      if (existsSync(linked)) {
        const real = realpathSync(linked);
        if (existsSync(join(real, "node_modules", "tslab", "dist", "main.js"))) return real;
      }
    }
    if (dirname(d) === d) return null;
  }
}

/** The kernel.json of the launcher kernel. */
export function kernelSpec(node: string): { argv: string[]; display_name: string; language: string; metadata: Record<string, unknown> } {
  return {
    argv: [node, "{resource_dir}/launch.cjs", "{connection_file}"],
    display_name: "TypeScript",
    language: "typescript",
    metadata: { inpca: "runs the tslab of the notebook's own project (node_modules/tslab above the notebook)" },
  };
}

/**
 * Registers the launcher kernel with the Jupyter of `python` (idempotent: re-registering replaces it).
 * Returns the kernel folder. Throws an Error naming the Python when it has no Jupyter.
 */
export function registerKernel(o: KernelOptions = {}): string {
  const python = o.python ?? defaultPython();
  const name = o.name ?? "tslab";
  const dir = mkdtempSync(join(tmpdir(), "inpca-kernel-"));
  try {
    writeFileSync(join(dir, "kernel.json"), `${JSON.stringify(kernelSpec(o.node ?? process.execPath), null, 1)}\n`);
    writeFileSync(join(dir, "launch.cjs"), LAUNCHER);
    const args = ["-m", "jupyter_client.kernelspecapp", "install", dir, "--name", name, "--replace",
      ...(o.prefix ? ["--prefix", o.prefix] : o.user ? ["--user"] : [])];
    const r = spawnSync(python, args, { encoding: "utf8", env: { ...process.env, PYDEVD_DISABLE_FILE_VALIDATION: "1" } });
    if (r.error) throw new Error(`cannot run ${python}: ${r.error.message} (give the Python that has Jupyter with --python)`);
    if (r.status !== 0) {
      const last = (r.stderr || r.stdout).trim().split("\n").pop();
      throw new Error(`${python} could not register the kernel: ${last}\n(is Jupyter installed for this Python? Give the Python that has Jupyter with --python; on Debian: apt-get install jupyter-notebook, then --python /usr/bin/python3)`);
    }
    // kernelspecapp prints "[InstallKernelSpec] Installed kernelspec tslab in /path"
    const m = /Installed kernelspec \S+ in (.+)$/m.exec(`${r.stdout}\n${r.stderr}`);
    return m ? m[1]!.trim() : name;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
