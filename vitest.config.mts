import { defineConfig } from "vitest/config";
import { SkipReporter } from "./test/helpers/skip-reporter.mts";

export default defineConfig({
  plugins: [
    {
      // every skipped test listed with its reason; with CI set, a skip fails the run (test/helpers/skip-reporter.ts).
      // Added here rather than in test.reporters so that --reporter on the command line (.ci/run) keeps it.
      name: "inpca:skip-reporter",
      configureVitest({ vitest }) {
        vitest.config.reporters.push(new SkipReporter());
      },
    },
  ],
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
  },
});
