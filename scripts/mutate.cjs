#!/usr/bin/env node
// `npm run mutate [-- FOLDER... [stryker options]]`: mutation testing of src/linalg, src/core and src/geometry, one
// folder after the other (smallest first), each with its own tests, incremental file and reports under
// reports/mutation/FOLDER/ (stryker.config.mjs, docs/mutation.md). Options after the folders go to `stryker run`,
// e.g. `npm run mutate -- geometry --mutate src/geometry/geodesic.ts`. Prints each folder's wall time.
const { spawnSync } = require("node:child_process");
const { join } = require("node:path");

const FOLDERS = ["linalg", "core", "geometry"];
const args = process.argv.slice(2);
const folders = [];
while (args.length && FOLDERS.includes(args[0])) folders.push(args.shift());
const root = join(__dirname, "..");
const stryker = join(root, "node_modules", "@stryker-mutator", "core", "bin", "stryker.js");
let failed = 0;
for (const folder of folders.length ? folders : FOLDERS) {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [stryker, "run", "stryker.config.mjs", ...args], {
    cwd: root, stdio: "inherit", env: { ...process.env, MUTATE_FOLDER: folder },
  });
  console.log(`mutate: src/${folder} took ${((Date.now() - t0) / 60000).toFixed(1)} min (exit ${r.status})`);
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
