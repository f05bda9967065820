/**
 * The design's layers: every import in src/ points down (core < linalg < kernels < geometry < io < train < plot <
 * notebook < cli; the entry src/index.ts may import any layer), and importing the main entry loads no tfjs.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { skipWhen } from "./helpers/skip.js";

const root = resolve(__dirname, "..");
const src = join(root, "src");
const ORDER = ["core", "linalg", "kernels", "geometry", "io", "train", "plot", "notebook", "cli"];
const walk = (d: string): string[] => readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : [join(d, n)]));

describe("layers", () => {
  it("no module imports from a layer above its own (static and dynamic imports)", () => {
    const upward: string[] = [];
    for (const f of walk(src).filter((p) => /\.c?ts$/.test(p) && !p.endsWith(".d.ts"))) {
      const layer = relative(src, f).split("/")[0]!;
      if (!ORDER.includes(layer)) continue;
      for (const m of readFileSync(f, "utf8").matchAll(/(?:from|import\()\s*["'](\.{1,2}\/[^"']+)["']/g)) {
        const target = relative(src, resolve(dirname(f), m[1]!)).split("/")[0]!;
        if (ORDER.includes(target) && ORDER.indexOf(target) > ORDER.indexOf(layer)) upward.push(`${relative(src, f)} imports ${m[1]}`);
      }
    }
    expect(upward).toEqual([]);
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
