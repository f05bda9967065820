// Makes `import * as ip from "inpca"` resolve inside this checkout (notebooks/, scripts/, tests)
// without a publish step: node_modules/inpca -> the repository root. Runs on `npm install`/`npm ci`.
import { existsSync, lstatSync, mkdirSync, symlinkSync, unlinkSync, readlinkSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const modules = join(root, "node_modules");
const link = join(modules, "inpca");
// Installed as a dependency of another project: nothing to do.
if (!existsSync(join(root, "src", "index.ts")) || root.includes(`${"node_modules"}`)) process.exit(0);
mkdirSync(modules, { recursive: true });
try {
  const st = lstatSync(link);
  if (st.isSymbolicLink() && readlinkSync(link) === "..") process.exit(0);
  unlinkSync(link);
} catch { /* absent */ }
symlinkSync("..", link, "dir");
console.log("inpca: linked node_modules/inpca -> . (notebooks import the package by name)");
