/**
 * The design's layers, read bottom to top: core < linalg < kernels < io < geometry < train < plot < notebook < cli
 * (io holds file formats and stores only; geometry the mathematics, exact and landmark InPCA end to end). Every
 * import in src/ points down a layer or stays inside its own (the entry src/index.ts may import any layer); no
 * files import each other round a cycle; sibling subfolders (io/formats, io/stores, io/checkpoints; geometry/exact,
 * geometry/pairwise, ...) import each other one way only; and importing the main entry loads no tfjs.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { skipWhen } from "./helpers/skip.js";

const root = resolve(__dirname, "..");
const src = join(root, "src");
const ORDER = ["core", "linalg", "kernels", "io", "geometry", "train", "plot", "notebook", "cli"];
const walk = (d: string): string[] => readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : [join(d, n)]));

/** Every relative import (static, side-effect, dynamic, re-export, require) of every source file: [importer, imported file], both relative to src/. */
function importsOf(dir: string): [string, string][] {
  const out: [string, string][] = [];
  for (const f of walk(dir).filter((p) => /\.c?ts$/.test(p) && !p.endsWith(".d.ts"))) {
    for (const m of readFileSync(f, "utf8").matchAll(/(?:\bfrom|\bimport\s*\(?|\brequire\s*\()\s*["'](\.{1,2}\/[^"']+)["']/g)) {
      const base = resolve(dirname(f), m[1]!).replace(/\.c?js$/, "");
      const target = [`${base}.ts`, `${base}.cts`, join(base, "index.ts")].find((p) => existsSync(p)) ?? base;
      out.push([relative(dir, f), relative(dir, target)]);
    }
  }
  return out;
}

/** The cycles of a directed graph (its strongly connected components of more than one node, or with a self-loop). */
function cyclesOf(edges: readonly [string, string][]): string[][] {
  const next = new Map<string, string[]>();
  for (const [a, b] of edges) {
    next.set(a, [...(next.get(a) ?? []), b]);
    if (!next.has(b)) next.set(b, []);
  }
  let counter = 0;
  const index = new Map<string, number>(), low = new Map<string, number>(), stack: string[] = [], on = new Set<string>(), out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    on.add(v);
    for (const w of next.get(v)!) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || next.get(v)!.includes(v)) out.push(component.sort());
    }
  };
  for (const v of next.keys()) if (!index.has(v)) visit(v);
  return out;
}

/** Imports that point up the layers: "file imports target". */
function upwardImports(imports: readonly [string, string][]): string[] {
  const layerOf = (p: string) => p.split("/")[0]!;
  return imports
    .filter(([f, t]) => ORDER.includes(layerOf(f)) && ORDER.includes(layerOf(t)) && ORDER.indexOf(layerOf(t)) > ORDER.indexOf(layerOf(f)))
    .map(([f, t]) => `${f} imports ${t}`);
}

/**
 * Cycles among sibling subfolders: for every folder, its subfolders (each with everything under it) as nodes and
 * an edge where a file of one imports a file of another; loose files of the folder itself are not nodes.
 */
function siblingCycles(imports: readonly [string, string][]): string[][] {
  const edges: [string, string][] = [];
  for (const [f, t] of imports) {
    const a = f.split("/").slice(0, -1), b = t.split("/").slice(0, -1);
    let k = 0;
    while (k < a.length && k < b.length && a[k] === b[k]) k++;
    // the first folders where the two paths part, under their common parent
    if (k < a.length && k < b.length) edges.push([a.slice(0, k + 1).join("/"), b.slice(0, k + 1).join("/")]);
  }
  return cyclesOf(edges);
}

describe("layers", () => {
  const imports = importsOf(src);

  it("no module imports from a layer above its own (static and dynamic imports)", () => {
    expect(imports.length).toBeGreaterThan(300);
    expect(upwardImports(imports)).toEqual([]);
  });

  it("no import cycles among the source files", () => {
    expect(cyclesOf(imports)).toEqual([]);
  });

  it("sibling subfolders import each other one way only", () => {
    expect(siblingCycles(imports)).toEqual([]);
  });

  it("the checks see a violation: an upward import, a cycle of files, sibling folders importing each other", () => {
    expect(upwardImports([["io/stores/zoo/read.ts", "geometry/distances.ts"]])).toEqual(["io/stores/zoo/read.ts imports geometry/distances.ts"]);
    expect(upwardImports([["geometry/distances.ts", "io/stores/zoo/read.ts"]])).toEqual([]);
    expect(cyclesOf([["io/a.ts", "io/b.ts"], ["io/b.ts", "io/c.ts"], ["io/c.ts", "io/a.ts"]])).toEqual([["io/a.ts", "io/b.ts", "io/c.ts"]]);
    expect(siblingCycles([["io/formats/npy.ts", "io/stores/atomic.ts"], ["io/stores/zoo/read.ts", "io/formats/npy.ts"]])).toEqual([["io/formats", "io/stores"]]);
    expect(siblingCycles([["io/stores/zoo/read.ts", "io/formats/npy.ts"], ["io/formats/registry.ts", "io/formats/hdf5/index.ts"], ["io/formats/hdf5/file.ts", "io/formats/npy.ts"]])).toEqual([]);
  });

  it("importing the main entry loads no tfjs; inpca/train does", skipWhen(!existsSync(join(root, "dist", "index.js")) && "dist/ is not built (npm run build)"), () => {
    const count = (entry: string) => {
      const r = spawnSync(process.execPath, ["-e", `require(${JSON.stringify(entry)}); console.log(Object.keys(require.cache).filter((k) => k.includes("@tensorflow")).length)`], { encoding: "utf8" });
      expect(r.status, r.stderr).toBe(0);
      return Number(r.stdout.trim());
    };
    expect(count(join(root, "dist", "index.js"))).toBe(0);
    expect(count(join(root, "dist", "train", "index.js"))).toBeGreaterThan(0);
  });
});
