/**
 * The job-array verbs (`inpca plan`, `inpca distances --task i`, `inpca embed`): landmark InPCA (jobs-landmark.ts)
 * or exact InPCA (jobs-exact.ts) as tasks that a scheduler (Slurm, a Kubernetes Indexed Job) distributes, with
 * shared storage (the WORK folder) carrying the results; no coordinator of our own. This file reads the command
 * line: every flag is checked by the one validator (core/options.ts) before anything is read or written, and
 * every failure reaches the user as one line naming the file, the field or the flag, never a stack trace.
 *
 * WORK holds plan.json and the tasks' outputs, each bound to the plan and to the predictions it was computed
 * from (see plan-file.ts, task-results.ts, io/stores/block-store.ts); every file is written atomically, the record last.
 */
import { statSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { InpcaAbortError, InpcaInputError } from "../core/errors.js";
import { flag, integer, memory, oneOf, type Rule } from "../core/options.js";
import type { LandmarkSelection } from "../geometry/landmark/index.js";
import type { Precision } from "../geometry/pairwise/engine.js";
import { forCommandLine } from "../core/fixes.js";
import { describeOsError } from "../io/stores/atomic.js";
import { CHECKPOINT_FLAG_OPTIONS, CHECKPOINT_FLAGS_USAGE, checkpointFlags } from "./checkpoint-flags.js";
import { exactDistances, exactEmbed, planExactJob } from "./jobs-exact.js";
import { landmarkDistances, landmarkEmbed, planLandmarkJob } from "./jobs-landmark.js";
import { JobUsageError } from "./job-source.js";
import { EXACT_PLAN_FORMAT, readPlan } from "./plan-file.js";

export { EXACT_PLAN_FORMAT, PLAN_FORMAT } from "./plan-file.js";

/** The reading flags of plan, as its own usage lists them (the full help refers to inpca report's list instead). */
export const PLAN_READING_FLAGS = `${CHECKPOINT_FLAGS_USAGE}
  --labels FILE         labels of the samples`;

export const JOBS_USAGE = `inpca plan SOURCE --out WORK --tasks N [--split train] [--dataset NAME] [--landmarks L]
           [--dims K] [--samples n] [--seed s] [--select pivoted|spread|farthest|random] [--precision f32|f64]
           [--fresh]
inpca plan SOURCE --exact [--block B] --out WORK --tasks N [--split …] [--dataset …] [--dims K] [--samples n]
           [--seed s] [--precision f64|f32] [--fresh]
inpca distances WORK --task i        (i = $SLURM_ARRAY_TASK_ID or $JOB_COMPLETION_INDEX)
inpca embed WORK --out DIR [--report FILE.html] [--memory BYTES]  (BYTES may end in K, M or G)

Landmark InPCA as a job array on a shared filesystem. plan chooses the landmarks exactly as
ip.landmarkInpca does and splits the model-points of SOURCE into N tasks (SOURCE: a zoo folder, a
folder of checkpoints as ip.loadCheckpoints reads it, or an .h5 file with --dataset); each
distances task computes its model-points' distances to the landmarks (task 0 also the landmarks'
own matrix), skips itself when already done and writes atomically; embed checks every task, runs
the landmark InPCA and writes DIR/coords.npy and DIR/embedding.json (ip.loadEmbedding reads them),
and with --report a self-contained HTML page of the 3-D embedding and its explained stress.

plan reads a folder of checkpoints as inpca report does, with the same flags (kept in the plan, so
every task reads the same way):
${PLAN_READING_FLAGS}

With --exact, plan splits the upper triangle of the full M×M distance matrix into blocks of
B×B model-points (default 2000) and the blocks into N tasks; each distances task writes its
blocks (float32, with a SHA-256 record each); embed checks every block and solves exact InPCA
out of core (Lanczos streaming the blocks from disk, as many kept in memory as --memory holds).

Every output records what it was computed from (the plan, its task and position, the content of
the predictions it read) and is used only for that: a source changed between tasks, an output
copied from another WORK or a hand-edited plan is refused by name. Planning into a WORK that
holds another plan is refused; --fresh removes the old plan and its outputs first.`;

/** The rules of the flags (the same validator as the API's options and the plan files). */
const FLAGS: Readonly<Record<string, Rule>> = {
  tasks: integer(1, 10_000_000), task: integer(0), landmarks: integer(2), dims: integer(1), samples: integer(1), seed: integer(0, 2 ** 31 - 1),
  select: oneOf("pivoted", "spread", "farthest", "random"), precision: oneOf("f32", "f64"), block: integer(1), memory: memory(),
};

/** A flag's value checked by its rule; a bad one is a usage error (exit 2, with the usage text). */
function flagValue<T>(o: Record<string, unknown>, name: string): T | undefined {
  try {
    return flag<T>(o[name] as string | undefined, FLAGS[name]!, name);
  } catch (e) {
    throw new JobUsageError((e as Error).message);
  }
}

/** Runs `inpca plan|distances|embed …`; resolves to the exit code. */
export async function jobsMain(argv: readonly string[], err: (line: string) => void): Promise<number> {
  const [command, ...rest] = argv;
  let parsed;
  try {
    parsed = parseArgs({
      args: rest, allowPositionals: true, strict: true,
      options: {
        out: { type: "string", short: "o" }, tasks: { type: "string" }, task: { type: "string" }, split: { type: "string" },
        landmarks: { type: "string" }, dims: { type: "string" }, samples: { type: "string" }, seed: { type: "string" },
        select: { type: "string" }, precision: { type: "string" }, dataset: { type: "string" }, report: { type: "string" },
        exact: { type: "boolean" }, block: { type: "string" }, memory: { type: "string" }, fresh: { type: "boolean" },
        quiet: { type: "boolean", short: "q" }, ...CHECKPOINT_FLAG_OPTIONS,
      },
    });
  } catch (e) {
    err(`inpca ${command}: ${(e as Error).message}\n\n${JOBS_USAGE}`);
    return 2;
  }
  const { values: o, positionals } = parsed;
  const log = o.quiet ? () => {} : (line: string) => err(`inpca ${command}: ${line}`);
  try {
    if (positionals.length !== 1) throw new JobUsageError(`needs one folder, got ${positionals.length}`);
    const folder = resolve(positionals[0]!);
    if (command === "plan") {
      if (!o.out) throw new JobUsageError("--out WORK is required");
      const flags = checkpointFlags(o);
      if (typeof flags === "string") throw new JobUsageError(flags);
      const tasks = flagValue<number>(o, "tasks");
      if (tasks === undefined) throw new JobUsageError("--tasks N is required");
      const common = {
        tasks, split: o.split, dataset: o.dataset, flags, dims: flagValue<number>(o, "dims"), samples: flagValue<number>(o, "samples"),
        seed: flagValue<number>(o, "seed"), precision: flagValue<Precision>(o, "precision"), fresh: o.fresh === true,
      };
      if (o.memory !== undefined) throw new JobUsageError("--memory is for embed");
      if (o.exact) {
        if (o.landmarks !== undefined || o.select !== undefined) throw new JobUsageError("--exact computes the full matrix: it takes no --landmarks or --select");
        await planExactJob(folder, resolve(o.out), { ...common, block: flagValue<number>(o, "block") }, log);
        return 0;
      }
      if (o.block !== undefined) throw new JobUsageError("--block is for --exact plans");
      await planLandmarkJob(folder, resolve(o.out), { ...common, landmarks: flagValue<number>(o, "landmarks"), select: flagValue<LandmarkSelection>(o, "select") }, log);
      return 0;
    }
    if (command === "distances") {
      const task = flagValue<number>(o, "task");
      if (task === undefined) throw new JobUsageError("--task i is required (i from 0; $SLURM_ARRAY_TASK_ID, $JOB_COMPLETION_INDEX)");
      if (readPlan(folder).format === EXACT_PLAN_FORMAT) await exactDistances(folder, task, log, !o.quiet);
      else await landmarkDistances(folder, task, log, !o.quiet);
      return 0;
    }
    if (command === "embed") {
      if (!o.out) throw new JobUsageError("--out DIR is required");
      const memoryBytes = flagValue<number>(o, "memory");
      const out = resolve(o.out);
      if (statSync(out, { throwIfNoEntry: false })?.isFile()) throw new InpcaInputError("--out DIR must be a folder, and this is a file", { file: out });
      const report = o.report ? resolve(o.report) : undefined;
      if (report && statSync(report, { throwIfNoEntry: false })?.isDirectory()) throw new InpcaInputError("--report FILE.html is a folder", { file: report });
      if (readPlan(folder).format === EXACT_PLAN_FORMAT) await exactEmbed(folder, out, log, report, memoryBytes, !o.quiet);
      else {
        if (memoryBytes !== undefined) throw new JobUsageError("--memory is for exact plans (the landmark plan fixed its memory when it was made)");
        await landmarkEmbed(folder, out, log, report);
      }
      return 0;
    }
    throw new JobUsageError(`unknown command ${command}`);
  } catch (e) {
    if (e instanceof JobUsageError) {
      err(`inpca ${command}: ${e.message}\n\n${JOBS_USAGE}`);
      return 2;
    }
    if (e instanceof InpcaInputError) {
      err(`inpca ${command}: ${forCommandLine(e.message)}`);
      return 1;
    }
    if (e instanceof InpcaAbortError) {
      err(`inpca ${command}: interrupted`);
      return 130;
    }
    // an OS error (a full disk, a read-only folder, a missing file) is one line naming the path, not a trace
    const os = e as NodeJS.ErrnoException;
    if (os?.code && os.syscall) {
      err(`inpca ${command}: ${os.path ? `${os.path}: ` : ""}${describeOsError(e)}`);
      return 1;
    }
    // anything else is a bug in inpca: one line, and the trace only when asked for
    err(`inpca ${command}: internal error (please report it): ${(e as Error)?.message ?? String(e)}${process.env.INPCA_DEBUG ? `\n${(e as Error)?.stack}` : " (INPCA_DEBUG=1 shows the trace)"}`);
    return 70;
  }
}
