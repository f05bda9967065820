import { chooseBackend } from "../src/train/backend";
import { buildModel, ARCHITECTURES } from "../src/train/models";
import { trainPhase } from "../src/train/train";
import { evaluate } from "../src/train/record";
import { loadFashionMnist } from "../src/io/idx";
import * as tf from "@tensorflow/tfjs";
async function main() {
  console.log(await chooseBackend());
  const d = loadFashionMnist("train");
  const n = 1280;
  const data = { images: d.images.subarray(0, n * 784), labels: d.labels.subarray(0, n), n };
  for (const arch of (process.argv[2] ? process.argv[2].split(",") : ARCHITECTURES) as any[]) {
    const m = buildModel(arch, 1);
    const params = m.countParams();
    const t0 = Date.now();
    await trainPhase(m, { data, epochs: 1, seed: 1, optimizer: "adam", lr: 1e-3, batchSize: 128, weightDecay: 0, augment: false });
    const t1 = Date.now();
    const ev = evaluate(m, { images: d.images.subarray(0, 1000 * 784), labels: d.labels.subarray(0, 1000), n: 1000 });
    const t2 = Date.now();
    console.log(arch, "params", params, "ms/step(128)", ((t1 - t0) / 10).toFixed(0), "eval ms/1000", t2 - t1, "err", ev.error.toFixed(3), "tensors", tf.memory().numTensors);
  }
}
main();
