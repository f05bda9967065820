import { defineConfig } from "vitest/config";

/**
 * The tests Stryker runs against each mutant of src/core, src/linalg and src/geometry (stryker.config.mjs,
 * `npm run mutate`, docs/mutation.md): the unit tests of these folders that finish in seconds. Left out, because one
 * of their tests takes minutes on the 2-core machine and Stryker would run it again for every mutant it covers:
 * test/geometry/exact.test.ts (the streamed-vs-in-memory comparison), test/geometry/landmark*.test.ts (12,000
 * model-points), and the CLI, notebook, zoo, Slurm, browser and package tests (they run dist/, not the mutated src/).
 * Not picked up by `npm test`: vitest reads vitest.config.mts only.
 */
export default defineConfig({
  test: {
    include: [
      "test/core/*.test.ts",
      "test/numpy-crosscheck.test.ts",
      "test/geometry/averaging.test.ts",
      "test/geometry/distances.test.ts",
      "test/geometry/embedding-gap.test.ts",
      "test/geometry/geodesic.test.ts",
      "test/geometry/inpca.test.ts",
      "test/geometry/tangents.test.ts",
      "test/geometry/trajectories.test.ts",
      "test/linalg/*.test.ts",
    ],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
