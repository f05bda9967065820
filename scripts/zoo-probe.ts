/**
 * `tsx scripts/zoo-probe.ts ARCH OPTIMIZER N EPOCHS [WARMUP] [BATCH] [LR]`: trains one network on a class-balanced
 * subset of N Fashion-MNIST images and prints its train error (on those images) and test error (500 test images)
 * every few epochs, with wall time. Used to choose the zoo's recipe (data/README.md); not part of the library.
 */
import { loadFashionMnist } from "../src/io/formats/idx";
import { chooseBackend } from "../src/train/backend";
import { buildModel, type Architecture } from "../src/train/models";
import { evaluate } from "../src/train/record";
import { trainPhase, type LabelledImages } from "../src/train/train";
import { uniform } from "../src/linalg/random";

function balanced(labels: Int32Array, per: number, seed: number): number[] {
  const random = uniform(seed);
  const idx = Array.from(labels.keys());
  for (let i = idx.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  const count = new Array<number>(10).fill(0);
  const out: number[] = [];
  for (const i of idx) if (count[labels[i]!]! < per) { count[labels[i]!]!++; out.push(i); }
  return out;
}
function take(d: { images: Float32Array; labels: Int32Array }, ix: number[]): LabelledImages {
  const images = new Float32Array(ix.length * 784);
  ix.forEach((i, k) => images.set(d.images.subarray(i * 784, (i + 1) * 784), k * 784));
  return { images, labels: Int32Array.from(ix.map((i) => d.labels[i]!)), n: ix.length };
}
const [arch, optimizer, n, epochs, warmup, batch, lr, clip, aug] = process.argv.slice(2);
const BASE: Record<string, number> = { sgd: 0.1, nesterov: 0.05, adam: 0.001 };
(async () => {
  console.log("backend", await chooseBackend());
  const tr = loadFashionMnist("train");
  const te = loadFashionMnist("test");
  const data = take(tr, balanced(tr.labels, Number(n) / 10, 20240101));
  const test = take(te, balanced(te.labels, 50, 11));
  const model = buildModel(arch as Architecture, 0);
  const E = Number(epochs);
  const bs = Number(batch ?? 128);
  const t0 = Date.now();
  const per = Math.floor(data.n / bs);
  await trainPhase(model, {
    data, epochs: E, seed: 0, optimizer: optimizer as "sgd", lr: Number(lr ?? BASE[optimizer!]! * bs / 128), batchSize: bs, weightDecay: 0, augment: aug === "aug",
    warmupEpochs: Number(warmup ?? 0), clipNorm: clip ? Number(clip) : undefined,
    checkpointSteps: Array.from({ length: E + 1 }, (_, e) => e * per).filter((_, e) => e % Math.max(1, Math.floor(E / 8)) === 0 || e === E),
    onCheckpoint: (c) => {
      const a = evaluate(c.model, data), b = evaluate(c.model, test);
      console.log(`epoch ${c.epoch.toFixed(0).padStart(3)} train ${a.error.toFixed(3)} loss ${a.loss.toFixed(3)} test ${b.error.toFixed(3)}  ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    },
  });
})();
