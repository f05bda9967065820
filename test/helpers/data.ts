/** Reproducible test data: random prediction sets with realistic structure. */
import { PredictionSet, type ModelPoint } from "../../src/core/index.js";
import { normal, uniform } from "../../src/linalg/random.js";
import type { Embedding } from "../../src/core/embedding.js";
import { saveZoo, type Zoo } from "../../src/io/stores/zoo/index.js";

/**
 * M model-points on S samples and C classes: logits = strength · (one-hot label) + noise, so that some points are
 * near ignorance and some near truth. Exact zeros can be injected with `zeros` (fraction of entries).
 */
export function randomSet(M: number, S: number, C: number, seed = 1, options: { zeros?: number; runs?: number } = {}): PredictionSet {
  const g = normal(seed);
  const u = uniform(seed + 1000);
  const labels = Int32Array.from({ length: S }, () => Math.floor(u() * C));
  const probs = new Float64Array(M * S * C);
  const runs = options.runs ?? 1;
  const meta: ModelPoint[] = [];
  for (let m = 0; m < M; m++) {
    const strength = 6 * (m / Math.max(1, M - 1));
    for (let n = 0; n < S; n++) {
      const o = (m * S + n) * C;
      let max = -Infinity;
      const z = new Float64Array(C);
      for (let c = 0; c < C; c++) {
        z[c] = (c === labels[n] ? strength : 0) + 1.5 * g();
        if (z[c]! > max) max = z[c]!;
      }
      let sum = 0;
      for (let c = 0; c < C; c++) {
        let p = Math.exp(z[c]! - max);
        if (options.zeros && u() < options.zeros) p = 0;
        probs[o + c] = p;
        sum += p;
      }
      if (sum === 0) {
        probs[o + labels[n]!] = 1;
        sum = 1;
      }
      for (let c = 0; c < C; c++) probs[o + c]! /= sum;
    }
    meta.push({ run: `r${m % runs}`, step: Math.floor(m / runs), config: { arch: m % 2 ? "cnn" : "mlp" } });
  }
  return PredictionSet.fromProbabilities(probs, [M, S, C], { labels, meta, split: "train" });
}

/** Naive reference: d_B(i of a, j of b) with one log per sample, rows normalised, float64, cap 100, clamp 0. */
export function naiveBhattacharyya(a: PredictionSet, i: number, b: PredictionSet, j: number): number {
  const { samples: S, classes: C } = a;
  let s = 0;
  for (let n = 0; n < S; n++) {
    let bc = 0;
    let sa = 0;
    let sb = 0;
    for (let c = 0; c < C; c++) {
      sa += a.probs[(i * S + n) * C + c]!;
      sb += b.probs[(j * S + n) * C + c]!;
    }
    for (let c = 0; c < C; c++) bc += Math.sqrt(a.probs[(i * S + n) * C + c]! / sa) * Math.sqrt(b.probs[(j * S + n) * C + c]! / sb);
    s += Math.min(100, Math.max(0, -Math.log(bc)));
  }
  return s / S;
}

/**
 * Smooth synthetic training trajectories: `runs` runs in `groups` groups (architectures), `checkpoints` each on the
 * dense-early schedule t = (j/(K-1))², from near ignorance to near truth, with a detour toward a group-specific
 * wrong class mid-way and a small run-specific offset. Probabilities [runs·checkpoints, S, C] with run/step meta.
 */
export function trajectorySet(runs: number, checkpoints: number, S: number, C: number, seed = 1, groups = 6): PredictionSet {
  const u = uniform(seed);
  const g = normal(seed + 1);
  const labels = Int32Array.from({ length: S }, () => Math.floor(u() * C));
  const detour = Array.from({ length: groups }, () => Int32Array.from(labels, (y) => (y + 1 + Math.floor(u() * (C - 1))) % C));
  const hardness = Float64Array.from({ length: S }, () => u());
  const M = runs * checkpoints;
  const logits = new Float32Array(M * S * C);
  const meta: ModelPoint[] = [];
  const offset = new Float64Array(S * C);
  let m = 0;
  for (let r = 0; r < runs; r++) {
    const group = r % groups;
    const speed = 1 + 0.1 * g() + 0.15 * group / groups;
    for (let q = 0; q < S * C; q++) offset[q] = 0.3 * g();
    for (let j = 0; j < checkpoints; j++, m++) {
      const t = (j / (checkpoints - 1)) ** 2;
      for (let n = 0; n < S; n++) {
        const learned = 1 / (1 + Math.exp(-(speed * t * 1.4 - hardness[n]!) / 0.12));
        const bump = 3 * Math.sin(Math.PI * Math.min(1, t * speed)) * (1 - learned);
        for (let c = 0; c < C; c++) {
          let z = t * offset[n * C + c]!;
          if (c === labels[n]) z += 7 * learned;
          if (c === detour[group]![n]) z += bump;
          logits[(m * S + n) * C + c] = z;
        }
      }
      meta.push({ run: `g${group}-r${r}`, step: j, epoch: t, config: { arch: `g${group}` } });
    }
  }
  return PredictionSet.fromLogits(logits, [M, S, C], { labels, meta });
}

