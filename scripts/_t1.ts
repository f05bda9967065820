import { PredictionSet } from "/work/main/src/core/index.js";
import { bhattacharyya, bhattacharyyaSync } from "/work/main/src/geometry/distances.js";
async function main() {
const M = 301, S = 257, C = 10;
let s = 1; const r = () => { s = (s * 16807) % 2147483647; return s / 2147483647; };
const logits = Float64Array.from({ length: M * S * C }, () => 6 * r());
const set = PredictionSet.fromLogits(logits, [M, S, C]);
const t0 = performance.now();
const D1 = bhattacharyyaSync(set);
const t1 = performance.now();
const D2 = await bhattacharyya(set, { threads: 2, block: 64 });
const t2 = performance.now();
const D3 = await bhattacharyya(set, { threads: 2 });
console.log("sync", (t1 - t0).toFixed(0), "workers", (t2 - t1).toFixed(0));
let same = 0, maxrel = 0;
for (let q = 0; q < M * M; q++) { if (D1.data[q] === D3.data[q]) same++; }
for (let i = 0; i < M; i += 7) for (let j = 0; j < M; j += 5) {
  let ref = 0; for (let n = 0; n < S; n++) { let bc = 0; for (let c = 0; c < C; c++) bc += Math.sqrt(set.probs[(i * S + n) * C + c]! * set.probs[(j * S + n) * C + c]!); ref += i === j ? 0 : -Math.log(Math.min(1, Math.max(bc, Math.exp(-100)))); }
  ref /= S; if (i !== j) maxrel = Math.max(maxrel, Math.abs(ref - D1.get(i, j)) / ref);
}
console.log("identical", same, "of", M * M, "maxrel", maxrel, D1.toString());
process.exit(0);

}
void main();
