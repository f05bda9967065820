/**
 * A vitest reporter that lists every skipped test with its reason ("skipped: <file> > <test>: <reason>"), and,
 * when the environment variable CI is set (not "", "0" or "false"), fails the run if any test was skipped: in CI a
 * skip is a check that silently did not happen. The reason is the one given to skipWhen (test/helpers/skip.ts),
 * else the note of a `ctx.skip(note)`, else "no reason given".
 *
 * vitest.config.mts adds it through `skipReporterPlugin()` (a plugin's configureVitest hook), so it also runs when
 * the command line names its own reporters (.ci/run passes --reporter=default --reporter=json). test/skips.test.ts
 * runs it on test/fixtures/skips.
 *
 * Runs filtered by a test-name pattern (-t) skip the tests they leave out; those are not reported.
 */
import { relative } from "node:path";
import type { Reporter, TestCase, TestModule, TestRunEndReason, Vitest } from "vitest/node";

export function ciIsSet(env: NodeJS.ProcessEnv = process.env): boolean {
  const ci = (env["CI"] ?? "").trim().toLowerCase();
  return ci !== "" && ci !== "0" && ci !== "false";
}

function reasonOf(test: TestCase): string {
  const meta = test.meta() as { skipReason?: string };
  const result = test.result();
  return meta.skipReason ?? (result.state === "skipped" ? result.note : undefined) ?? "no reason given (use skipWhen(reason) from test/helpers/skip.ts)";
}

export class SkipReporter implements Reporter {
  private vitest: Vitest | undefined;
  constructor(private readonly failOnSkip = ciIsSet()) {}

  onInit(vitest: Vitest): void {
    this.vitest = vitest;
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>, _errors: ReadonlyArray<unknown>, reason: TestRunEndReason): void {
    if (reason === "interrupted" || this.vitest?.config.testNamePattern) return;
    const root = this.vitest?.config.root ?? process.cwd();
    const lines: string[] = [];
    for (const module of modules) {
      for (const test of module.children.allTests()) {
        if (test.result().state !== "skipped") continue;
        lines.push(`skipped: ${relative(root, module.moduleId)} > ${test.fullName}: ${reasonOf(test)}`);
      }
    }
    if (!lines.length) return;
    const out = this.failOnSkip
      ? `\n${lines.join("\n")}\n\n${lines.length} test(s) skipped with CI set: failing the run (a skipped test is a check that did not happen)\n`
      : `\n${lines.join("\n")}\n`;
    process.stderr.write(out);
    if (this.failOnSkip) process.exitCode = 1;
  }
}

/**
 * The plugin that adds a SkipReporter to whatever reporters the configuration or the command line chose (reporters
 * given on the command line replace the configuration's `test.reporters`, not a plugin's).
 */
export function skipReporterPlugin(): { name: string; configureVitest(context: { vitest: Vitest }): void } {
  return {
    name: "inpca:skip-reporter",
    configureVitest({ vitest }) {
      vitest.config.reporters.push(new SkipReporter());
    },
  };
}
