/**
 * The `live` section of `npm run bench`: what watching a network train on a live map costs the training.
 *
 * Notebook 12's set-up, outside a notebook: the map is exact InPCA of the shipped zoo's main train trajectories
 * (data/zoo) with the geodesic placed on it; an MLP trains 5 epochs (2,000 Fashion-MNIST images, batch 100, the
 * recorder's "paper" schedule on the zoo's 500 evaluation samples). Each pair of runs trains the same seeded model
 * once with the recorder alone and once with `ip.liveMap` as its `live` listener; the order inside a pair
 * alternates (A B, B A, ...) so that drift of the machine's speed falls on both. The display goes through a stand-in
 * for tslab's display writer (the module `findKernelWriter` looks for) that serialises each message to JSON, as the
 * kernel does before sending it, so a redraw costs what it costs in a notebook.
 *
 * Reported, as median and range over the pairs: the training's wall time without and with the map, the extra wall
 * time of the run with the map relative to its pair's run without (what a user waits longer), and the share of the
 * training's wall time the map held the training's thread (`placeSeconds + drawSeconds`, what notebook 12 prints).
 */
import { mkdtempSync, rmSync } from "node:fs";
import Module from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import { bhattacharyya, geodesic, inpca, liveMap, loadFashionMnist, loadZoo } from "../src/index.js";
import * as train from "../src/train/index.js";

/** Options of the live section. */
export interface LiveBenchOptions {
  /** Pairs of runs (with and without the map), at least 5 for the numbers of docs/benchmarks.md. */
  pairs: number;
  /** Epochs each run trains (notebook 12: 5). */
  epochs: number;
  /** The zoo the map is fitted on (default data/zoo of this checkout). */
  zooDir: string;
  /** Progress lines (stderr). */
  log: (message: string) => void;
}

/** One run's measurements. */
interface RunTimes {
  wall: number;
  held?: number;
  checkpoints?: number;
  redraws?: number;
  bytes?: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
};

/** "median (min–max)" of `xs` with `f` applied to each. */
function spread(xs: number[], f: (x: number) => string): string {
  return `${f(median(xs))} (${f(Math.min(...xs))}–${f(Math.max(...xs))})`;
}

/**
 * Runs the live section; returns its Markdown (a table and how it was measured). Trains 2·pairs small networks
 * (about 10 s each on this project's 2-core machine).
 */
