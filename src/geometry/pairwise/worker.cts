/**
 * Worker thread of the pairwise engine: receives a job whose arrays live in SharedArrayBuffers, computes its
 * row pairs with the same BlockEngine as the calling thread, and reports back. Control words (shared Int32):
 * [0] = stop requested, [1] = finished (pair, block) units, for the progress bar.
 */
import { parentPort } from "node:worker_threads";
import { BlockEngine, type PairJob } from "./engine.js";

interface Message {
  module: WebAssembly.Module;
  job: PairJob;
  pairs: number[];
  control: Int32Array;
}

parentPort!.on("message", (msg: Message) => {
  try {
    const engine = new BlockEngine(msg.module, msg.job);
    const complete = engine.run(
      msg.pairs,
      () => Atomics.load(msg.control, 0) !== 0,
      () => { Atomics.add(msg.control, 1, 1); },
    );
    parentPort!.postMessage({ complete });
  } catch (error) {
    parentPort!.postMessage({ error: error instanceof Error ? error.stack ?? error.message : String(error) });
  }
});
