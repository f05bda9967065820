/**
 * Synthetic training runs for the figure tests: predictions that move from ignorance toward the truth along
 * architecture-specific curved paths, embedded with InPCA together with the ignorance→truth geodesic.
 */
import { PredictionSet, type ModelPoint } from "../../src/core/index.js";
import { bhattacharyyaSync, geodesic, inpca, geodesicProgress } from "../../src/geometry/index.js";
import type { Embedding } from "../../src/core/embedding.js";
import { normal, uniform } from "../../src/linalg/random.js";

export interface SyntheticZoo {
  train: PredictionSet;
  emb: Embedding;
  /** The embedding with the geodesic (kind "geodesic", λ from 0 to 1) placed out of sample. */
  all: Embedding;
  progress: Float64Array;
}

/** `runs` runs × `T` checkpoints on S samples and C classes; archs cycle through mlp, cnn, resnet. */
export function syntheticZoo(options: { runs?: number; T?: number; S?: number; C?: number; seed?: number; geodesicPoints?: number } = {}): SyntheticZoo {
  const { runs = 6, T = 20, S = 200, C = 10, seed = 7, geodesicPoints = 30 } = options;
  const g = normal(seed);
  const u = uniform(seed + 1);
  const labels = Int32Array.from({ length: S }, () => Math.floor(u() * C));
  const archs = ["mlp", "cnn", "resnet"];
  // per architecture a fixed confusion direction per class: the detour the runs of that architecture take
  const detour = archs.map(() => Float64Array.from({ length: C * C }, () => g()));
  const M = runs * T;
  const logits = new Float64Array(M * S * C);
  const meta: ModelPoint[] = [];
  for (let r = 0; r < runs; r++) {
    const a = r % archs.length;
    const speed = 1 + 0.5 * a;
    for (let t = 0; t < T; t++) {
      const m = r * T + t;
      const f = Math.min(1, (speed * t) / (T - 1));
      const strength = 7 * f * f;
      const bend = 2.2 * Math.sin(Math.PI * f);
      let errors = 0, loss = 0;
      for (let n = 0; n < S; n++) {
        const y = labels[n]!;
        let best = 0, max = -Infinity;
        const z = new Float64Array(C);
        for (let c = 0; c < C; c++) {
          z[c] = (c === y ? strength : 0) + bend * detour[a]![y * C + c]! + 0.4 * g();
          if (z[c]! > max) { max = z[c]!; best = c; }
        }
        let sum = 0;
        for (let c = 0; c < C; c++) sum += Math.exp(z[c]! - max);
        loss += -(z[y]! - max - Math.log(sum));
        if (best !== y) errors++;
        logits.set(z, (m * S + n) * C);
      }
      meta.push({ run: `${archs[a]}-s${r}`, step: t * 100, epoch: t / 2, error: errors / S, loss: loss / S, config: { arch: archs[a]!, optimizer: r % 2 ? "adam" : "sgd", seed: r } });
    }
  }
  const train = PredictionSet.fromLogits(logits, [M, S, C], { labels, meta, split: "train" });
  const D = bhattacharyyaSync(train);
  const emb = inpca(D, { dims: 3 });
  const geo = geodesic(train, { points: geodesicPoints });
  const all = emb.addPoints(bhattacharyyaSync(geo, train));
  return { train, emb, all, progress: geodesicProgress(train) };
}
