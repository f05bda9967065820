/**
 * The public API is named, not flattened: docs/api.md's list of public names ("Every public name") is exactly the
 * runtime exports of the main entry, and no internal helper leaks onto it.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { skipWhen } from "./helpers/skip.js";

const root = resolve(__dirname, "..");

describe("public API", skipWhen(!existsSync(join(root, "dist", "index.js")) && "dist/ is not built (npm run build)"), () => {
  it("docs/api.md lists exactly the main entry's exports", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const exported = Object.keys(require(join(root, "dist", "index.js"))).filter((k) => k !== "default").sort();
    const page = readFileSync(join(root, "docs", "api.md"), "utf8");
    const start = page.indexOf("**Every public name**");
    const end = page.indexOf("- `inpca/train`", start);
    expect(start).toBeGreaterThan(0);
    const listed = [...new Set([...page.slice(start, end).matchAll(/`([A-Za-z_$][\w$]*)`/g)].map((m) => m[1]!))]
      .filter((n) => !["ModelPoint", "ZooRun"].includes(n)).sort();
    expect(listed).toEqual(exported);
  });

  it("internal helpers stay off the entry", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const ip = require(join(root, "dist", "index.js")) as Record<string, unknown>;
    for (const helper of ["lambertW0", "brentBounded", "slerpInto", "minimiseOnGrid", "decodeNpyFloatsInto", "reporter", "ProgressBar", "naturalCompare", "findLabelsFile", "SAFE_NAME", "RunWriter", "tf", "buildModel"]) {
      expect(ip[helper], helper).toBeUndefined();
    }
  });
});
