import { defineConfig } from "vitest/config";
import { skipReporterPlugin } from "./test/helpers/skip-reporter.mjs";

export default defineConfig({
  // every skipped test listed with its reason; with CI set, a skip fails the run (test/helpers/skip-reporter.mts)
  plugins: [skipReporterPlugin()],
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
  },
});
