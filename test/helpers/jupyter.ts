/**
 * Running notebooks headless in a real Jupyter for the tests: write an .ipynb from cell sources, execute it
 * with `jupyter nbconvert --execute` against a private kernel registry, and read its outputs back.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { DEFAULT_PYTHON } from "./python.js";

/** The Python whose Jupyter runs the notebooks (see DEFAULT_PYTHON). */
export const PYTHON = DEFAULT_PYTHON;

/** Why notebooks cannot run here (nbconvert/nbclient missing), or null. */
export function jupyterMissing(): string | null {
  const r = spawnSync(PYTHON, ["-c", "import nbconvert, nbclient, jupyter_client"], { encoding: "utf8" });
  return r.status === 0 ? null : `${PYTHON} has no nbconvert/nbclient (Debian: jupyter-nbconvert python3-nbclient)`;
}

/** Writes a notebook of code cells for kernel `kernel` (language `language`) to `file`. */
export function writeNotebook(file: string, cells: readonly string[], kernel = "tslab", language = "typescript"): void {
  writeFileSync(file, JSON.stringify({
    nbformat: 4, nbformat_minor: 5,
    metadata: { kernelspec: { name: kernel, display_name: kernel, language }, language_info: { name: language } },
    cells: cells.map((source, i) => ({ id: `c${i}`, cell_type: "code", execution_count: null, metadata: {}, outputs: [], source })),
  }));
}

/** One output of an executed cell. */
export interface CellOutput {
  output_type: string;
  name?: string;
  text?: string | string[];
  data?: Record<string, unknown>;
  ename?: string;
  evalue?: string;
}

/**
 * Executes `file` in place with nbconvert (kernel cwd = the notebook's folder) under `env`; returns each cell's
 * outputs. Throws with nbconvert's stderr when execution fails.
 */
export function executeNotebook(file: string, env: NodeJS.ProcessEnv, timeoutMs = 300_000): CellOutput[][] {
  // iopub_timeout: outputs that arrive after the kernel reports idle (a large figure on a loaded machine) are
  // waited for up to 60 s instead of nbclient's default 4 s
  const r = spawnSync(PYTHON, ["-m", "nbconvert", "--to", "notebook", "--execute", "--inplace", `--ExecutePreprocessor.timeout=${Math.round(timeoutMs / 1000)}`, "--ExecutePreprocessor.iopub_timeout=60", basename(file)],
    { cwd: dirname(file), env: { PYDEVD_DISABLE_FILE_VALIDATION: "1", ...env }, encoding: "utf8", timeout: timeoutMs + 30_000 });
  if (r.status !== 0) throw new Error(`nbconvert --execute ${file} failed (exit ${r.status}):\n${(r.stderr ?? "").slice(-4000)}`);
  const nb = JSON.parse(readFileSync(file, "utf8")) as { cells: { outputs?: CellOutput[] }[] };
  return nb.cells.map((c) => c.outputs ?? []);
}

/** The text of an output (stream text or text/plain). */
export function outputText(o: CellOutput): string {
  const t = o.text ?? (o.data?.["text/plain"] as string | string[] | undefined) ?? "";
  return Array.isArray(t) ? t.join("") : t;
}

/** The Jupyter paths for a private registry under `dir` (kernels in dir/share/jupyter/kernels). */
export function privateJupyter(dir: string): NodeJS.ProcessEnv {
  return {
    JUPYTER_PATH: join(dir, "share", "jupyter"),
    JUPYTER_CONFIG_DIR: join(dir, "config"),
    JUPYTER_RUNTIME_DIR: join(dir, "runtime"),
    JUPYTER_DATA_DIR: join(dir, "data"),
  };
}
