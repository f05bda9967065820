/**
 * The public API is named, not flattened. For each entry point (`inpca`, `inpca/io`, `inpca/linalg`,
 * `inpca/train`): docs/api.md's list of its names is exactly its runtime exports (dist/) and its source's value
 * exports; it has no `export *` / `export type *`; and its type exports are exactly the named types a user needs
 * for its values' parameters and results (read with the TypeScript compiler from src/): every such type is
 * exported (by the entry, or by the main entry, or as `ip.plot.*`), and no other type is.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { skipWhen } from "./helpers/skip.js";
import { entrySurface } from "./helpers/type-surface.js";

const root = resolve(__dirname, "..");

/** Entry points: subpath, source under src/, build under dist/, the docs/api.md bullet that starts its list and the one after it. */
const ENTRIES = [
  { path: "inpca", src: "index.ts", dist: "index.js", start: "**Every public name**", end: "- `inpca/io`" },
  { path: "inpca/io", src: "io/public.ts", dist: "io/public.js", start: "- `inpca/io`", end: "- `inpca/linalg`" },
  { path: "inpca/linalg", src: "linalg/public.ts", dist: "linalg/public.js", start: "- `inpca/linalg`", end: "- `inpca/train`" },
] as const;

// eslint-disable-next-line @typescript-eslint/no-require-imports
const runtime = (dist: string) => Object.keys(require(join(root, "dist", dist))).filter((k) => k !== "default").sort();

/** The names docs/api.md lists between two of its bullets ("Every public name"). */
const readmeNames = (start: string, end: string): string[] => {
  const readme = readFileSync(join(root, "docs", "api.md"), "utf8");
  const a = readme.indexOf(start);
  const b = readme.indexOf(end, a + start.length);
  expect(a, start).toBeGreaterThan(0);
  expect(b, end).toBeGreaterThan(a);
  return [...new Set([...readme.slice(a + start.length, b).matchAll(/`([A-Za-z_$][\w$]*)`/g)].map((m) => m[1]!))]
    .filter((n) => !["ip", "ModelPoint", "ZooRun"].includes(n)).sort();
};

describe("public API", skipWhen(!existsSync(join(root, "dist", "index.js")) && "dist/ is not built (npm run build)"), () => {
  for (const e of ENTRIES) {
    it(`${e.path}: docs/api.md lists exactly its exports, at run time and in the source`, () => {
      expect(readmeNames(e.start, e.end)).toEqual(runtime(e.dist));
      expect(entrySurface(e.src, ["plot"]).values).toEqual(runtime(e.dist));
    });
  }

  it("package.json exports every entry with its types, ESM and CommonJS faces", () => {
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { exports: Record<string, Record<string, string>>; files: string[] };
    for (const e of [...ENTRIES, { path: "inpca/train", dist: "train/index.js" }]) {
      const key = e.path === "inpca" ? "." : `./${e.path.slice("inpca/".length)}`;
      const js = `./dist/${e.dist}`;
      expect(pkg.exports[key], key).toEqual({ types: js.replace(/\.js$/, ".d.ts"), import: js.replace(/\.js$/, ".mjs"), require: js });
      for (const f of Object.values(pkg.exports[key]!)) expect(existsSync(join(root, f)), f).toBe(true);
      // the folder for resolvers that do not read "exports" (tslab's TypeScript)
      if (key !== ".") {
        const sub = key.slice(2);
        expect(pkg.files).toContain(sub);
        const folder = JSON.parse(readFileSync(join(root, sub, "package.json"), "utf8")) as Record<string, string>;
        expect([folder["main"], folder["module"], folder["types"]]).toEqual([js, js.replace(/\.js$/, ".mjs"), js.replace(/\.js$/, ".d.ts")].map((f) => `.${f}`));
      }
    }
  });

  it("no entry re-exports a whole module (export * / export type *), in the source or the declarations", () => {
    for (const e of [...ENTRIES, { src: "train/index.ts", dist: "train/index.js" }]) {
      for (const f of [join(root, "src", e.src), join(root, "dist", e.dist.replace(/\.js$/, ".d.ts"))]) {
        expect(readFileSync(f, "utf8"), f).not.toMatch(/export\s+(type\s+)?\*\s+from/);
      }
    }
  });

  it("each entry exports exactly the named types its values' signatures use", () => {
    const main = entrySurface("index.ts", ["plot"]);
    const plot = entrySurface("plot/index.ts");
    const exportedByMain = new Set([...main.values, ...main.types]);
    for (const e of [...ENTRIES, { path: "inpca/train", src: "train/index.ts" }]) {
      const s = e.src === "index.ts" ? main : entrySurface(e.src);
      const needed = new Set(s.needed.map((n) => n.name));
      // no type a user does not need to write the calls
      expect(s.types.filter((t) => !needed.has(t)), `${e.path}: types exported but used by no value`).toEqual([]);
      // every type a user needs is exported: by this entry, by the main one, or (figures) as ip.plot.*
      const missing = s.needed.filter((n) => !s.types.includes(n.name) && !exportedByMain.has(n.name) && !plot.types.includes(n.name) && !plot.values.includes(n.name));
      expect(missing.map((n) => `${n.name} (${n.file})`), `${e.path}: types used by its values but exported nowhere`).toEqual([]);
    }
  }, 120_000);

  it("internal helpers stay off the entries", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const ip = require(join(root, "dist", "index.js")) as Record<string, unknown>;
    for (const helper of ["lambertW0", "brentBounded", "slerpInto", "minimiseOnGrid", "decodeNpyFloatsInto", "reporter", "ProgressBar", "naturalCompare", "findLabelsFile", "SAFE_NAME", "RunWriter", "tf", "buildModel", "validate", "LANDMARK_OPTION_RULES"]) {
      expect(ip[helper], helper).toBeUndefined();
    }
    // format readers and linear algebra are the subpaths' (the notebooks' random streams stay on the main entry)
    for (const moved of ["readNpy", "loadSafetensors", "openHdf5", "loadTorch", "lanczos", "denseEigen", "doubleCenter"]) expect(ip[moved], moved).toBeUndefined();
  });
});
