/**
 * Benchmark of `inpca` against the NumPy reference (scripts/reference.py), on realistic synthetic training
 * trajectories. Prints a Markdown table on stdout; progress goes to stderr.
 *
 *   npm run bench                      M ∈ {500, 1000, 2000}, S = 1000, C = 10; eigen-solver row at M = 5000
 *   npm run bench -- --quick           smoke run: M ∈ {200, 400}, S = 200; eigen-solver row at M = 1000
 *   npm run bench -- --sizes 500,1000  other model counts (S stays 1000, or 200 with --quick)
 *   npm run bench -- --live [--pairs 5] only the live section (scripts/bench-live.ts): the training's wall time
 *                                      with and without a live map, in interleaved pairs (also at the end of a
 *                                      full run; --quick: 1 epoch a run)
 *
 * Columns: our Bhattacharyya distance time (all cores, median of 3), the NumPy reference on the same inputs
 * (median of 3, run by `python3 scripts/reference.py time` on a .npy written here), their ratio, `inpca`
 * (dims 3, spectrum 50; double centring + eigen-solver, median of 3), Lanczos top-10 on the precomputed W
 * (median of 3), and the process-wide peak RSS of this Node process after each size.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PredictionSet, bhattacharyya, inpca, shutdownPool, type ModelPoint } from "../src/index.js";
import { doubleCenter, lanczos } from "../src/linalg/public.js";
import { writeNpy } from "../src/io/public.js";
import { defaultPython } from "../src/cli/kernel.js";
import { liveSection } from "./bench-live.js";
import { matVec } from "../src/linalg/dense.js";
import { normal, uniform } from "../src/linalg/random.js";

const REPEAT = 3;
const CLASSES = 10;
const RUNS = 10;
/** Samples with difficulty above this are "hard": learned late, and by some runs toward a wrong class. */
const HARD = 0.8;
/** Peak logit of the transient, run-specific wrong class mid-training. */
const DETOUR = 11;
const SCRIPT_DIR = __dirname; // tsx runs this file as CommonJS
const REFERENCE = path.join(SCRIPT_DIR, "reference.py");
/** Debian's python3 (which has NumPy) before the python3 on PATH, which may be a pyenv or conda one without it. */
const PYTHON = defaultPython();

interface Options {
  sizes: number[];
  samples: number;
  eigenSize: number;
  eigenSamples: number;
  /** Only the live section. */
  liveOnly: boolean;
  /** Pairs of live runs (with and without the map). */
  pairs: number;
  /** Epochs of each live run. */
  liveEpochs: number;
}

function parseArgs(argv: string[]): Options {
  const quick = argv.includes("--quick");
  const opts: Options = quick
    ? { sizes: [200, 400], samples: 200, eigenSize: 1000, eigenSamples: 100, liveOnly: false, pairs: 5, liveEpochs: 1 }
    : { sizes: [500, 1000, 2000], samples: 1000, eigenSize: 5000, eigenSamples: 200, liveOnly: false, pairs: 5, liveEpochs: 5 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--quick") continue;
    if (a === "--live") {
      opts.liveOnly = true;
      continue;
    }
    if (a === "--pairs") {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 1) fail(`--pairs needs an integer ≥ 1, got ${argv[i]}`);
      opts.pairs = v;
      continue;
    }
    if (a === "--sizes") {
      const v = argv[++i];
      const sizes = (v ?? "").split(",").map((s) => Number(s.trim()));
      if (!v || sizes.some((m) => !Number.isInteger(m) || m < 2)) fail(`--sizes needs a comma-separated list of integers ≥ 2, got ${v}`);
      opts.sizes = sizes;
    } else if (a === "--help" || a === "-h") {
      console.log("usage: tsx scripts/bench.ts [--quick] [--sizes 500,1000,2000] [--live] [--pairs 5]");
      process.exit(0);
    } else fail(`unknown argument ${a} (expected --quick, --sizes 500,1000, --live or --pairs N)`);
  }
  return opts;
}

function fail(message: string): never {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}

const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);

// ---------------------------------------------------------------------------------------------------------------
// Realistic synthetic predictions

