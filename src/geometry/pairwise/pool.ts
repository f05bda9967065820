/**
 * A lazily started pool of worker threads for the pairwise engine, one per core by default. Workers are
 * unreferenced between jobs, so an idle pool never keeps Node (or a notebook kernel) from exiting.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { workerFile } from "./runtime.js";
import type { PairJob } from "./engine.js";

let pool: Worker[] = [];

/** Default number of worker threads: the number of cores. */
export function defaultThreads(): number {
  return Math.max(1, availableParallelism());
}

function workers(n: number): Worker[] {
  while (pool.length < n) {
    const w = new Worker(workerFile());
    w.unref();
    pool.push(w);
  }
  return pool.slice(0, n);
}

/** Ends every worker (the next job starts new ones). */
export async function shutdownPool(): Promise<void> {
  const all = pool;
  pool = [];
  await Promise.all(all.map((w) => w.terminate()));
}

/**
 * Runs `job` on `assignments.length` workers (worker t takes the row pairs assignments[t]).
 * Resolves true when complete, false when `control[0]` was set to stop it; rejects on a worker error.
 */
export function runOnWorkers(module: WebAssembly.Module, job: PairJob, assignments: number[][], control: Int32Array): Promise<boolean> {
  const ws = workers(assignments.length);
  return new Promise((resolve, reject) => {
    let pending = ws.length;
    let complete = true;
    let failed = false;
    const cleanups: (() => void)[] = [];
    const finish = () => {
      for (const c of cleanups) c();
    };
    // After a failure the other workers of this job may still be busy: end them rather than wait.
    const abandon = () => {
      finish();
      pool = pool.filter((x) => !ws.includes(x));
      for (const w of ws) void w.terminate();
    };
    ws.forEach((w, t) => {
      w.ref();
      const onMessage = (m: { complete?: boolean; error?: string }) => {
        w.unref();
        if (m.error !== undefined) {
          if (!failed) {
            failed = true;
            Atomics.store(control, 0, 1);
            abandon();
            reject(new Error(`inpca worker ${t} failed: ${m.error}`));
          }
          return;
        }
        if (m.complete === false) complete = false;
        if (--pending === 0 && !failed) {
          finish();
          resolve(complete);
        }
      };
      const onError = (e: Error) => {
        if (!failed) {
          failed = true;
          Atomics.store(control, 0, 1);
          abandon();
          reject(e);
        }
      };
      w.on("message", onMessage);
      w.on("error", onError);
      cleanups.push(() => {
        w.off("message", onMessage);
        w.off("error", onError);
      });
      w.postMessage({ module, job, pairs: assignments[t], control });
    });
  });
}
