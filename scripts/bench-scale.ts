/**
 * `npm run bench:scale -- --dir <folder>`: the paper-scale benchmark. Writes (once; reused when complete) a
 * synthetic zoo of 150,000 model-points × 5,000 samples × 10 classes in the zoo format (float16, ~15 GB:
 * trajectories from ignorance to truth with group- and run-specific detours, 66 checkpoints a run on the
 * dense-early schedule), then embeds it with landmark InPCA streaming from disk and prints wall time, peak RSS,
 * the time of each stage and the estimated ES(3). A benchmark, not a test.
 *
 *   --models 150000 --samples 5000 --classes 10 --checkpoints 66 --landmarks 2000 --select pivoted --memory <bytes>
 *   --write-only   write (or finish writing) the zoo and stop, so that the embedding can be timed on its own later
 */
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ProgressBar, formatSeconds } from "../src/core/progress";
import { landmarkInpca, type LandmarkSelection } from "../src/geometry/landmark/index";
import { shutdownPool } from "../src/geometry/pairwise/pool";
import { chunkCache } from "../src/io/stores/chunk-cache";
import { loadZoo, ZooWriter } from "../src/io/stores/zoo/index";
import { zooSource } from "../src/io/stores/zoo/source";
import { normal, uniform } from "../src/linalg/random";

function arg(name: string, fallback?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : fallback;
  if (v === undefined) {
    process.stderr.write(`bench:scale: --${name} is required (a folder for the ~15 GB synthetic zoo)\n`);
    process.exit(2);
  }
  return v;
}

const dir = arg("dir");
const M = Number(arg("models", "150000"));
const S = Number(arg("samples", "5000"));
const C = Number(arg("classes", "10"));
const K = Number(arg("checkpoints", "66"));
const L = Number(arg("landmarks", "2000"));
const select = arg("select", "pivoted") as LandmarkSelection;
const memory = process.argv.includes("--memory") ? Number(arg("memory")) : undefined;
const GROUPS = 6;
const runs = Math.ceil(M / K);

/** Writes the synthetic zoo run by run (resumable: finished runs are kept). */
function writeZoo(): void {
  const done = join(dir, "COMPLETE");
  if (existsSync(done)) return;
  const u = uniform(2024);
  const g = normal(2025);
  const labels = Int32Array.from({ length: S }, () => Math.floor(u() * C));
  const detour = Array.from({ length: GROUPS }, () => Int32Array.from(labels, (y) => (y + 1 + Math.floor(u() * (C - 1))) % C));
  const hardness = Float64Array.from({ length: S }, () => u());
  const writer = ZooWriter.open(dir, {
    dataset: "synthetic (bench:scale)", classNames: Array.from({ length: C }, (_, c) => `class ${c}`),
    splits: { train: { indices: Int32Array.from({ length: S }, (_, n) => n), labels } },
  });
  const finished = writer.finishedRuns();
  const bar = new ProgressBar("bench:scale: writing the zoo", runs, true);
  const offset = new Float64Array(S * C);
  const probs = new Float32Array(S * C);
  const t0 = Date.now();
  for (let r = 0; r < runs; r++) {
    const group = r % GROUPS;
    const speed = 1 + 0.1 * g() + (0.15 * group) / GROUPS;
    for (let q = 0; q < S * C; q++) offset[q] = 0.3 * g();
    const id = `g${group}-r${String(r).padStart(5, "0")}`;
    const J = Math.min(K, M - r * K);
    if (finished.has(id)) continue;
    const run = writer.startRun(id, { arch: `g${group}`, seed: r });
    for (let j = 0; j < J; j++) {
      const t = (j / (J - 1 || 1)) ** 2;
      for (let n = 0; n < S; n++) {
        const learned = 1 / (1 + Math.exp(-(speed * t * 1.4 - hardness[n]!) / 0.12));
        const bump = 3 * Math.sin(Math.PI * Math.min(1, t * speed)) * (1 - learned);
        let max = -Infinity;
        for (let c = 0; c < C; c++) {
          let z = t * offset[n * C + c]!;
          if (c === labels[n]) z += 7 * learned;
          if (c === detour[group]![n]) z += bump;
          probs[n * C + c] = z;
          if (z > max) max = z;
        }
        let sum = 0;
        for (let c = 0; c < C; c++) sum += (probs[n * C + c] = Math.exp(probs[n * C + c]! - max));
        for (let c = 0; c < C; c++) probs[n * C + c] = probs[n * C + c]! / sum;
      }
      run.append({ step: j, epoch: t * 200 }, { train: probs });
    }
    run.finish();
    bar.update(r + 1);
  }
  bar.done();
  writer.consolidate();
  writeFileSync(done, `${M} model-points, ${S} samples, ${C} classes, written in ${formatSeconds((Date.now() - t0) / 1000)}\n`);
}

(async () => {
  const t0 = Date.now();
  writeZoo();
  const written = (Date.now() - t0) / 1000;
  if (process.argv.includes("--write-only")) {
    console.log(`bench:scale: the zoo in ${dir} is complete (${written.toFixed(0)} s this run)`);
    return;
  }
  const zoo = loadZoo(dir);
  const source = zooSource(zoo, "train");
  const started = Date.now();
  const emb = await landmarkInpca(source, { landmarks: L, select, memory, cache: chunkCache(join(dir, ".landmark-cache")) });
  const wall = (Date.now() - started) / 1000;
  const lm = emb.landmark!;
  const rss = process.resourceUsage().maxRSS / 1024;
  console.log(`# bench:scale\n`);
  console.log(`${source.models} model-points × ${source.samples} samples × ${source.classes} classes (float16 zoo in ${dir}; written in ${written.toFixed(0)} s this run)\n`);
  console.log("| model-points | landmarks | select | wall (s) | peak RSS (MB) | select (s) | landmarks (s) | placement (s) | stress (s) | check (s) | ES(3) (95 %) | 3-D error vs exact, estimated (95 % bound) | resumed rows |");
  console.log("|---:|---:|---|---:|---:|---:|---:|---:|---:|---|---:|");
  const s = lm.seconds;
  console.log(`| ${source.models} | ${L} | ${select} | ${wall.toFixed(0)} | ${rss.toFixed(0)} | ${s.select?.toFixed(0)} | ${s.landmarks?.toFixed(0)} | ${s.placement?.toFixed(0)} | ${s.stress?.toFixed(0)} | ${s.check?.toFixed(0) ?? "—"} | ${lm.stress.explained.toFixed(4)} (${lm.stress.low.toFixed(4)}–${lm.stress.high.toFixed(4)}) | ${lm.check ? `${(100 * lm.check.distanceError.estimate).toFixed(2)} % (≤ ${(100 * lm.check.distanceError.high).toFixed(2)} %)` : "—"} | ${lm.resumedRows} |`);
  console.log(`\n${emb}`);
  await shutdownPool();
})().catch(async (e) => {
  process.stderr.write(`bench:scale: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  await shutdownPool().catch(() => undefined);
  process.exit(1);
});