/**
 * Logits of `runs` training runs of a C-class classifier on S samples, M checkpoints in all (M/runs per run,
 * the remainder spread over the first runs). Reproducible from `seed`.
 *
 * Each sample n has a true label y_n, a difficulty d_n ∈ [0, 1), a confusable class k_n ≠ y_n that networks
 * lean toward before learning the sample, and, for hard samples (d_n > HARD), a fixed wrong class w_n; each run
 * learns a hard sample either correctly or toward w_n (coin flip per run), so runs disagree there. A run's
 * checkpoint at progress t ∈ [0, 1] has logits
 *   z_nc = a_n (0.6 + 0.8 t) ℓ · [c = target_rn]  +  DETOUR · 4t(1 − t) (1 − ℓ) · [c = k_n]
 *          +  1.5 √t · ξ_rnc  +  0.3 · η_jnc,           ℓ = σ((speed_r · t − d_n) / 0.08)
 * with ξ fixed per run (runs drift apart as they learn) and η fresh per checkpoint. Checkpoints are spaced
 * t_j = (j / (J − 1))², dense early and sparse late like real checkpoint schedules. At t = 0 the predictions
 * are near uniform (ignorance); late they are confident on the target class. The confident detour gives the
 * embedding a time-like (negative-eigenvalue) axis among the top few, as in real InPCA spectra.
 */
function syntheticLogits(M: number, S: number, C: number, seed: number) {
  const u = uniform(seed);
  const g = normal(seed + 1);
  const runs = Math.min(RUNS, M);
  const labels = new Int32Array(S);
  const wrong = new Int32Array(S); // the fixed wrong class a hard sample may be learned toward
  const difficulty = new Float64Array(S);
  const amplitude = new Float64Array(S);
  const detour = new Int32Array(S); // the confusable class every run first leans toward
  for (let n = 0; n < S; n++) {
    const y = Math.floor(u() * C);
    const d = u();
    labels[n] = y;
    difficulty[n] = d;
    detour[n] = (y + 1 + Math.floor(u() * (C - 1))) % C;
    wrong[n] = d > HARD ? (y + 1 + Math.floor(u() * (C - 1))) % C : y;
    amplitude[n] = d > HARD ? 5 + 3 * u() : 8 + 4 * u();
  }
  const logits = new Float32Array(M * S * C);
  const meta: ModelPoint[] = [];
  const xi = new Float64Array(S * C);
  const target = new Int32Array(S);
  let m = 0;
  for (let r = 0; r < runs; r++) {
    const J = Math.floor(M / runs) + (r < M % runs ? 1 : 0);
    const speed = 1.15 + 0.15 * g();
    for (let q = 0; q < S * C; q++) xi[q] = g();
    // Each run learns a hard sample either correctly or toward its fixed wrong class (runs disagree there).
    for (let n = 0; n < S; n++) target[n] = difficulty[n]! > HARD && u() < 0.5 ? wrong[n]! : labels[n]!;
    for (let j = 0; j < J; j++, m++) {
      const t = J > 1 ? (j / (J - 1)) ** 2 : 1;
      const drift = 1.5 * Math.sqrt(t);
      const bump = DETOUR * 4 * t * (1 - t);
      const sharpen = 0.6 + 0.8 * t; // margins keep growing late in training
      for (let n = 0; n < S; n++) {
        const learned = 1 / (1 + Math.exp(-(speed * t - difficulty[n]!) / 0.08));
        const o = (m * S + n) * C;
        for (let c = 0; c < C; c++) {
          let z = drift * xi[n * C + c]! + 0.3 * g();
          if (c === target[n]) z += amplitude[n]! * learned * sharpen;
          if (c === detour[n]) z += bump * (1 - learned);
          logits[o + c] = z;
        }
      }
      meta.push({ run: `run${r}`, step: Math.round(t * 1e6), epoch: t * 100 }); // 1e6 steps per run in all
    }
  }
  return { logits, labels, meta };
}

function syntheticSet(M: number, S: number, C: number, seed: number): PredictionSet {
  const { logits, labels, meta } = syntheticLogits(M, S, C, seed);
  return PredictionSet.fromLogits(logits, [M, S, C], { labels, meta });
}

// ---------------------------------------------------------------------------------------------------------------
// NumPy reference

/** numpy's version, or the reason the reference cannot run. */
function probeNumpy(): { version: string } | { reason: string } {
  const r = spawnSync(PYTHON, ["-c", "import numpy, sys; print(numpy.__version__)"], { encoding: "utf8" });
  if (r.error) return { reason: `${PYTHON} not found (${(r.error as NodeJS.ErrnoException).code ?? r.error.message})` };
  if (r.status !== 0) {
    const last = (r.stderr || "").trim().split("\n").pop() ?? "";
    return { reason: `${PYTHON} cannot import numpy (${last || `exit ${r.status}`})` };
  }
  return { version: r.stdout.trim() };
}