/** A toy zoo of 20 runs × 15 checkpoints (300 model-points) on 30 samples, 5 classes. */
export function toyZoo(dir: string): void {
  const a = trajectorySet(20, 15, 30, 5, 11);
  saveZoo(dir, { train: a, test: trajectorySet(20, 15, 30, 5, 12).withMeta(a.meta) }, { dataset: "toy" });
}

/** Largest |a − b| / max|b| over two coordinate arrays. */
export function relativeGap(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let gap = 0, scale = 0;
  for (let i = 0; i < b.length; i++) {
    gap = Math.max(gap, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return gap / scale;
}

/** Per-axis relative Frobenius error of a's first k axes against b's, each axis's sign aligned first. */
export function axisErrors(a: Embedding, b: Embedding, k: number): number[] {
  return Array.from({ length: k }, (_, ax) => {
    let dot = 0, nb = 0;
    for (let i = 0; i < b.points; i++) {
      dot += a.coord(i, ax) * b.coord(i, ax);
      nb += b.coord(i, ax) ** 2;
    }
    const s = dot < 0 ? -1 : 1;
    let e = 0;
    for (let i = 0; i < b.points; i++) e += (a.coord(i, ax) - s * b.coord(i, ax)) ** 2;
    return Math.sqrt(e / nb);
  });
}

/**
 * The largest gap, over every checkpoint of a split, between the arg-max error recomputed here from a zoo's stored
 * predictions and the error recorded while training (ties go to the lower class, as the recorder counts them).
 */
export function worstRecordedErrorGap(zoo: Zoo, split: "train" | "test"): { worst: number; samples: number } {
  const set = zoo.predictions(split);
  const labels = set.labels!;
  const { samples: S, classes: C } = set;
  let worst = 0;
  set.meta.forEach((p, m) => {
    let wrong = 0;
    for (let n = 0; n < S; n++) {
      const o = (m * S + n) * C;
      let best = 0;
      for (let c = 1; c < C; c++) if (set.probs[o + c]! > set.probs[o + best]!) best = c;
      if (best !== labels[n]) wrong++;
    }
    const run = zoo.runs.find((r) => r.id === p.run)!;
    const ck = run.checkpoints.find((c) => c.step === p.step)!;
    const recorded = split === "train" ? ck.trainError : ck.testError;
    worst = Math.max(worst, Math.abs(wrong / S - (recorded as number)));
  });
  return { worst, samples: S };
}

/**
 * `set` with sparse excursions: in `runs` runs (evenly through the set), checkpoints 1..`length` leave the
 * manifold toward a run-specific random labelling (each sample leans, with strength rising then falling, to a class
 * drawn per run and sample), as the random-label corners of the zoo do: a few points, far from everything, that
 * carry axes of their own (time-like among them). Returns a new PredictionSet with the same meta.
 */
export function withExcursions(set: PredictionSet, runs: number, length: number, seed = 1, strength = 6): PredictionSet {
  const u = uniform(seed * 5 + 1);
  const { samples: S, classes: C } = set;
  const probs = Float32Array.from(set.probs);
  const byRun = new Map<string, number[]>();
  set.meta.forEach((p, i) => byRun.set(p.run, [...(byRun.get(p.run) ?? []), i]));
  const all = [...byRun.values()];
  for (let k = 0; k < runs; k++) {
    const rows = all[Math.floor((k * all.length) / runs)]!;
    const target = Int32Array.from({ length: S }, () => Math.floor(u() * C));
    for (let j = 1; j <= length && j < rows.length; j++) {
      const a = strength * Math.sin((Math.PI * j) / (length + 1));
      const m = rows[j]!;
      for (let n = 0; n < S; n++) {
        let sum = 0;
        for (let c = 0; c < C; c++) {
          const q = probs[(m * S + n) * C + c]! * (c === target[n] ? Math.exp(a) : 1);
          probs[(m * S + n) * C + c] = q;
          sum += q;
        }
        for (let c = 0; c < C; c++) probs[(m * S + n) * C + c]! /= sum;
      }
    }
  }
  return PredictionSet.fromProbabilities(probs, [set.models, S, C], { labels: set.labels, meta: set.meta });
}

/**
 * ‖W‖²_F of W = −½ J D J (J = I − 11ᵀ/M) for a square M×M row-major D, by explicit loops: J D J formed entry by
 * entry from its definition (Σ_kl J_ik D_kl J_lj), not from row and column means. O(M³). An
 * independent check of the library's doubleCenter + frobenius2.
 */
export function naiveCentredFrobenius2(D: ArrayLike<number>, M: number): number {
  const J = (i: number, j: number) => (i === j ? 1 : 0) - 1 / M;
  // DJ first (M³), then J(DJ) (M³): still the definition, just associated
  const DJ = new Float64Array(M * M);
  for (let k = 0; k < M; k++) for (let j = 0; j < M; j++) {
    let s = 0;
    for (let l = 0; l < M; l++) s += D[k * M + l]! * J(l, j);
    DJ[k * M + j] = s;
  }
  let total = 0;
  for (let i = 0; i < M; i++) for (let j = 0; j < M; j++) {
    let s = 0;
    for (let k = 0; k < M; k++) s += J(i, k) * DJ[k * M + j]!;
    const w = -0.5 * s;
    total += w * w;
  }
  return total;
}
