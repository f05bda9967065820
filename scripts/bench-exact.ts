/**
 * `npm run bench:exact -- --zoo <folder> --out <folder> --stage exact|landmark|compare`: exact InPCA out of core
 * beside landmark InPCA on the same synthetic zoo (write it first with `npm run bench:scale -- --dir <zoo>
 * --models 50000 --samples 1000 --write-only`). Each stage is its own process, so that each peak RSS is its own:
 *
 *   exact     ip.exactInpca(source, { work: OUT/work }) (blocks of --block, default 2,000; --precision f32, the
 *             default, as landmark InPCA's, or f64): wall, peak RSS, disk
 *             of the blocks, products with W; saves OUT/exact (an embedding folder). Resumes from OUT/work.
 *   landmark  ip.landmarkInpca(source, { landmarks: --landmarks, default 2,000 }): wall, peak RSS, its check;
 *             saves OUT/landmark.
 *   compare   embeddingGap(landmark, exact): per-axis and 3-D distance errors against the landmark embedding's
 *             own estimate; prints the docs/benchmarks.md row and writes OUT/compare.json.
 *   ship      --ship DIR: slim copies of both (coordinates, eigenvalues, ES, landmark summary; the run of each
 *             point; no fit) for data/scale50k, which notebook 13 reads.
 *
 * A benchmark, not a test: the numbers go in docs/benchmarks.md (and OUT, copied to data/scale50k, feeds notebook 13).
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Embedding } from "../src/core/embedding";
import { embeddingGap } from "../src/geometry/embedding-gap";
import { landmarkInpca } from "../src/geometry/landmark/index";
import { shutdownPool } from "../src/geometry/pairwise/pool";
import { loadEmbedding, saveEmbedding } from "../src/io/stores/embedding-files";
import { exactInpcaWithReport } from "../src/geometry/exact/exact-inpca";
import { zooSource } from "../src/io/stores/zoo/source";

function arg(name: string, fallback?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : fallback;
  if (v === undefined) {
    process.stderr.write(`bench:exact: --${name} is required\n`);
    process.exit(2);
  }
  return v;
}

const zoo = arg("zoo");
const out = arg("out");
const stage = arg("stage");
const block = Number(arg("block", "2000"));
const L = Number(arg("landmarks", "2000"));
const precision = arg("precision", "f32") as "f32" | "f64";
const dims = 3;
/** Peak resident set so far, MiB (maxRSS is in KiB). */
const peakMB = () => process.resourceUsage().maxRSS / 1024;
const resultFile = (name: string) => join(out, `${name}.result.json`);

async function main(): Promise<void> {
  const source = zooSource(zoo, "train");
  const t0 = Date.now();
  if (stage === "exact") {
    const { embedding, report } = await exactInpcaWithReport(source, { dims, block, precision, work: join(out, "work"), spectrum: 20 });
    const wall = (Date.now() - t0) / 1000;
    saveEmbedding(join(out, "exact"), embedding);
    const disk = Number(execFileSync("du", ["-sb", join(out, "work", "blocks")], { encoding: "utf8" }).split("\t")[0]);
    const r = { models: source.models, samples: source.samples, block, precision, wall, peakMB: peakMB(), diskGB: disk / 1e9, ...report, es: embedding.explainedStress[dims - 1], eigenvalues: Array.from(embedding.eigenvalues) };
    writeFileSync(resultFile("exact"), JSON.stringify(r, null, 1));
    console.log(JSON.stringify(r));
  } else if (stage === "landmark") {
    const emb = await landmarkInpca(source, { landmarks: L, dims });
    const wall = (Date.now() - t0) / 1000;
    saveEmbedding(join(out, "landmark"), emb);
    const lm = emb.landmark!;
    const r = { models: source.models, landmarks: L, wall, peakMB: peakMB(), seconds: lm.seconds, stress: lm.stress, check: lm.check };
    writeFileSync(resultFile("landmark"), JSON.stringify(r, null, 1));
    console.log(JSON.stringify(r));
  } else if (stage === "compare") {
    const exact = loadEmbedding(join(out, "exact"));
    const lmk = loadEmbedding(join(out, "landmark"));
    const gap = embeddingGap(lmk, exact, dims);
    const e = JSON.parse(readFileSync(resultFile("exact"), "utf8"));
    const l = existsSync(resultFile("landmark")) ? JSON.parse(readFileSync(resultFile("landmark"), "utf8")) : null;
    const check = lmk.landmark!.check!;
    const pct = (x: number) => `${(100 * x).toFixed(2)} %`;
    const r = { gap, check, esExact: exact.explainedStress[dims - 1], esLandmark: lmk.landmark!.stress };
    writeFileSync(join(out, "compare.json"), JSON.stringify(r, null, 1));
    console.log("| model-points | exact wall | exact peak RSS | blocks on disk | products with W | landmark wall | landmark peak RSS | 3-D error measured | estimated (95 % bound) | axes measured | ES(3) exact / landmark (95 %) |");
    console.log("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|");
    console.log(`| ${exact.points} | ${e.wall.toFixed(0)} s | ${((e.peakMB * 2 ** 20) / 1e9).toFixed(2)} GB | ${e.diskGB.toFixed(1)} GB | ${e.matvecs} | ${l ? `${l.wall.toFixed(0)} s` : "—"} | ${l ? `${((l.peakMB * 2 ** 20) / 1e9).toFixed(2)} GB` : "—"} | ${pct(gap.distances)} | ${pct(check.distanceError.estimate)} (≤ ${pct(check.distanceError.high)}) | ${gap.axes.map(pct).join(", ")} | ${r.esExact.toFixed(4)} / ${r.esLandmark.explained.toFixed(4)} (${r.esLandmark.low.toFixed(4)}–${r.esLandmark.high.toFixed(4)}) |`);
  } else if (stage === "ship") {
    // the copies notebook 13 reads from data/scale50k: coordinates, eigenvalues, ES and the landmark summary, with
    // each point's run only and without the fit (no addPoints), so that data/ stays within its 80 MB
    for (const name of ["exact", "landmark"]) {
      const e = loadEmbedding(join(out, name));
      const slim = new Embedding({
        coords: e.coords, points: e.points, dims: e.dims, eigenvalues: e.eigenvalues, spectrum: e.spectrum, explainedStress: e.explainedStress,
        frobenius2: e.frobenius2, meta: e.meta.map((m) => ({ run: m.run }) as typeof m),
        basis: { size: 0, eigenvectors: new Float64Array(0), columnMeans: new Float64Array(0), grandMean: e.basis.grandMean }, landmark: e.landmark,
      });
      saveEmbedding(join(arg("ship"), name), slim);
    }
  } else {
    process.stderr.write(`bench:exact: --stage must be exact, landmark, compare or ship, got ${stage}\n`);
    process.exit(2);
  }
  await shutdownPool();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
