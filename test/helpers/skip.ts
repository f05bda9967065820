/**
 * Skipping a test or a suite with its reason on record. Every conditional skip in test/ goes through `skipWhen`:
 *
 *   describe("cross-check against NumPy", skipWhen(numpyMissing), () => { ... });
 *   it("a full disk: ...", skipWhen(!canMount && "cannot mount a tmpfs (needs root)", { timeout: 120_000 }), () => { ... });
 *
 * The reason lands in the task's meta (inherited by every test of a skipped suite), where the skip reporter
 * (test/helpers/skip-reporter.mts, registered in vitest.config.mts) finds it: it lists each skipped test as
 * "skipped: <file> > <test>: <reason>", and with CI set it fails the run. A skip is a check that did not happen.
 */

declare module "vitest" {
  interface TaskMeta {
    /** Why the test (or its suite) is skipped: set by skipWhen. */
    skipReason?: string;
  }
}

/**
 * Test or suite options: skip when `reason` is a non-empty string (null, undefined, false or "" run), recording it.
 * Other options (a timeout) go in `options`: with options as the second argument, vitest 4 ignores a trailing number.
 */
export function skipWhen<T extends object = {}>(reason: string | null | undefined | false, options?: T): T & { skip: boolean; meta: { skipReason?: string } } {
  return { ...(options as T), ...(reason ? { skip: true, meta: { skipReason: reason } } : { skip: false, meta: {} }) };
}
