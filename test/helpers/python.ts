/**
 * Runs scripts/reference.py with a Python that has NumPy and SciPy (Debian's /usr/bin/python3 first, then
 * `python3` on the PATH). `pythonMissing` is null when one is found, else the reason, for describe.skipIf.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";

export const referenceScript = join(__dirname, "..", "..", "scripts", "reference.py");

/**
 * The Python the tests run tools with by default: Debian's /usr/bin/python3 (which has NumPy, SciPy, h5py and
 * Jupyter from scripts/system-deps.sh) when present, else the `python3` on PATH (which may be a pyenv one without).
 */
export const DEFAULT_PYTHON = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

function findPython(): { python: string | null; reason: string | null } {
  const reasons: string[] = [];
  for (const python of [...new Set([DEFAULT_PYTHON, "python3"])]) {
    try {
      execFileSync(python, ["-c", "import numpy, scipy.optimize, scipy.special"], { stdio: "pipe" });
      return { python, reason: null };
    } catch (e) {
      reasons.push(`${python}: ${(e as Error).message.split("\n")[0]}`);
    }
  }
  return { python: null, reason: `no python3 with numpy and scipy (${reasons.join("; ")})` };
}

const found = findPython();
/** The interpreter used, or null. */
export const python = found.python;
/** Why the cross-checks are skipped, or null when they run. */
export const pythonMissing = found.reason;

/** Runs `reference.py <args>` and returns its stdout. */
export function reference(args: readonly string[]): string {
  if (!python) throw new Error(pythonMissing ?? "no python");
  return execFileSync(python, [referenceScript, ...args], { stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" });
}
