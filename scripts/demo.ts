/**
 * `npm start`: the whole pipeline of the library end to end on synthetic training trajectories, printed as
 * text: predictions → Bhattacharyya distances (all cores) → InPCA (time-like axes, explained stress) → the
 * ignorance→truth geodesic placed out of sample → progress of every checkpoint.
 */
import * as ip from "../src/index.js";
import { normal, uniform } from "../src/linalg/random.js";

/** Runs of `checkpoints` checkpoints each, whose logits move from zero (ignorance) toward the labels. */
function syntheticRuns(runs: number, checkpoints: number, S: number, C: number): ip.PredictionSet {
  const g = normal(7);
  const u = uniform(8);
  const labels = Int32Array.from({ length: S }, () => Math.floor(u() * C));
  const hard = Float64Array.from({ length: S }, () => u());
  const M = runs * checkpoints;
  const logits = new Float64Array(M * S * C);
  const meta: ip.ModelPoint[] = [];
  for (let r = 0; r < runs; r++) {
    const arch = r % 2 ? "cnn" : "mlp";
    const speed = arch === "cnn" ? 1.4 : 1;
    for (let t = 0; t < checkpoints; t++) {
      const m = r * checkpoints + t;
      const time = (t / (checkpoints - 1)) ** 2; // dense early, sparse late
      const strength = 8 * Math.min(1, speed * time);
      for (let n = 0; n < S; n++) {
        const target = hard[n]! > 0.85 ? (labels[n]! + 1 + (r % 2)) % C : labels[n]!;
        for (let c = 0; c < C; c++) logits[(m * S + n) * C + c] = (c === target ? strength : 0) + 0.6 * g() * Math.sqrt(time);
      }
      meta.push({ run: `${arch}-${r}`, step: t, epoch: 50 * time, config: { arch, seed: r } });
    }
  }
  return ip.PredictionSet.fromLogits(logits, [M, S, C], { labels, meta, split: "train" });
}

async function main(): Promise<void> {
  const train = syntheticRuns(8, 40, 1000, 10);
  console.log(String(train));
  let t = performance.now();
  const D = await ip.bhattacharyya(train);
  console.log(`${String(D)}  (${((performance.now() - t) / 1000).toFixed(2)} s)`);
  t = performance.now();
  const emb = ip.inpca(D, { dims: 3 });
  console.log(`${String(emb)}  (${((performance.now() - t) / 1000).toFixed(2)} s)`);
  console.log(`explained stress ES(k) for k = 1, 3, 10, 20: ${[1, 3, 10, 20].map((k) => emb.explainedStress[k - 1]!.toFixed(3)).join(", ")}`);
  const geo = ip.geodesic(train, { points: 100 });
  const all = emb.addPoints(await ip.bhattacharyya(geo, train));
  const p0 = all.points - 100;
  console.log(`geodesic placed: ignorance at (${[0, 1, 2].map((k) => all.coord(p0, k).toFixed(3)).join(", ")}), truth at (${[0, 1, 2].map((k) => all.coord(all.points - 1, k).toFixed(3)).join(", ")})`);
  const lambda = ip.geodesicProgress(train);
  for (const run of train.runs()) {
    const idx = train.meta.flatMap((m, i) => (m.run === run ? [i] : []));
    const at = (e: number) => lambda[idx.find((i) => (train.meta[i]!.epoch ?? 0) >= e) ?? idx.at(-1)!]!.toFixed(3);
    console.log(`progress of ${run.padEnd(6)} at epochs 5, 20, 50: ${at(5)}, ${at(20)}, ${at(50)}`);
  }
  await ip.shutdownPool();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
