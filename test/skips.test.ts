/**
 * The skip reporter (test/helpers/skip-reporter.mts): vitest run on test/fixtures/skips/probe.fixture.ts (two tests
 * that run, a suite skipped by skipWhen, a bare it.skip, a ctx.skip at run time) lists each skipped test with its
 * reason, and with CI set exits non-zero, also when the command line names its own reporters (as .ci/run does).
 * Checked from the outside: the exit status and the text of a separate vitest process.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(__dirname, "..");
const config = join(root, "test", "fixtures", "skips", "vitest.config.mts");

function vitest(ci: string | undefined, extra: string[] = []): { status: number | null; out: string } {
  const env = { ...process.env };
  delete env["CI"];
  if (ci !== undefined) env["CI"] = ci;
  const r = spawnSync(process.execPath, [join(root, "node_modules", "vitest", "vitest.mjs"), "run", "--config", config, ...extra], { cwd: root, env, encoding: "utf8" });
  return { status: r.status, out: r.stdout + r.stderr };
}

const listed = [
  "skipped: probe.fixture.ts > a suite > inner: the frobnicator is absent",
  "skipped: probe.fixture.ts > a bare skip: no reason given (use skipWhen(reason) from test/helpers/skip.ts)",
  "skipped: probe.fixture.ts > skips at run time: checked half, then found no chromium",
];

describe("a skipped test fails the run when CI is set", () => {
  it("CI=true: each skipped test with its reason, and exit 1", { timeout: 120_000 }, () => {
    const r = vitest("true");
    for (const line of listed) expect(r.out).toContain(line);
    expect(r.out.match(/^skipped: /gm)).toHaveLength(3); // the two tests that ran are not listed
    expect(r.out).toContain("3 test(s) skipped with CI set: failing the run");
    expect(r.status, r.out).toBe(1);
  });

  it("CI=true with the reporters .ci/run names on the command line: still exit 1", { timeout: 120_000 }, () => {
    const r = vitest("true", ["--reporter=dot", "--reporter=json", `--outputFile.json=${join(root, "out", "skips-probe.json")}`]);
    for (const line of listed) expect(r.out).toContain(line);
    expect(r.status, r.out).toBe(1);
  });

  it("without CI (unset, or false): the same list, exit 0", { timeout: 120_000 }, () => {
    for (const ci of [undefined, "false"]) {
      const r = vitest(ci);
      for (const line of listed) expect(r.out).toContain(line);
      expect(r.out).not.toContain("failing the run");
      expect(r.status, `CI=${ci}\n${r.out}`).toBe(0);
    }
  });

  it("a run filtered by -t does not count the tests it leaves out", { timeout: 120_000 }, () => {
    const r = vitest("true", ["-t", "^runs$"]);
    expect(r.out).not.toContain("skipped: ");
    expect(r.status, r.out).toBe(0);
  });
});
