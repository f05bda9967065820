import { defineConfig } from "vitest/config";

/**
 * The tests Stryker runs against the mutants of one folder (scripts/mutate.mjs sets MUTATE_FOLDER; docs/mutation.md):
 * the unit tests of that folder that finish in seconds. Stryker runs every test that covers a mutant again for that
 * mutant, so a test that takes minutes on the 2-core machine is left out: test/geometry/exact.test.ts (the
 * streamed-vs-in-memory comparison), test/geometry/landmark*.test.ts (12,000 model-points),
 * test/geometry/inpca.test.ts (its M = 800 solver comparison), test/geometry/distances.test.ts (its abort test) and
 * test/numpy-crosscheck.test.ts (a Python process per run), and the CLI, notebook, zoo, Slurm, browser and package
 * tests (they run dist/, not the mutated src/). test/geometry/mutants.test.ts and test/linalg/ stand in for the
 * left-out ones with small inputs.
 * Not picked up by `npm test`: vitest reads vitest.config.mts only.
 */
const byFolder: Record<string, string[]> = {
  linalg: ["test/linalg/*.test.ts"],
  core: ["test/core/*.test.ts"],
  geometry: [
    "test/geometry/geodesic.test.ts",
    "test/geometry/trajectories.test.ts",
    "test/geometry/tangents.test.ts",
    "test/geometry/averaging.test.ts",
    "test/geometry/embedding-gap.test.ts",
    "test/geometry/mutants.test.ts",
  ],
};
const folder = process.env.MUTATE_FOLDER ?? "geometry";

export default defineConfig({
  test: {
    include: byFolder[folder] ?? Object.values(byFolder).flat(),
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