export async function liveSection(opts: LiveBenchOptions): Promise<string[]> {
  const { log } = opts;
  // a stand-in for tslab's display writer: serialises each display message as the kernel does
  const cache = (Module as unknown as { _cache: Record<string, unknown> })._cache;
  const writerPath = path.join(os.tmpdir(), "inpca-bench-live", "tslab", "dist", "jupyter.js");
  let serialised = 0;
  cache[writerPath] = { exports: { lastWriteDisplayData: (message: unknown) => void (serialised += JSON.stringify(message).length) } };
  try {
    log("live: the map (exact InPCA of the zoo's main train trajectories, the geodesic placed on it)");
    const zoo = loadZoo(opts.zooDir);
    const base = zoo.predictions("train", { where: (r) => r.finished !== false && r.config["group"] === "main" });
    const emb = inpca(await bhattacharyya(base, { showProgress: false }), { dims: 3 });
    const geo = geodesic(base, { points: 60 });
    const map = emb.addPoints(await bhattacharyya(geo, base, { showProgress: false }), geo.meta);

    const backend = await train.chooseBackend();
    const tf = train.tf;
    const fm = loadFashionMnist("train");
    const idx = zoo.manifest.splits["train"]!.indices;
    const evalImages = new Float32Array(idx.length * 784);
    idx.forEach((j, k) => evalImages.set(fm.images.subarray(j * 784, (j + 1) * 784), k * 784));
    const evalSet = { images: evalImages, labels: Int32Array.from(idx, (j) => fm.labels[j]!), n: idx.length, indices: idx };
    const N = 2000;
    const images = new Float32Array(N * 784);
    for (let k = 0; k < N; k++) images.set(fm.images.subarray((50000 + k) * 784, (50001 + k) * 784), k * 784);
    const x = tf.tensor4d(images, [N, 28, 28, 1]);
    const y = tf.oneHot(tf.tensor1d(Int32Array.from({ length: N }, (_, k) => fm.labels[50000 + k]!), "int32"), 10);

    const runOnce = async (withMap: boolean, tag: string): Promise<RunTimes> => {
      const dir = mkdtempSync(path.join(os.tmpdir(), "inpca-bench-live-run-"));
      try {
        serialised = 0;
        const live = withMap ? liveMap(map, base, { label: "bench", colorBy: "arch" }) : undefined;
        const model = train.buildModel("mlp", 7);
        model.compile({ optimizer: tf.train.adam(1e-3), loss: train.logitsLoss });
        const t0 = performance.now();
        await model.fit(x, y, {
          epochs: opts.epochs, batchSize: 100, shuffle: false, verbose: 0,
          callbacks: [train.recordPredictions(model, { train: evalSet }, "paper", { dir, id: `bench-${tag}`, config: { arch: "my-mlp" }, classNames: zoo.classNames, dataset: "Fashion-MNIST", ...(live ? { live } : {}) })],
        });
        const wall = (performance.now() - t0) / 1000;
        model.dispose();
        if (!live) return { wall };
        return { wall, held: (live.placeSeconds + live.drawSeconds) / wall, checkpoints: live.points, redraws: live.redraws, bytes: serialised };
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    };

    log(`live: warm-up run (${backend} backend)`);
    await runOnce(true, "warm-up");
    const without: number[] = [], withMap: number[] = [], extra: number[] = [], held: number[] = [];
    let checkpoints = 0, redraws = 0, bytes = 0;
    for (let p = 0; p < opts.pairs; p++) {
      const order = p % 2 === 0 ? [false, true] : [true, false];
      const got: Record<string, RunTimes> = {};
      for (const m of order) got[String(m)] = await runOnce(m, `${p}-${m ? "map" : "plain"}`);
      const a = got["false"]!, b = got["true"]!;
      without.push(a.wall);
      withMap.push(b.wall);
      extra.push(b.wall / a.wall - 1);
      held.push(b.held!);
      checkpoints = b.checkpoints!;
      redraws = b.redraws!;
      bytes = b.bytes!;
      log(`  pair ${p + 1}/${opts.pairs} (${order.map((m) => (m ? "map" : "plain")).join(", ")}): without ${a.wall.toFixed(2)} s, with ${b.wall.toFixed(2)} s (${(100 * (b.wall / a.wall - 1)).toFixed(1)} %), thread held ${(100 * b.held!).toFixed(1)} %`);
    }
    x.dispose();
    y.dispose();

    const s = (v: number) => v.toFixed(2);
    const pct = (v: number) => `${(100 * v).toFixed(1)} %`;
    return [
      `## Live map (\`npm run bench -- --live\`)`,
      "",
      `Notebook 12's map (${map.points.toLocaleString("en-US")} points: ${base.models.toLocaleString("en-US")} checkpoints of the zoo's main train runs and the geodesic; ${base.samples} samples × ${base.classes} classes), an MLP trained ${opts.epochs} epoch${opts.epochs === 1 ? "" : "s"} on 2,000 images (${backend} backend), ${checkpoints} checkpoints recorded, ${redraws} redraws at the default 2 s interval (${(bytes / 1e6).toFixed(1)} MB of display messages serialised in all); ${opts.pairs} interleaved pairs of runs, median (range):`,
      "",
      "| training without the map (s) | with the map (s) | extra wall time with the map | map's share of the training's thread |",
      "|---:|---:|---:|---:|",
      `| ${spread(without, s)} | ${spread(withMap, s)} | ${spread(extra, pct)} | ${spread(held, pct)} |`,
      "",
      "Extra wall time: (with − without) / without per pair, the order inside a pair alternating. Share of the thread: the map's `placeSeconds + drawSeconds` over the training's wall time (notebook 12 prints this number for its own run). The display writer is a stand-in for tslab's that serialises each message to JSON, as the kernel does.",
    ];
  } finally {
    delete cache[writerPath];
  }
}
