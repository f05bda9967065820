/**
 * Worker thread of the pairwise engine. Two kinds of message:
 * - a job (`{ module, job, pairs, control }`) whose arrays live in SharedArrayBuffers: computes its row pairs
 *   with the same BlockEngine as the calling thread and reports `{ complete }`. Control words (shared Int32):
 *   [0] = stop requested, [1] = finished (pair, block) units, for the progress bar;
 * - a fixed basis for one-row cross distances (`bhattacharyyaToOffThread`): `{ basis: { module, job } }` packs
 *   the basis columns once and answers `{ ready }`; then each `{ id, row }` (S·C probabilities) is answered with
 *   `{ id, distances }` (Float64Array of the basis size, nats per sample), in the order received.
 */
import { parentPort } from "node:worker_threads";
import { BlockEngine, type PairJob } from "./engine.js";

interface JobMessage {
  module: WebAssembly.Module;
  job: PairJob;
  pairs: number[];
  control: Int32Array;
}
interface BasisMessage {
  basis: { module: WebAssembly.Module; job: PairJob };
}
interface RowMessage {
  id: number;
  row: Float32Array;
}

let basis: { engine: BlockEngine } | null = null;

const post = (m: object, transfer: ArrayBuffer[] = []) => parentPort!.postMessage(m, transfer);
const failure = (error: unknown) => (error instanceof Error ? error.stack ?? error.message : String(error));

parentPort!.on("message", (msg: JobMessage | BasisMessage | RowMessage) => {
  if ("basis" in msg) {
    try {
      const engine = new BlockEngine(msg.basis.module, msg.basis.job);
      engine.packColumns();
      basis = { engine };
      post({ ready: true });
    } catch (error) {
      post({ error: failure(error) });
    }
    return;
  }
  if ("row" in msg) {
    try {
      if (!basis) throw new Error("no basis: send { basis } first");
      const distances = basis.engine.distancesOfRow(msg.row).slice();
      post({ id: msg.id, distances }, [distances.buffer]);
    } catch (error) {
      post({ id: msg.id, error: failure(error) });
    }
    return;
  }
  try {
    const engine = new BlockEngine(msg.module, msg.job);
    const complete = engine.run(
      msg.pairs,
      () => Atomics.load(msg.control, 0) !== 0,
      () => { Atomics.add(msg.control, 1, 1); },
    );
    post({ complete });
  } catch (error) {
    post({ error: failure(error) });
  }
});
