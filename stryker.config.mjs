// Mutation testing of the math (issue #36 point 6, docs/mutation.md): `npm run mutate` runs StrykerJS with its vitest
// runner over src/core, src/linalg and src/geometry, with the fast unit tests of vitest.mutate.config.mts.
// One folder or file at a time: `npm run mutate -- --mutate 'src/geometry/distances.ts'`.
// Not part of CI (.ci/run runs `npm test` only): a full run takes hours on the 2-core machine.
// src/kernels/ is AssemblyScript compiled to WebAssembly at build time; Stryker's JavaScript instrumentation cannot
// run inside it (docs/mutation.md says how it is covered instead). The pairwise worker (worker.cts) runs the built
// dist/ copy in worker threads, where a mutant of src/ is never active.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: "vitest",
  plugins: ["@stryker-mutator/vitest-runner"],
  vitest: { configFile: "vitest.mutate.config.mts" },
  mutate: [
    "src/core/**/*.ts",
    "src/linalg/**/*.ts",
    "src/geometry/**/*.ts",
    "!src/**/index.ts",
    "!src/geometry/pairwise/worker.cts",
  ],
  // sandbox: copy only what the tests read (not the 77 MB of data/ or the notebooks)
  ignorePatterns: ["data", "notebooks", "docs", "reports", ".stryker-tmp", "out", ".vitest-cache"],
  // only the mutated folders get // @ts-nocheck (src/kernels is AssemblyScript, which the TypeScript parser rejects)
  disableTypeChecks: "src/{core,linalg,geometry}/**/*.{ts,cts}",
  coverageAnalysis: "perTest",
  concurrency: 1,
  // the machine is slow and shared: a mutant times out at 3x its tests' dry-run time + 20 s
  timeoutFactor: 3,
  timeoutMS: 20_000,
  incremental: true,
  incrementalFile: "reports/mutation/stryker-incremental.json",
  reporters: ["clear-text", "progress", "html", "json"],
  htmlReporter: { fileName: "reports/mutation/mutation.html" },
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  clearTextReporter: { allowColor: false, logTests: false, maxTestsToLog: 0 },
  tempDirName: ".stryker-tmp",
  cleanTempDir: true,
  thresholds: { high: 80, low: 60, break: null },
};
