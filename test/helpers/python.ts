/**
 * The Python the NumPy / SciPy / h5py cross-checks run: Debian's /usr/bin/python3 first, then `python3` on the
 * PATH. `numpyMissing` (and `scipyMissing()`, `h5pyMissing()`) is null when such a Python is found, else the reason,
 * for skipWhen (test/helpers/skip.ts): an absent Python or module is the only thing that may skip a cross-check,
 * and with CI set that skip fails the run. A check that only needs NumPy asks for NumPy only.
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

/** The first of Debian's python3 and the PATH's that imports `modules`, or why none does. */
function findPython(modules: string): { python: string | null; reason: string | null } {
  const reasons: string[] = [];
  for (const python of [...new Set([DEFAULT_PYTHON, "python3"])]) {
    try {
      execFileSync(python, ["-c", `import ${modules}`], { stdio: "pipe" });
      return { python, reason: null };
    } catch (e) {
      const err = e as Error & { stderr?: Buffer };
      const last = err.stderr?.toString().trim().split("\n").pop();
      reasons.push(`${python}: ${last || err.message.split("\n")[0]}`);
    }
  }
  return { python: null, reason: `no python3 that imports ${modules} (${reasons.join("; ")}; Debian: bash scripts/system-deps.sh)` };
}

const probes = new Map<string, { python: string | null; reason: string | null }>();
/** findPython(modules), once per run of a test file (SciPy and h5py are probed only by the tests that use them). */
function probe(modules: string): { python: string | null; reason: string | null } {
  let r = probes.get(modules);
  if (!r) probes.set(modules, (r = findPython(modules)));
  return r;
}
const NUMPY = "numpy", SCIPY = "numpy, scipy.optimize, scipy.special", H5PY = "numpy, h5py";

/** A Python with NumPy (all that scripts/reference.py needs except `average` and `lambertw`), or null. */
export const python = probe(NUMPY).python;
/** Why the NumPy cross-checks are skipped, or null when they run. */
export const numpyMissing = probe(NUMPY).reason;
/** Why the SciPy cross-checks (reference.py `average`, `lambertw`) are skipped, or null when they run. */
export const scipyMissing = (): string | null => probe(SCIPY).reason;
/** A Python with NumPy and h5py, or null. */
export const h5pyPython = (): string | null => probe(H5PY).python;
/** Why the h5py cross-checks are skipped, or null when they run. */
export const h5pyMissing = (): string | null => probe(H5PY).reason;

/**
 * Runs `python args…` and returns its stdout. Any Python error (an exception, NumPy refusing a file we wrote)
 * throws with Python's stderr, so the test fails: only an absent Python may skip, and that through skipWhen.
 */
export function runPython(py: string | null, args: readonly string[]): string {
  if (!py) throw new Error("no python3 with the modules this check needs (see numpyMissing, scipyMissing, h5pyMissing)");
  try {
    return execFileSync(py, args, { stdio: ["ignore", "pipe", "pipe"], encoding: "utf8", maxBuffer: 1 << 30 });
  } catch (e) {
    const err = e as Error & { stderr?: string; status?: number };
    throw new Error(`${py} failed (exit ${err.status}): ${err.stderr?.trim() || err.message}`);
  }
}

/** Runs `reference.py <args>` with the NumPy Python and returns its stdout (a Python error throws, with its stderr). */
export function reference(args: readonly string[]): string {
  return runPython(python, [referenceScript, ...args]);
}

/** Runs `reference.py <args>` with the NumPy + SciPy Python (for `average` and `lambertw`). */
export function referenceScipy(args: readonly string[]): string {
  return runPython(probe(SCIPY).python, [referenceScript, ...args]);
}
