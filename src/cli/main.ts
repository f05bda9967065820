#!/usr/bin/env node
/**
 * The `inpca` command. `inpca report <folder> [--out report.html]` writes the HTML report of `report.ts`;
 * `inpca kernel [--python P]` registers the Jupyter kernel of `kernel.ts`.
 * Progress goes to stderr; exit codes: 0 done, 1 bad input (the message names the file), 2 bad usage,
 * 130 interrupted (Ctrl-C stops the distance workers and exits without writing).
 */
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import { InpcaAbortError, InpcaInputError } from "../core/errors.js";
import { forCommandLine } from "../core/fixes.js";
import { flag, integer, oneOf, type Rule } from "../core/options.js";
import { formatSeconds } from "../core/progress.js";
import { shutdownPool } from "../geometry/pairwise/pool.js";
import { describeOsError, writeFileAtomic } from "../io/stores/atomic.js";
import { defaultPython, kernelTransportProblem, registerKernel, tslabProject } from "./kernel.js";
import { buildReport, type ReportSplit } from "./report.js";
import { EXACT_LIMIT } from "../geometry/embed.js";
import { jobsMain, JOBS_USAGE, PLAN_READING_FLAGS } from "./jobs.js";
import { CHECKPOINT_FLAG_OPTIONS, CHECKPOINT_FLAGS_USAGE, checkpointFlags, type CheckpointFlags } from "./checkpoint-flags.js";

const VERSION = "0.1.0";

const USAGE = `Usage: inpca report <folder> [options]
       inpca kernel [--python PATH] [--user | --prefix DIR]
       inpca plan | distances | embed   (landmark InPCA as a job array; below)

inpca kernel registers the Jupyter kernel "tslab" so that each notebook runs the tslab of its own
project (node_modules/tslab above the notebook): projects side by side never break each other.
--python is the Python that has Jupyter (default /usr/bin/python3, else python3: the python3 on
PATH may be one without Jupyter, such as a pyenv or conda one).

inpca report:

Writes one self-contained HTML page (plotly.js inlined, nothing fetched) with, for the train and test
predictions: the 3-D InPCA embedding with the ignorance→truth geodesic and P0/P*, explained stress,
progress λ* against epoch, and a table of runs with their final error and λ*.

<folder> is a zoo (manifest.json, as written by ip.saveZoo / npm run zoo) or a folder of saved
predictions that ip.loadCheckpoints reads: one run folder, a folder of run folders, or train/ and
test/ sub-folders of either. Labels come from labels[.<split>].npy/.json/... next to the checkpoints
or in <folder>; without labels the geodesic and progress are left out (the page says so).

Options:
  --out, -o FILE        where to write the page (default report.html)
  --split S             train, test or both (default: both when there is a test split)
  --dims K              InPCA axes kept, ≥ 3 (default 3; the figure shows the first three)
  --method M            exact, landmark or auto (default auto: exact InPCA up to ${EXACT_LIMIT}
                        checkpoints per split, landmark InPCA above, so every checkpoint is embedded)
  --landmarks L         landmarks of the landmark method (default 2000)
  --max-points N        thin to at most N checkpoints per split, evenly within each run (default: all)
  --all-runs            a zoo's untrained, unfinished and corner runs too (default: finished,
                        trained, ordinary runs; the page says how many were left out)
  --title TEXT          page title (default "InPCA report: <folder name>")
  --color-by FIELD      colour runs by a configuration field (default arch, else run)
  --labels FILE         labels of the samples (.npy, .npz, .json, .safetensors, .h5)
${CHECKPOINT_FLAGS_USAGE}
  --quiet, -q           no progress on stderr
  --help, -h            this text
  --version             the inpca version

Example:
  npx inpca report data/zoo --out /tmp/report.html

${JOBS_USAGE.replace(PLAN_READING_FLAGS, "  --array, --inputs, --kind, --renormalize, --labels: as for inpca report, above")}`;

class UsageError extends Error {}

