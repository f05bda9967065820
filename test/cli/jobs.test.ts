/**
 * Landmark InPCA as a job array (`inpca plan`, `inpca distances --task i`, `inpca embed`), run as separate
 * processes of the built command: the result equals `ip.landmarkInpca` in one process; a task is idempotent and
 * atomic; embed names missing and corrupt task outputs and writes nothing then. The same under Slurm:
 * test/cli/slurm.test.ts.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { landmarkInpca } from "../../src/geometry/landmark.js";
import { shutdownPool } from "../../src/geometry/pairwise/pool.js";
import { loadEmbedding } from "../../src/io/embedding-files.js";
import { zooSource } from "../../src/io/zoo-source.js";
import { relativeGap, toyZoo } from "../helpers/data.js";

const root = resolve(__dirname, "..", "..");
const bin = join(root, "dist", "cli", "main.js");
const tmp = mkdtempSync(join(tmpdir(), "inpca-jobs-"));
afterAll(async () => {
  rmSync(tmp, { recursive: true, force: true });
  await shutdownPool();
});
const cli = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" });

describe("inpca plan / distances / embed", () => {
  const zoo = join(tmp, "zoo");
  toyZoo(zoo);
  const work = join(tmp, "work");
  const out = join(tmp, "out");

  it("in 4 tasks gives the embedding of ip.landmarkInpca in one process (1e-9), and loadEmbedding reads it back", async () => {
    let r = cli(["plan", zoo, "--out", work, "--tasks", "4", "--landmarks", "40", "--samples", "20", "--quiet"]);
    expect(r.status, r.stderr).toBe(0);
    for (const t of [3, 1, 0, 2]) { // any order, as a scheduler would
      r = cli(["distances", work, "--task", String(t)]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toMatch(new RegExp(`task ${t}: rows \\d+–\\d+ × 40 landmarks`));
    }
    r = cli(["distances", work, "--task", "1"]);
    expect(r.stderr).toMatch(/task 1 is already done/);
    r = cli(["embed", work, "--out", out]);
    expect(r.status, r.stderr).toBe(0);
    const jobs = loadEmbedding(out);
    const one = await landmarkInpca(zooSource(zoo, "train"), { landmarks: 40, samples: 20 });
    expect(jobs.points).toBe(300);
    expect(Array.from(jobs.landmark!.landmarks)).toEqual(Array.from(one.landmark!.landmarks));
    expect(relativeGap(jobs.coords, one.coords)).toBeLessThan(1e-9);
    expect(relativeGap(jobs.eigenvalues, one.eigenvalues)).toBeLessThan(1e-9);
    expect(jobs.timelike).toEqual(one.timelike);
    expect(Math.abs(jobs.landmark!.stress.explained - one.landmark!.stress.explained)).toBeLessThan(1e-9);
    expect(jobs.meta.map((m) => [m.run, m.step])).toEqual(one.meta.map((m) => [m.run, m.step]));
  });

  it("names missing and corrupt task outputs and writes nothing; a re-run task repairs them", () => {
    const bad = join(tmp, "out-bad");
    const task2 = join(work, "tasks", "task-00002.f64");
    truncateSync(task2, 100);
    rmSync(join(work, "tasks", "task-00003.json"));
    let r = cli(["embed", work, "--out", bad]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/2 task outputs are not usable; re-run them \(nothing was written\)/);
    expect(r.stderr).toMatch(/task 2: corrupt: tasks\/task-00002\.f64 has 100 bytes/);
    expect(r.stderr).toMatch(/task 3: missing/);
    expect(existsSync(bad)).toBe(false);
    // flipped bytes of the right length are caught by the checksum
    r = cli(["distances", work, "--task", "2"]);
    expect(r.status, r.stderr).toBe(0);
    const bytes = readFileSync(task2);
    bytes[8] = bytes[8]! ^ 0xff;
    writeFileSync(task2, bytes);
    r = cli(["embed", work, "--out", bad]);
    expect(r.stderr).toMatch(/task 2: corrupt: tasks\/task-00002\.f64 does not match its SHA-256/);
    for (const t of ["2", "3"]) expect(cli(["distances", work, "--task", t]).status).toBe(0);
    r = cli(["embed", work, "--out", bad]);
    expect(r.status, r.stderr).toBe(0);
    expect(Array.from(loadEmbedding(bad).coords)).toEqual(Array.from(loadEmbedding(out).coords));
  });

  it("a task killed half-way leaves no output and finishes when run again", () => {
    const w = join(tmp, "work-kill");
    expect(cli(["plan", zoo, "--out", w, "--tasks", "2", "--landmarks", "30", "--quiet"]).status).toBe(0);
    // SIGKILL at once: whatever it managed, no task record exists unless its data is complete
    const r = spawnSync(process.execPath, [bin, "distances", w, "--task", "1"], { timeout: 150, killSignal: "SIGKILL" });
    void r;
    const rec = join(w, "tasks", "task-00001.json");
    if (existsSync(rec)) expect(readFileSync(join(w, "tasks", "task-00001.f64")).length).toBe(JSON.parse(readFileSync(rec, "utf8")).values * 8);
    for (const t of ["0", "1"]) expect(cli(["distances", w, "--task", t]).status).toBe(0);
    expect(cli(["embed", w, "--out", join(tmp, "out-kill")]).status).toBe(0);
  });

  it("plans a folder of checkpoints and an HDF5 dataset too; embed --report writes the page", () => {
    const fixtures = join(root, "test", "fixtures", "checkpoints");
    for (const [source, extra] of [[join(fixtures, "parent-of-runs"), []], [join(fixtures, "per-seed-h5", "seed_0.h5"), ["--dataset", "yh"]]] as const) {
      const w = join(tmp, `work-${extra.length ? "h5" : "ckpt"}`);
      let r = cli(["plan", source, "--out", w, "--tasks", "2", "--landmarks", "3", "--dims", "2", ...extra, "--quiet"]);
      expect(r.status, r.stderr).toBe(0);
      expect(JSON.parse(readFileSync(join(w, "plan.json"), "utf8")).source.kind).toBe(extra.length ? "hdf5" : "checkpoints");
      for (const t of ["0", "1"]) expect(cli(["distances", w, "--task", t, "--quiet"]).status).toBe(0);
      const page = join(tmp, `page-${extra.length}.html`);
      r = cli(["embed", w, "--out", join(w, "emb"), "--report", page]);
      expect(r.status, r.stderr).toBe(0);
      const html = readFileSync(page, "utf8");
      expect(html).toMatch(/<h1>Landmark InPCA of /);
      expect(html).toMatch(/by landmark InPCA \(3 landmarks, pivoted, f32\)/);
      expect((html.match(/class="inpca-figure"/g) ?? []).length).toBe(2);
      expect(loadEmbedding(join(w, "emb")).points).toBe(extra.length ? 4 : 6);
    }
    expect(cli(["plan", join(fixtures, "per-seed-h5", "seed_0.h5"), "--out", join(tmp, "w-h5x"), "--tasks", "2"]).stderr).toMatch(/is an HDF5 file: name the dataset .* with --dataset/);
  });

  it("refuses bad usage with the usage text, and a task number outside the plan", () => {
    expect(cli(["plan", zoo, "--tasks", "2"]).stderr).toMatch(/--out WORK is required/);
    expect(cli(["plan", zoo, "--out", join(tmp, "w2"), "--tasks", "0"]).stderr).toMatch(/--tasks must be an integer ≥ 1/);
    expect(cli(["distances", work]).stderr).toMatch(/--task i is required/);
    const r = cli(["distances", work, "--task", "9"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/task 9 does not exist: the plan has tasks 0–3/);
    expect(cli(["embed", join(tmp, "nowhere"), "--out", join(tmp, "o3")]).stderr).toMatch(/no plan\.json/);
  });
});