/** Median seconds of the reference's distance computation, or the reason it failed. */
function numpyTime(file: string): { median: number; times: number[] } | { reason: string } {
  const r = spawnSync(PYTHON, [REFERENCE, "time", file, "--repeat", String(REPEAT)], { encoding: "utf8", maxBuffer: 1 << 20 });
  if (r.error) return { reason: r.error.message };
  if (r.status !== 0) return { reason: `reference.py exited ${r.status ?? r.signal}: ${(r.stderr || "").trim().split("\n").pop()}` };
  try {
    const out = JSON.parse(r.stdout.trim().split("\n").pop()!);
    return { median: out.median_seconds, times: out.times };
  } catch {
    return { reason: `unreadable output from reference.py: ${r.stdout.slice(0, 200)}` };
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Timing helpers

const now = () => performance.now() / 1000;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}

async function timeIt<T>(label: string, fn: () => T | Promise<T>, repeat = REPEAT): Promise<{ median: number; result: T }> {
  const times: number[] = [];
  let result!: T;
  for (let i = 0; i < repeat; i++) {
    const t0 = now();
    result = await fn();
    times.push(now() - t0);
    log(`  ${label} ${i + 1}/${repeat}: ${times[i]!.toFixed(3)} s`);
  }
  return { median: median(times), result };
}

/** Peak multiply-adds per second of 128-bit f32x4 SIMD: two 4-lane multiply-adds per cycle and core. */
const peakGmac = () => os.cpus().length * cpuGHz() * 8;
/** Clock of the first core in GHz: what Node reports, else /proc/cpuinfo's "cpu MHz" (VMs often report 0 to Node). */
function cpuGHz(): number {
  const mhz = os.cpus()[0]?.speed ?? 0;
  if (mhz > 0) return mhz / 1000;
  try {
    const m = /cpu MHz\s*:\s*([\d.]+)/.exec(readFileSync("/proc/cpuinfo", "utf8"));
    return m ? Number(m[1]) / 1000 : 0;
  } catch {
    return 0;
  }
}
const peakMB = () => process.resourceUsage().maxRSS / 1024; // maxRSS is in KiB
const sec = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toFixed(3));

/** Lanczos top-k of the double-centred W, timed without the centring. */
function lanczosTop(W: Float64Array, M: number, k: number) {
  return lanczos({ size: M, apply: (x, y) => matVec(W, M, x, y) }, k);
}

// ---------------------------------------------------------------------------------------------------------------

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const numpy = probeNumpy();
  const cpus = os.cpus();
  console.log(`# inpca benchmark\n`);
  console.log(`- CPU: ${cpus[0]?.model ?? "unknown"} × ${cpus.length} cores (${os.platform()} ${os.arch()}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB)`);
  console.log(`- Node ${process.version}`);
  console.log("version" in numpy ? `- NumPy ${numpy.version} (python3 scripts/reference.py)` : `- NumPy reference: not available (${numpy.reason})`);
  if (!opts.liveOnly) await distanceSection(opts, numpy, cpus);
  else console.log("");
  for (const line of await liveSection({ pairs: opts.pairs, epochs: opts.liveEpochs, zooDir: path.join(SCRIPT_DIR, "..", "data", "zoo"), log })) console.log(line);
  await shutdownPool();
}