/** A flag's value checked by the one validator (core/options.ts); a bad one is a usage error. */
function flagOf<T>(value: string | undefined, rule: Rule, name: string): T | undefined {
  try {
    return flag<T>(value, rule, name);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** A bug in inpca, as one line (the trace with INPCA_DEBUG=1): no stack trace reaches a user of any verb. */
function internalError(e: unknown): string {
  return `inpca: internal error (please report it): ${(e as Error)?.message ?? String(e)}${process.env.INPCA_DEBUG ? `\n${(e as Error)?.stack}` : " (INPCA_DEBUG=1 shows the trace)"}`;
}

/** Runs the command with `argv` (without node and the script); resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const err = (line: string) => process.stderr.write(`${line}\n`);
  if (["plan", "distances", "embed"].includes(argv[0] ?? "")) {
    try {
      return await jobsMain(argv, err);
    } finally {
      await shutdownPool();
    }
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        out: { type: "string", short: "o" },
        split: { type: "string" },
        dims: { type: "string" },
        "max-points": { type: "string" },
        "all-runs": { type: "boolean" },
        method: { type: "string" },
        landmarks: { type: "string" },
        title: { type: "string" },
        "color-by": { type: "string" },
        ...CHECKPOINT_FLAG_OPTIONS,
        python: { type: "string" },
        prefix: { type: "string" },
        user: { type: "boolean" },
        quiet: { type: "boolean", short: "q" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean" },
      },
    });
  } catch (e) {
    err(`inpca: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values: o, positionals } = parsed;
  if (o.version) {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const [command, folder, ...extra] = positionals;
  if (o.help || command === "help" || command === undefined) {
    (command === undefined && !o.help ? err : (s: string) => process.stdout.write(`${s}\n`))(USAGE);
    return command === undefined && !o.help ? 2 : 0;
  }
  if (command === "kernel") {
    if (folder !== undefined) {
      err(`inpca kernel takes no folder (got "${folder}")\n\n${USAGE}`);
      return 2;
    }
    try {
      const dir = registerKernel({ python: o.python ?? defaultPython(), prefix: o.prefix ? resolve(o.prefix) : undefined, user: o.user });
      process.stdout.write(`${dir}\n`);
      // the kernel runs the tslab of the notebook's project: check, from here, that it can talk to Jupyter
      const project = tslabProject(process.cwd());
      const problem = project ? kernelTransportProblem(project) : null;
      if (problem) err(`inpca kernel: registered, but notebooks here will not start: ${problem}`);
      return 0;
    } catch (e) {
      err(`inpca: ${(e as Error).message}`);
      return 1;
    }
  }
  if (command !== "report") {
    err(`inpca: unknown command "${command}" (commands: report, kernel)\n\n${USAGE}`);
    return 2;
  }
  let split: ReportSplit | undefined;
  let dims: number | undefined;
  let maxPoints: number | undefined;
  let landmarks: number | undefined;
  let flags: CheckpointFlags = {};
  try {
    if (folder === undefined) throw new UsageError("inpca report needs a folder: a zoo (manifest.json) or a folder of checkpoint predictions");
    if (extra.length) throw new UsageError(`one folder only; also given: ${extra.join(" ")}`);
    split = flagOf<ReportSplit>(o.split, oneOf("train", "test", "both"), "split");
    dims = flagOf<number>(o.dims, integer(3), "dims");
    maxPoints = flagOf<number>(o["max-points"], integer(4), "max-points");
    flagOf(o.method, oneOf("exact", "landmark", "auto"), "method");
    const f = checkpointFlags(o);
    if (typeof f === "string") throw new UsageError(f);
    flags = f;
    landmarks = flagOf<number>(o.landmarks, integer(4), "landmarks");
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    err(`inpca: ${e.message}\n(inpca report --help for the options)`);
    return 2;
  }
  const out = resolve(o.out ?? "report.html");
  const log = o.quiet ? () => {} : (line: string) => err(`inpca: ${line}`);
  // Ctrl-C: the first stops the work (workers included) and exits 130 without writing; a second exits at once.
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    if (!o.quiet) err("\ninpca: interrupting (Ctrl-C again to quit at once)");
    controller.abort();
  };
  process.on("SIGINT", onSigint);
  const t0 = Date.now();
  try {
    const report = await buildReport(folder!, {
      split, dims, maxPoints, runs: o["all-runs"] ? "all" : "ordinary", method: o.method as "auto" | undefined, landmarks, title: o.title, colorBy: o["color-by"], labels: o.labels, checkpoints: flags,
      signal: controller.signal, log, showProgress: !o.quiet && process.stderr.isTTY ? "auto" : false,
      command: ["inpca", ...argv].map((a) => (/^[\w./=:+-]+$/.test(a) ? a : JSON.stringify(a))).join(" "),
    });
    if (controller.signal.aborted) throw new InpcaAbortError("inpca report");
    try {
      mkdirSync(dirname(out), { recursive: true });
    } catch (e) {
      throw new InpcaInputError(`cannot create the folder: ${describeOsError(e)}`, { file: dirname(out), cause: e });
    }
    writeFileAtomic(out, report.html);
    const mb = Buffer.byteLength(report.html) / 1e6;
    log(`wrote ${out} (${mb.toFixed(1)} MB) in ${formatSeconds((Date.now() - t0) / 1000)}: ${report.runs} runs, ${report.checkpoints} checkpoints; ` +
      report.splits.map((s) => `${s.split} ES(3) = ${s.es3.toFixed(3)}`).join(", "));
    return 0;
  } catch (e) {
    if (e instanceof InpcaAbortError || controller.signal.aborted) {
      err("inpca: interrupted; nothing written");
      return 130;
    }
    if (e instanceof InpcaInputError) {
      err(`inpca: ${forCommandLine(e.message)}`);
      return 1;
    }
    // an OS error (a full disk, a read-only folder, a missing file) is one line naming the path, not a trace
    const os = e as NodeJS.ErrnoException;
    if (os?.code && os.syscall) {
      err(`inpca: ${os.path ? `${os.path}: ` : ""}${describeOsError(e)}`);
      return 1;
    }
    err(internalError(e));
    return 70;
  } finally {
    process.off("SIGINT", onSigint);
    await shutdownPool();
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  }, (e: unknown) => {
    process.stderr.write(`${internalError(e)}\n`);
    process.exitCode = 70;
  });
}
