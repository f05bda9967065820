// Mutation testing of the math (issue #36 point 6, docs/mutation.md): StrykerJS with its vitest runner over one of
// src/core, src/linalg, src/geometry (MUTATE_FOLDER, set by scripts/mutate.mjs: `npm run mutate -- geometry`), with
// that folder's fast unit tests (vitest.mutate.config.mts). One file at a time:
// `npm run mutate -- geometry --mutate src/geometry/geodesic.ts`.
// Not part of CI (.ci/run runs `npm test` only): a full run takes hours on the 2-core machine.
// src/kernels/ is AssemblyScript compiled to WebAssembly at build time; Stryker's JavaScript instrumentation cannot
// run inside it (docs/mutation.md). The pairwise worker (worker.cts) runs the built dist/ copy in worker threads,
// where a mutant of src/ is never active.
const folder = process.env.MUTATE_FOLDER ?? "geometry";
const out = `reports/mutation/${folder}`;

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: "vitest",
  plugins: ["@stryker-mutator/vitest-runner"],
  vitest: { configFile: "vitest.mutate.config.mts" },
  mutate: [`src/${folder}/**/*.ts`, "!src/**/index.ts", "!src/geometry/pairwise/worker.cts"],
  // sandbox: copy only what the tests read (not the 77 MB of data/ or the notebooks)
  ignorePatterns: ["data", "notebooks", "docs", "reports", ".stryker-tmp*", "out", ".vitest-cache"],
  // only the mutated folders get // @ts-nocheck (src/kernels is AssemblyScript, which the TypeScript parser rejects)
  disableTypeChecks: "src/{core,linalg,geometry}/**/*.{ts,cts}",
  coverageAnalysis: "perTest",
  // a static mutant (run once, when its module loads) would need every test again for itself: skipped, and counted
  // in docs/mutation.md. Error-message texts are not mutated (StringLiteral): a test checks what an error names, not
  // its wording, and these mutants would take a third of the run.
  ignoreStatic: true,
  mutator: { excludedMutations: ["StringLiteral"] },
  concurrency: 1,
  // the machine is slow and shared: a mutant times out at 3x its tests' dry-run time + 20 s
  timeoutFactor: 3,
  timeoutMS: 20_000,
  dryRunTimeoutMinutes: 30,
  incremental: true,
  incrementalFile: `${out}/incremental.json`,
  reporters: ["clear-text", "progress", "html", "json"],
  htmlReporter: { fileName: `${out}/mutation.html` },
  jsonReporter: { fileName: `${out}/mutation.json` },
  clearTextReporter: { allowColor: false, logTests: false, maxTestsToLog: 0 },
  tempDirName: `.stryker-tmp/${folder}`,
  cleanTempDir: true,
  thresholds: { high: 80, low: 60, break: null },
};
