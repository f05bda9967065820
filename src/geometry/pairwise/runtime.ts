/**
 * Where the compiled pieces of the pairwise engine live at run time: the WebAssembly kernel
 * (`dist/kernels/bhattacharyya.wasm`, built from `src/kernels/` by `npm run build`) and the worker script
 * (`dist/geometry/pairwise/worker.cjs`: a `.cjs` file, so that Deno, which reads only `.cjs` or
 * `"type": "commonjs"` code as CommonJS in workers, loads it as Node does). Both are found from the package root, so the same code works when run
 * from `dist/` (users, notebooks) and from `src/` (the test runner).
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";

let root: string | undefined;
let kernel: WebAssembly.Module | undefined;

/** The folder holding inpca's package.json (walks up from this file). */
export function packageRoot(): string {
  if (root) return root;
  let dir = __dirname;
  for (;;) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg)) {
      try {
        if (JSON.parse(readFileSync(pkg, "utf8")).name === "inpca") return (root = dir);
      } catch { /* keep looking */ }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`inpca: cannot find the package root above ${__dirname}`);
    dir = up;
  }
}

function built(rel: string): string {
  const file = join(packageRoot(), "dist", rel);
  if (!existsSync(file)) throw new Error(`inpca: ${file} is missing; run \`npm run build\` (npm install does it)`);
  return file;
}

/** The compiled Bhattacharyya kernel (compiled once per thread, then cached). */
export function kernelModule(): WebAssembly.Module {
  return (kernel ??= new WebAssembly.Module(readFileSync(built("kernels/bhattacharyya.wasm"))));
}

/** Absolute path of the worker script. */
export function workerFile(): string {
  return built("geometry/pairwise/worker.cjs");
}
