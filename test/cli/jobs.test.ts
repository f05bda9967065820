/**
 * Landmark InPCA as a job array (`inpca plan`, `inpca distances --task i`, `inpca embed`), run as separate
 * processes of the built command: the result equals `ip.landmarkInpca` in one process; a task is idempotent and
 * atomic; embed names missing and corrupt task outputs and writes nothing then. The same under Slurm:
 * test/cli/slurm.test.ts.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { bhattacharyya } from "../../src/geometry/distances.js";
import { inpca } from "../../src/geometry/inpca.js";
import { landmarkInpca } from "../../src/geometry/landmark/index.js";
import { exactInpca } from "../../src/geometry/exact/exact-inpca.js";
import { shutdownPool } from "../../src/geometry/pairwise/pool.js";
import { loadEmbedding } from "../../src/io/stores/embedding-files.js";
import { zooSource } from "../../src/io/stores/zoo/source.js";
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

  it("tasks killed after a counted amount of work leave only whole outputs, resume, and give the uninterrupted result bit for bit", () => {
    const w = join(tmp, "work-kill"), whole = join(tmp, "work-whole");
    for (const x of [w, whole]) expect(cli(["plan", zoo, "--out", x, "--tasks", "2", "--landmarks", "30", "--quiet"]).status).toBe(0);
    // task 0 killed after writing the landmarks' matrix, before its own rows: the one, not the other
    let r = spawnSync(process.execPath, [bin, "distances", w, "--task", "0", "--quiet"], { encoding: "utf8", env: { ...process.env, INPCA_FAILPOINT: "landmark-task:after-landmarks:kill" } });
    expect(r.signal).toBe("SIGKILL");
    expect(existsSync(join(w, "landmarks.json"))).toBe(true);
    expect(existsSync(join(w, "tasks", "task-00000.json"))).toBe(false);
    // task 1 killed after computing all of its 150 rows, before writing them: nothing of it is left
    r = spawnSync(process.execPath, [bin, "distances", w, "--task", "1", "--quiet"], { encoding: "utf8", env: { ...process.env, INPCA_FAILPOINT: "landmark-task:rows-150:kill" } });
    expect(r.signal).toBe("SIGKILL");
    expect(readdirSync(join(w, "tasks"))).toEqual([]);
    // resumed: task 0 keeps the landmarks' matrix and computes its rows
    r = cli(["distances", w, "--task", "0"]);
    expect(r.stderr).not.toMatch(/landmarks: 30 × 30 distances/);
    expect(r.stderr).toMatch(/task 0: rows 0–149 × 30 landmarks/);
    for (const x of [[w, "1"], [whole, "0"], [whole, "1"]]) expect(cli(["distances", x[0]!, "--task", x[1]!]).status).toBe(0);
    for (const x of [w, whole]) expect(cli(["embed", x, "--out", join(x, "emb"), "--quiet"]).status).toBe(0);
    expect(Array.from(loadEmbedding(join(w, "emb")).coords)).toEqual(Array.from(loadEmbedding(join(whole, "emb")).coords));
    expect(readFileSync(join(w, "landmarks.f64"))).toEqual(readFileSync(join(whole, "landmarks.f64")));
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
    expect(cli(["plan", zoo, "--out", join(tmp, "w2"), "--tasks", "0"]).stderr).toMatch(/--tasks is 0; expected an integer in \[1, /);
    expect(cli(["distances", work]).stderr).toMatch(/--task i is required/);
    const r = cli(["distances", work, "--task", "9"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/task 9 does not exist: the plan has tasks 0–3/);
    expect(cli(["embed", join(tmp, "nowhere"), "--out", join(tmp, "o3")]).stderr).toMatch(/nowhere: no such folder \(run `inpca plan SOURCE --out WORK --tasks N` first\)/);
  });
});

describe("inpca plan --exact / distances / embed: exact InPCA as a job array", () => {
  const zoo = join(tmp, "zoo-exact");
  toyZoo(zoo);
  const work = join(tmp, "work-exact");
  const out = join(tmp, "out-exact");

  it("in 3 tasks of 60-point blocks gives exact InPCA in one process (1e-9) and inpca(bhattacharyya) (1e-6)", async () => {
    let r = cli(["plan", zoo, "--exact", "--block", "60", "--out", work, "--tasks", "3", "--dims", "4"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/exact InPCA of 300 model-points .*, 15 blocks of 60 in 3 tasks/);
    for (const t of [2, 0, 1]) {
      r = cli(["distances", work, "--task", String(t)]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toMatch(new RegExp(`task ${t}: \\d+ blocks of 60`));
    }
    expect(cli(["distances", work, "--task", "1"]).stderr).toMatch(/task 1 is already done \(\d+ blocks\)/);
    r = cli(["embed", work, "--out", out, "--memory", "100K"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/300 model-points × 4 axes, exact; ES\(4\) = 0\.\d{4}; \d+ products with W \(0\.00 GiB of blocks kept in memory, /);
    const jobs = loadEmbedding(out);
    const set = await zooSource(zoo, "train").read(Array.from({ length: 300 }, (_, i) => i));
    const one = await exactInpca(set, { dims: 4, block: 60, showProgress: false });
    expect(relativeGap(jobs.coords, one.coords)).toBeLessThan(1e-9);
    expect(relativeGap(jobs.eigenvalues, one.eigenvalues)).toBeLessThan(1e-9);
    const dense = inpca(await bhattacharyya(set), { dims: 4, spectrum: 20 });
    expect(relativeGap(jobs.eigenvalues, dense.eigenvalues)).toBeLessThan(1e-6);
    expect(Math.abs(jobs.explainedStress[3]! - dense.explainedStress[3]!)).toBeLessThan(1e-6);
    expect(jobs.meta.map((m) => [m.run, m.step])).toEqual(set.meta.map((m) => [m.run, m.step]));
    expect(jobs.landmark).toBeUndefined();
  });

  it("embed names a damaged and a missing block and writes nothing; re-running their tasks mends them", () => {
    const bad = join(tmp, "out-exact-bad");
    const f = join(work, "blocks", "b-00000-00003.f32");
    const bytes = readFileSync(f);
    bytes[400] = bytes[400]! ^ 0xff;
    writeFileSync(f, bytes);
    rmSync(join(work, "blocks", "b-00004-00004.json"));
    let r = cli(["embed", work, "--out", bad]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/2 of 15 blocks of the distance matrix are not usable; re-run their tasks \(nothing was written\)/);
    expect(r.stderr).toMatch(/blocks\/b-00000-00003\.f32: corrupt: the data does not match its SHA-256/);
    expect(r.stderr).toMatch(/blocks\/b-00004-00004\.f32: missing/);
    expect(existsSync(bad)).toBe(false);
    const plan = JSON.parse(readFileSync(join(work, "plan.json"), "utf8")) as { tasks: number[][] };
    expect(plan.tasks.flat()).toHaveLength(15);
    for (let t = 0; t < 3; t++) expect(cli(["distances", work, "--task", String(t)]).status).toBe(0);
    r = cli(["embed", work, "--out", bad]);
    expect(r.status, r.stderr).toBe(0);
    expect(Array.from(loadEmbedding(bad).coords)).toEqual(Array.from(loadEmbedding(out).coords));
  });

  it("a task killed after its second block keeps those two, resumes, and gives the uninterrupted result bit for bit; bad usage is refused", () => {
    const w = join(tmp, "work-exact-kill"), whole = join(tmp, "work-exact-whole");
    for (const x of [w, whole]) expect(cli(["plan", zoo, "--exact", "--block", "30", "--out", x, "--tasks", "2", "--quiet"]).status).toBe(0);
    const plan = JSON.parse(readFileSync(join(w, "plan.json"), "utf8")) as { tasks: number[][] };
    const r = spawnSync(process.execPath, [bin, "distances", w, "--task", "1", "--quiet"], { env: { ...process.env, INPCA_FAILPOINT: "exact-blocks:2:kill" } });
    expect(r.signal).toBe("SIGKILL");
    const records = readdirSync(join(w, "blocks")).filter((n) => n.endsWith(".json"));
    expect(records).toHaveLength(2);
    const resumed = cli(["distances", w, "--task", "1"]);
    expect(resumed.stderr).toMatch(new RegExp(`task 1: ${plan.tasks[1]!.length - 2} blocks of 30 \\(2 already done\\)`));
    for (const x of [[w, "0"], [whole, "0"], [whole, "1"]]) expect(cli(["distances", x[0]!, "--task", x[1]!]).status).toBe(0);
    for (const x of [w, whole]) expect(cli(["embed", x, "--out", join(x, "emb")]).status).toBe(0);
    expect(Array.from(loadEmbedding(join(w, "emb")).coords)).toEqual(Array.from(loadEmbedding(join(whole, "emb")).coords));
    for (const f of readdirSync(join(whole, "blocks")).filter((n) => n.endsWith(".f32"))) expect(readFileSync(join(w, "blocks", f))).toEqual(readFileSync(join(whole, "blocks", f)));
    expect(cli(["plan", zoo, "--exact", "--landmarks", "40", "--out", w, "--tasks", "2"]).stderr).toMatch(/takes no --landmarks/);
    expect(cli(["plan", zoo, "--block", "40", "--out", join(tmp, "w-x"), "--tasks", "2"]).stderr).toMatch(/--block is for --exact plans/);
    expect(cli(["plan", zoo, "--exact", "--block", "200", "--out", join(tmp, "w-y"), "--tasks", "4"]).stderr).toMatch(/4 tasks for 3 blocks/);
    expect(cli(["embed", w, "--out", join(tmp, "o-z"), "--memory", "lots"]).stderr).toMatch(/--memory is "lots"; expected a memory size \(bytes, or a string such as "512M" or "3G"\)/);
  });
});
