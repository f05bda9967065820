// npm run bench:zoo: time loading 3,000 checkpoints × 1,000 samples × 10 classes (float16) from the zoo format.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ZooWriter, loadZoo } from "../src/io/stores/zoo/index";
const dir = mkdtempSync(join(tmpdir(), "zooload-"));
const S = 1000, C = 10, runs = 100, K = 30;
const w = ZooWriter.open(dir, { dataset: "synthetic", classNames: Array.from({ length: C }, (_, c) => String(c)), splits: { train: { indices: Array.from({ length: S }, (_, i) => i), labels: Array.from({ length: S }, (_, i) => i % C) } } });
const row = new Float32Array(S * C);
for (let i = 0; i < S * C; i++) row[i] = 0.05 + (i % C === 0 ? 0.5 : 0);
for (let r = 0; r < runs; r++) { const rw = w.startRun(`r${r}`, { seed: r }); for (let k = 0; k < K; k++) rw.append({ step: k, epoch: k }, { train: row }); rw.finish(); }
w.consolidate();
const times: number[] = [];
for (let t = 0; t < 3; t++) { const t0 = performance.now(); const set = loadZoo(dir).predictions("train"); times.push(performance.now() - t0); if (set.models !== runs * K) throw new Error("bad"); }
times.sort((a, b) => a - b);
console.log(`loadZoo + predictions: ${runs * K} checkpoints × ${S} samples × ${C} classes (float16, ${(runs * K * S * C * 2 / 2 ** 20).toFixed(0)} MB on disk): median ${(times[1] / 1000).toFixed(2)} s; peak RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB`);
rmSync(dir, { recursive: true });