/** The distance and eigen-solver table against the NumPy reference. */
async function distanceSection(opts: Options, numpy: ReturnType<typeof probeNumpy>, cpus: os.CpuInfo[]) {
  console.log(`- Synthetic predictions: ${RUNS} runs, C = ${CLASSES}, seeded; medians of ${REPEAT} runs\n`);
  if (!("version" in numpy)) log(`NumPy reference: not available (${numpy.reason}); those cells will be n/a`);

  const tmp = mkdtempSync(path.join(os.tmpdir(), "inpca-bench-"));
  const rows: string[] = [];
  const notes: string[] = [];
  try {
    // Warm-up: start the worker pool and compile the kernel outside the timings.
    log("warm-up");
    await bhattacharyya(syntheticSet(200, 200, CLASSES, 99), { showProgress: false, threads: os.cpus().length });

    for (const M of opts.sizes) {
      const S = opts.samples;
      log(`M = ${M}, S = ${S}: generating predictions`);
      const set = syntheticSet(M, S, CLASSES, 1000 + M);

      log(`M = ${M}: our Bhattacharyya distance (precision f64)`);
      const ours = await timeIt("ours f64", () => bhattacharyya(set, { showProgress: false }));
      const D = ours.result;
      log(`M = ${M}: our Bhattacharyya distance (precision f32)`);
      const ours32 = await timeIt("ours f32", () => bhattacharyya(set, { showProgress: false, precision: "f32" }));
      let gap = 0;
      for (let q = 0; q < D.data.length; q++) gap = Math.max(gap, Math.abs(D.data[q]! - ours32.result.data[q]!));
      const gmac = ((M * (M - 1)) / 2) * S * CLASSES / ours32.median / 1e9;

      let npCell = "n/a";
      let ratioCell = "n/a";
      let ratio32Cell = "n/a";
      if ("version" in numpy) {
        const file = path.join(tmp, `p${M}.npy`);
        writeFileSync(file, writeNpy(set.probs, [M, S, CLASSES]));
        log(`M = ${M}: NumPy reference (${REPEAT} runs)`);
        const ref = numpyTime(file);
        rmSync(file, { force: true });
        if ("median" in ref) {
          ref.times.forEach((t, i) => log(`  numpy ${i + 1}/${REPEAT}: ${t.toFixed(3)} s`));
          npCell = sec(ref.median);
          ratioCell = `${(ref.median / ours.median).toFixed(1)}×`;
          ratio32Cell = `${(ref.median / ours32.median).toFixed(1)}×`;
        } else {
          log(`NumPy reference failed for M = ${M}: ${ref.reason}`);
          notes.push(`NumPy reference failed for M = ${M}: ${ref.reason}`);
        }
      }

      log(`M = ${M}: inpca (dims 3, spectrum 50)`);
      const emb = await timeIt("inpca", () => inpca(D, { dims: 3, spectrum: 50 }));
      const { W } = doubleCenter(D.data, M);
      log(`M = ${M}: Lanczos top-10`);
      const lz = await timeIt("lanczos", () => lanczosTop(W, M, 10));
      const solver = M <= 300 ? " (dense)" : "";
      log(`  ES(3) = ${emb.result.explainedStress[2]!.toFixed(3)}, λ1..6 = ${Array.from(emb.result.spectrum.slice(0, 6), (v) => v.toFixed(3)).join(", ")}`);
      rows.push(`| ${M} | ${S} | ${sec(ours.median)} | ${sec(ours32.median)} | ${npCell} | ${ratioCell} | ${ratio32Cell} | ${gmac.toFixed(1)} | ${gap.toExponential(1)} | ${sec(emb.median)}${solver} | ${sec(lz.median)} | ${peakMB().toFixed(0)} |`);
    }

    // Eigen-solver alone at a larger size: top-10 eigenpairs of W from a realistic distance matrix.
    {
      const M = opts.eigenSize;
      const S = opts.eigenSamples;
      log(`eigen-solver row: M = ${M}, S = ${S}: generating predictions`);
      const set = syntheticSet(M, S, CLASSES, 7000 + M);
      log(`M = ${M}: our Bhattacharyya distance (1 run)`);
      const dist = await timeIt("ours", () => bhattacharyya(set, { showProgress: false }), 1);
      const { W } = doubleCenter(dist.result.data, M);
      log(`M = ${M}: Lanczos top-10`);
      const lz = await timeIt("lanczos", () => lanczosTop(W, M, 10));
      log(`  ${lz.result.matvecs} matvecs, ${lz.result.restarts} restarts, residual ${lz.result.residual.toExponential(1)}`);
      rows.push(`| ${M} | ${S} | ${sec(dist.median)} (1 run) | — | not run | — | — | — | — | — | ${sec(lz.median)} | ${peakMB().toFixed(0)} |`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }

  console.log("| M | S | ours f64 (s) | ours f32 (s) | NumPy (s) | NumPy / f64 | NumPy / f32 | f32 GMAC/s | max \\|f32 − f64\\| | InPCA eigen (s) | Lanczos top-10 (s) | peak RSS (MB) |");
  console.log("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const r of rows) console.log(r);
  console.log("");
  console.log(`Distance: intensive Bhattacharyya, M × M, C = ${CLASSES}. Ours runs on ${os.cpus().length} worker threads and computes one triangle;`);
  console.log("the NumPy reference computes the full batched G = A Aᵀ block per sample batch, as the authors do (BLAS threads as configured).");
  console.log("InPCA eigen: `inpca(D, { dims: 3, spectrum: 50 })`, double centring included (dense solver at M ≤ 300, Lanczos above).");
  console.log("Lanczos top-10: `lanczos` on the precomputed double-centred W (centring excluded). Last row: eigen-solver alone at a larger M.");
  console.log(`f32 GMAC/s: M(M−1)/2 · S · C multiply-adds of the f32 run per second, all cores; this CPU's peak for 128-bit WebAssembly SIMD is ${peakGmac().toFixed(0)} GMAC/s (${cpus.length} cores × ${cpuGHz().toFixed(2)} GHz × 8: two 4-lane multiply-adds per cycle, fused or as a multiply and an add on separate pipes).`);
  console.log("max |f32 − f64|: largest difference between the two precisions over the matrix (nats).");
  console.log("Peak RSS: process-wide maximum of this Node process so far (process.resourceUsage().maxRSS), not per step; excludes python3.");
  if (!("version" in numpy)) console.log(`\nNumPy reference: not available (${numpy.reason}).`);
  for (const n of notes) console.log(`\n${n}`);
  console.log("");
}

main().catch(async (e) => {
  process.stderr.write(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  await shutdownPool().catch(() => undefined);
  process.exit(1);
});
