/**
 * Stored work that can't lie (issue 32): every plan, task output, block and embedding folder is bound to what it
 * was computed from, and a wrong one is refused by name, never used. Tried as a researcher on a cluster would use
 * them, by class: re-planning into the same WORK, a zoo retrained in place (between tasks, after them), outputs
 * copied from another WORK or onto another position, hand-edited and damaged plans, hostile options, killed and
 * disk-full writes of an embedding, temporary files of killed writes. Each case asserts the refusal message or
 * the exact result (against an independent in-memory computation of the same data).
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { saveZoo } from "../../src/io/stores/zoo/index.js";
import { zooSource } from "../../src/io/stores/zoo/source.js";
import { exactInpca, exactInpcaWithReport } from "../../src/geometry/exact/exact-inpca.js";
import { loadEmbedding } from "../../src/io/stores/embedding-files.js";
import { shutdownPool } from "../../src/geometry/pairwise/pool.js";
import { sampleSubset } from "../../src/geometry/subsample.js";
import { PredictionSet } from "../../src/core/prediction-set.js";
import { relativeGap, trajectorySet } from "../helpers/data.js";

const root = resolve(__dirname, "..", "..");
const bin = join(root, "dist", "cli", "main.js");
const tmp = mkdtempSync(join(tmpdir(), "inpca-stored-"));
afterAll(async () => {
  rmSync(tmp, { recursive: true, force: true });
  await shutdownPool();
});
const cli = (args: string[], env: Record<string, string> = {}) => spawnSync(process.execPath, [bin, ...args, "--quiet"], { encoding: "utf8", env: { ...process.env, ...env } });
/** No stack trace, no raw JavaScript error reached the user. */
const clean = (stderr: string) => {
  expect(stderr).not.toMatch(/\n\s+at /);
  expect(stderr).not.toMatch(/TypeError|RangeError|SyntaxError|EISDIR|internal error/);
};

/** A toy zoo of 20 runs × 15 checkpoints (300 model-points); `seed` changes every prediction, not the runs or steps. */
function zooOf(dir: string, seed: number, labelsOf = 11): void {
  rmSync(dir, { recursive: true, force: true });
  const retrained = (s: PredictionSet, base: PredictionSet) => new PredictionSet({ probs: s.probs, models: s.models, samples: s.samples, classes: s.classes, meta: base.meta, labels: base.labels });
  const a = retrained(trajectorySet(20, 15, 30, 5, seed), trajectorySet(20, 15, 30, 5, labelsOf));
  const b = retrained(trajectorySet(20, 15, 30, 5, seed + 1), trajectorySet(20, 15, 30, 5, labelsOf + 1));
  saveZoo(dir, { train: a, test: b }, { dataset: "toy" });
}
const all = (M: number) => Array.from({ length: M }, (_, i) => i);
const setOf = async (zoo: string) => zooSource(zoo, "train").read(all(300));

describe("exact job array: bound to its source", () => {
  const zoo = join(tmp, "zoo-x");
  zooOf(zoo, 11);
  const work = join(tmp, "work-x");
  const run = (w: string, tasks: number) => {
    for (let t = 0; t < tasks; t++) {
      const r = cli(["distances", w, "--task", String(t)]);
      expect(r.status, r.stderr).toBe(0);
    }
  };

  it("re-planning with other options is refused (nothing changes); the same plan keeps its blocks; --fresh starts clean and is exact", async () => {
    expect(cli(["plan", zoo, "--exact", "--block", "60", "--out", work, "--tasks", "3"]).status).toBe(0);
    run(work, 3);
    const before = readFileSync(join(work, "plan.json"));
    let r = cli(["plan", zoo, "--exact", "--block", "60", "--samples", "8", "--out", work, "--tasks", "3"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/plan\.json: WORK holds another plan \(sample subset all → of 8\); its blocks are not reused\. To start again, removing the old plan and its blocks, add --fresh/);
    clean(r.stderr);
    expect(readFileSync(join(work, "plan.json"))).toEqual(before);
    r = cli(["plan", zoo, "--exact", "--block", "30", "--out", work, "--tasks", "3"]);
    expect(r.stderr).toMatch(/another plan \(block 60 → 30\)/);
    // the same plan split anew: its blocks stand
    r = spawnSync(process.execPath, [bin, "plan", zoo, "--exact", "--block", "60", "--out", work, "--tasks", "2"], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/already holds this plan; split anew into 2 tasks \(its blocks stand\)/);
    for (const t of ["0", "1"]) expect(spawnSync(process.execPath, [bin, "distances", work, "--task", t], { encoding: "utf8" }).stderr).toMatch(/is already done/);
    // --fresh: the old blocks are gone; the result is exact InPCA of the subset
    r = cli(["plan", zoo, "--exact", "--block", "60", "--samples", "8", "--out", work, "--tasks", "3", "--fresh"]);
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(join(work, "blocks"))).toBe(false);
    run(work, 3);
    expect(cli(["embed", work, "--out", join(tmp, "emb-x8")]).status).toBe(0);
    const set = await setOf(zoo);
    const samples = sampleSubset(set.samples, 8, set.labels, 1);
    const want = await exactInpca(set, { block: 60, samples, showProgress: false });
    const got = loadEmbedding(join(tmp, "emb-x8"));
    expect(relativeGap(got.eigenvalues, want.eigenvalues)).toBeLessThan(1e-9);
    expect(relativeGap(got.coords, want.coords)).toBeLessThan(1e-9);
  });

  it("a zoo retrained in place between tasks is noticed by the next task; after all tasks, by embed (nothing written); touched files with the same predictions stand", async () => {
    const w = join(tmp, "work-retrain");
    const z = join(tmp, "zoo-retrain");
    zooOf(z, 11);
    expect(cli(["plan", z, "--exact", "--block", "60", "--out", w, "--tasks", "3"]).status).toBe(0);
    run(w, 1);
    zooOf(z, 31, 31); // other labels too: refused as such
    let r = cli(["distances", w, "--task", "1"]);
    expect(r.stderr).toMatch(/plan\.json: the source's labels are not those the plan was made for; plan again with --fresh/);
    zooOf(z, 31); // retrained: same runs, steps and labels, other predictions
    r = cli(["distances", w, "--task", "1"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/the predictions of model-points \d+–\d+ of .* are not those blocks\/b-\d+-\d+\.f32 was computed from: the source changed since; if that is intended, plan again with --fresh/);
    clean(r.stderr);
    // every task on the old zoo, then retrained: embed refuses, naming the blocks and the tasks
    zooOf(z, 11);
    expect(cli(["plan", z, "--exact", "--block", "60", "--out", w, "--tasks", "3", "--fresh"]).status).toBe(0);
    run(w, 3);
    zooOf(z, 31);
    const out = join(tmp, "emb-retrain");
    r = cli(["embed", w, "--out", out]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/the source changed since 15 of the blocks were computed \(tasks 0, 1, 2\); nothing was written:\n {2}blocks\/b-00000-00000\.f32: computed from other predictions of model-points 0–59 than the source holds now/);
    expect(existsSync(out)).toBe(false);
    // the same predictions written again (new files, new times): the blocks stand, and embed is exact
    zooOf(z, 11);
    r = cli(["embed", w, "--out", out]);
    expect(r.status, r.stderr).toBe(0);
    const want = await exactInpca(await setOf(z), { block: 60, showProgress: false });
    expect(relativeGap(loadEmbedding(out).coords, want.coords)).toBeLessThan(1e-9);
  });

  it("a block copied from another WORK, or onto another position, is refused by name", () => {
    const a = join(tmp, "work-a"), b = join(tmp, "work-b"), zb = join(tmp, "zoo-b");
    zooOf(zb, 41);
    for (const [w, z] of [[a, zoo], [b, zb]]) {
      expect(cli(["plan", z!, "--exact", "--block", "60", "--out", w!, "--tasks", "2"]).status).toBe(0);
      run(w!, 2);
    }
    // from WORK b (another zoo of the same shape) into WORK a
    for (const ext of ["f32", "json"]) copyFileSync(join(b, "blocks", `b-00001-00002.${ext}`), join(a, "blocks", `b-00001-00002.${ext}`));
    let r = cli(["embed", a, "--out", join(tmp, "emb-a")]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/the stored blocks were computed from two versions of the source \(it changed between tasks\):\n {2}blocks\/b-00001-00002\.f32 and blocks\/b-0000[01]-0000[12]\.f32 were computed from different predictions of model-points (60–119|120–179)/);
    expect(existsSync(join(tmp, "emb-a"))).toBe(false);
    // a block of this WORK onto another position
    for (const ext of ["f32", "json"]) copyFileSync(join(a, "blocks", `b-00000-00001.${ext}`), join(a, "blocks", `b-00001-00002.${ext}`));
    r = cli(["embed", a, "--out", join(tmp, "emb-a")]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/blocks\/b-00001-00002\.f32: moved: its record is for block \(0, 1\), not \(1, 2\)/);
    // its task computes it again, and embed is whole
    const plan = JSON.parse(readFileSync(join(a, "plan.json"), "utf8")) as { tasks: number[][] };
    const task = plan.tasks.findIndex((t) => t.includes(6)); // (1, 2) is block 6 of 15 in row-major order
    expect(cli(["distances", a, "--task", String(task)]).status).toBe(0);
    expect(cli(["embed", a, "--out", join(tmp, "emb-a")]).status).toBe(0);
  });

  it("--block above M plans one block; a hand-edited, damaged or foreign plan.json is refused naming the file and the field", async () => {
    const w = join(tmp, "work-one");
    expect(cli(["plan", zoo, "--exact", "--block", "1000", "--out", w, "--tasks", "2"]).stderr).toMatch(/2 tasks for 1 blocks/);
    expect(cli(["plan", zoo, "--exact", "--block", "1000", "--out", w, "--tasks", "1"]).status).toBe(0);
    expect(JSON.parse(readFileSync(join(w, "plan.json"), "utf8")).block).toBe(300);
    run(w, 1);
    expect(cli(["embed", w, "--out", join(w, "emb")]).status).toBe(0);
    const want = await exactInpca(await setOf(zoo), { block: 300, showProgress: false });
    expect(relativeGap(loadEmbedding(join(w, "emb")).coords, want.coords)).toBeLessThan(1e-9);
    const good = readFileSync(join(w, "plan.json"), "utf8");
    const edit = (f: (p: Record<string, unknown>) => void) => {
      const p = JSON.parse(good) as Record<string, unknown>;
      f(p);
      writeFileSync(join(w, "plan.json"), JSON.stringify(p));
    };
    const cases: [string, () => void, RegExp][] = [
      ["tasks null", () => edit((p) => (p.tasks = null)), /plan\.json: tasks is null; expected an array of 1 or more/],
      ["block index out of range", () => edit((p) => (p.tasks = [[0, 7]])), /plan\.json: tasks\[0\]\[1\] is 7; the plan has blocks 0–0/],
      ["block 1.5", () => edit((p) => (p.block = 1.5)), /plan\.json: block is 1\.5; expected an integer ≥ 1/],
      ["dims 0", () => edit((p) => (p.dims = 0)), /plan\.json: dims is 0; expected an integer ≥ 1/],
      ["precision", () => edit((p) => (p.precision = "f16")), /plan\.json: precision is "f16"; expected one of "f32", "f64"/],
      ["a field edited", () => edit((p) => (p.seed = 7)), /plan\.json: id does not match the plan's fields: plan\.json was edited after `inpca plan` wrote it/],
      ["version 1", () => edit((p) => (p.version = 1)), /plan\.json: a plan of version 1, made by an earlier inpca without the fingerprints of its source; plan again with --fresh/],
      ["empty", () => writeFileSync(join(w, "plan.json"), ""), /plan\.json: plan\.json is empty/],
      ["truncated", () => writeFileSync(join(w, "plan.json"), good.slice(0, good.length / 2)), /plan\.json: plan\.json is not JSON \(truncated or damaged/],
      ["not an object", () => writeFileSync(join(w, "plan.json"), "[1, 2]"), /plan\.json: not an inpca plan \(format undefined\)/],
      ["a folder", () => {
        rmSync(join(w, "plan.json"));
        mkdirSync(join(w, "plan.json"));
      }, /plan\.json: plan\.json is not a regular file/],
      ["a link to /dev/zero", () => {
        rmSync(join(w, "plan.json"), { recursive: true });
        symlinkSync("/dev/zero", join(w, "plan.json"));
      }, /plan\.json: plan\.json is not a regular file/],
    ];
    for (const [what, make, want] of cases) {
      make();
      for (const args of [["distances", w, "--task", "0"], ["embed", w, "--out", join(tmp, "never")]]) {
        const r = cli(args);
        expect(r.status, `${what}: ${r.stderr}`).toBe(1);
        expect(r.stderr, what).toMatch(want);
        clean(r.stderr);
      }
      rmSync(join(w, "plan.json"), { recursive: true, force: true });
      writeFileSync(join(w, "plan.json"), good);
    }
    expect(existsSync(join(tmp, "never"))).toBe(false);
  });

  it("temporary files of killed writes are removed by the next task: this machine's dead writers at once, other machines' after an hour", () => {
    const w = join(tmp, "work-temps");
    expect(cli(["plan", zoo, "--exact", "--block", "300", "--out", w, "--tasks", "1"]).status).toBe(0);
    mkdirSync(join(w, "blocks"));
    const host = hostname().replace(/[^A-Za-z0-9_]/g, "_");
    const dead = join(w, "blocks", `.b-00000-00000.f32.tmp-${host}-99999999-abc`);
    const other = join(w, "blocks", `.b-00000-00000.json.tmp-otherhost-123-abc`);
    const stale = join(w, "blocks", `.b-00000-00000.json.tmp-otherhost-124-abd`);
    for (const f of [dead, other, stale]) writeFileSync(f, "partial");
    const old = new Date(Date.now() - 2 * 3600_000);
    utimesSync(stale, old, old);
    expect(cli(["distances", w, "--task", "0"]).status).toBe(0);
    expect([existsSync(dead), existsSync(other), existsSync(stale)]).toEqual([false, true, false]);
  });
});

describe("landmark job array: bound to its source", () => {
  const zoo = join(tmp, "zoo-l");
  zooOf(zoo, 11);
  const work = join(tmp, "work-l");
  const plan = (w: string, z: string, extra: string[] = []) => cli(["plan", z, "--out", w, "--tasks", "3", "--landmarks", "40", "--samples", "20", ...extra]);
  const run = (w: string) => [0, 1, 2].forEach((t) => expect(cli(["distances", w, "--task", String(t)]).status).toBe(0));

  it("re-planning with other options is refused before choosing; the same plan stands; --fresh starts clean", () => {
    expect(plan(work, zoo).status).toBe(0);
    run(work);
    let r = plan(work, zoo, ["--landmarks", "30"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/plan\.json: WORK holds another plan \(landmarks 40 → 30\); its outputs are not reused\. To start again, removing the old plan and everything computed for it, add --fresh/);
    r = spawnSync(process.execPath, [bin, "plan", zoo, "--out", work, "--tasks", "3", "--landmarks", "40", "--samples", "20"], { encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/already holds this plan of this source; nothing to do/);
    expect(spawnSync(process.execPath, [bin, "distances", work, "--task", "2"], { encoding: "utf8" }).stderr).toMatch(/task 2 is already done/);
    expect(plan(work, zoo, ["--landmarks", "30", "--fresh"]).status).toBe(0);
    expect(readdirSync(join(work, "tasks"))).toEqual([]);
  });

  it("a zoo retrained in place is noticed by the tasks and by embed; outputs copied between tasks or WORKs are refused", () => {
    const w = join(tmp, "work-lr"), z = join(tmp, "zoo-lr");
    zooOf(z, 11);
    expect(plan(w, z).status).toBe(0);
    zooOf(z, 31);
    let r = cli(["distances", w, "--task", "1"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/plan\.json: the predictions of the landmarks are not those the plan chose them from: the source changed since it was planned; plan again with --fresh/);
    clean(r.stderr);
    zooOf(z, 11);
    run(w);
    zooOf(z, 31);
    r = cli(["embed", w, "--out", join(tmp, "emb-lr")]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/the source changed since tasks 0, 1, 2 ran: their rows hold other predictions now \(nothing was written\)/);
    expect(existsSync(join(tmp, "emb-lr"))).toBe(false);
    zooOf(z, 11);
    expect(cli(["embed", w, "--out", join(tmp, "emb-lr")]).status).toBe(0);
    // task 1's output as task 2's; then another WORK's task 2
    for (const ext of ["f64", "json"]) copyFileSync(join(w, "tasks", `task-00001.${ext}`), join(w, "tasks", `task-00002.${ext}`));
    r = cli(["embed", w, "--out", join(tmp, "emb-lr2")]);
    expect(r.stderr).toMatch(/task 2: stale: its task is 1, expected 2 \(copied or renamed from elsewhere\)/);
    const other = join(tmp, "work-lr-other"); // another plan of the same zoo: 40 landmarks on 25 samples
    expect(cli(["plan", z, "--out", other, "--tasks", "3", "--landmarks", "40", "--samples", "25"]).status).toBe(0);
    expect(cli(["distances", other, "--task", "2"]).status).toBe(0);
    for (const ext of ["f64", "json"]) copyFileSync(join(other, "tasks", `task-00002.${ext}`), join(w, "tasks", `task-00002.${ext}`));
    r = cli(["embed", w, "--out", join(tmp, "emb-lr2")]);
    expect(r.stderr).toMatch(/task 2: stale: computed for another plan \(re-planned since, or copied from another WORK\)/);
    expect(existsSync(join(tmp, "emb-lr2"))).toBe(false);
  });

  it("a hand-edited landmark plan is refused naming the field, before any loop or output", () => {
    const w = join(tmp, "work-le");
    expect(plan(w, zoo).status).toBe(0);
    const good = readFileSync(join(w, "plan.json"), "utf8");
    const cases: [string, (p: Record<string, any>) => void, RegExp][] = [ // eslint-disable-line @typescript-eslint/no-explicit-any
      ["chunk 0", (p) => (p.chunk = 0), /plan\.json: chunk is 0; expected an integer in \[1, 4096\]/],
      ["chunk 1.5", (p) => (p.chunk = 1.5), /plan\.json: chunk is 1\.5; expected an integer in \[1, 4096\]/],
      ["stressPoints 1e9", (p) => (p.stressPoints = 1e9), /plan\.json: stressPoints is 1000000000, more than the 300 model-points/],
      ["stressPoints 0", (p) => (p.stressPoints = 0), /plan\.json: stressPoints is 0; expected an integer ≥ 2/],
      ["dims 0", (p) => (p.dims = 0), /plan\.json: dims is 0; expected an integer ≥ 1/],
      ["tasks null", (p) => (p.tasks = null), /plan\.json: tasks is null/],
      ["tasks with a gap", (p) => (p.tasks[1][0] += 1), /plan\.json: tasks\[1\] is \[\d+, \d+\]; the tasks must split rows 0–299 into consecutive non-empty ranges/],
      ["landmark out of range", (p) => (p.landmarks[p.landmarks.length - 1] = 300), /plan\.json: landmarks\[39\] is 300, outside \[0, 300\)/],
      ["landmarks edited", (p) => (p.landmarks[0] = p.landmarks[0] === 0 ? 1 : 0), /plan\.json: id does not match the plan's fields/],
      ["a string for a number", (p) => (p.seed = "1"), /plan\.json: seed is "1"; expected an integer ≥ 0/],
    ];
    for (const [what, f, want] of cases) {
      const p = JSON.parse(good);
      f(p);
      writeFileSync(join(w, "plan.json"), JSON.stringify(p));
      for (const args of [["distances", w, "--task", "0"], ["embed", w, "--out", join(tmp, "never-l")]]) {
        const r = cli(args);
        expect(r.status, `${what}: ${r.stderr}`).toBe(1);
        expect(r.stderr, what).toMatch(want);
        clean(r.stderr);
      }
    }
    expect(existsSync(join(tmp, "never-l"))).toBe(false);
    expect(readdirSync(join(w, "tasks"))).toEqual([]);
  });

  it("hostile flags are refused with the usage text, before anything is read or written", () => {
    const w = join(tmp, "work-flags");
    const cases: [string[], RegExp][] = [
      [["plan", zoo, "--out", w, "--tasks", "1.5"], /--tasks is "1\.5"; expected an integer in \[1, /],
      [["plan", zoo, "--out", w, "--tasks", "2", "--dims", "0"], /--dims is 0; expected an integer ≥ 1/],
      [["plan", zoo, "--out", w, "--tasks", "2", "--samples", "NaN"], /--samples is "NaN"; expected an integer ≥ 1/],
      [["plan", zoo, "--out", w, "--tasks", "2", "--precision", "f16"], /--precision is "f16"; expected one of "f32", "f64"/],
      [["plan", zoo, "--out", w, "--tasks", "2", "--exact", "--block", "0"], /--block is 0; expected an integer ≥ 1/],
      [["plan", zoo, "--out", w, "--tasks", "2", "--memory", "3G"], /--memory is for embed/],
    ];
    for (const [args, want] of cases) {
      const r = cli(args);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(want);
      expect(r.stderr).toMatch(/inpca plan SOURCE --out WORK --tasks N/);
    }
    expect(existsSync(w)).toBe(false);
    writeFileSync(join(tmp, "a-file"), "x");
    const r = cli(["plan", zoo, "--out", join(tmp, "a-file"), "--tasks", "2"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/a-file: --out WORK must be a folder, and this is a file/);
  });
});

describe("exactInpca(source, { work }): the cache recomputes what no longer matches, and says so", () => {
  const a = trajectorySet(12, 10, 24, 4, 5); // 120 model-points
  /** `a` with the predictions of model-points 0–9 replaced (the same runs and steps). */
  const changed = (() => {
    const b = trajectorySet(12, 10, 24, 4, 6);
    const probs = a.probs.slice();
    probs.set(b.probs.subarray(0, 10 * 24 * 4));
    return new PredictionSet({ probs, models: 120, samples: 24, classes: 4, meta: a.meta, labels: a.labels }, { validate: false });
  })();

  it("a set changed in its first 10 model-points: the 4 blocks of their block-row are computed again, the others kept; the result is exact", async () => {
    const work = join(tmp, "cache-1");
    const first = await exactInpcaWithReport(a, { work, block: 30, showProgress: false });
    expect(first.report).toMatchObject({ computed: 10, skipped: 0, recomputed: [] });
    const warn = console.warn;
    const said: string[] = [];
    console.warn = (s: string) => void said.push(s);
    let second;
    try {
      second = await exactInpcaWithReport(changed, { work, block: 30, showProgress: false });
    } finally {
      console.warn = warn;
    }
    expect(second.report.computed).toBe(4);
    expect(second.report.skipped).toBe(6);
    expect(second.report.recomputed).toHaveLength(4);
    expect(second.report.recomputed[0]).toMatch(/blocks\/b-00000-00000\.f32: computed from other predictions of model-points 0–29 than the source holds now/);
    expect(said.join("\n")).toMatch(/exactInpca: .*cache-1: computing again 4 stored blocks that no longer match/);
    const want = await exactInpca(changed, { block: 30, showProgress: false });
    expect(relativeGap(second.embedding.coords, want.coords)).toBeLessThan(1e-9);
    expect(relativeGap(second.embedding.eigenvalues, want.eigenvalues)).toBeLessThan(1e-9);
    // and back: unchanged sets reuse everything
    const third = await exactInpcaWithReport(changed, { work, block: 30, showProgress: false });
    expect(third.report).toMatchObject({ computed: 0, skipped: 10, recomputed: [] });
  });

  it("other options recompute every block and say what differed; a zoo retrained in place is recomputed from its content", async () => {
    const work = join(tmp, "cache-2");
    await exactInpcaWithReport(a, { work, block: 30, showProgress: false });
    const warn = console.warn;
    console.warn = () => {};
    try {
      const r = await exactInpcaWithReport(a, { work, block: 30, precision: "f32", showProgress: false });
      expect(r.report.computed).toBe(10);
      expect(r.report.recomputed[0]).toMatch(/exact\.json: the folder held the blocks of another matrix \(precision "f64" → "f32"\)/);
      const z = join(tmp, "zoo-cache");
      zooOf(z, 11);
      const w2 = join(tmp, "cache-3");
      expect((await exactInpcaWithReport(zooSource(z, "train"), { work: w2, block: 100, showProgress: false })).report.computed).toBe(6);
      expect((await exactInpcaWithReport(zooSource(z, "train"), { work: w2, block: 100, showProgress: false })).report).toMatchObject({ computed: 0, recomputed: [] });
      zooOf(z, 31);
      const again = await exactInpcaWithReport(zooSource(z, "train"), { work: w2, block: 100, showProgress: false });
      expect(again.report.computed).toBe(6);
      expect(again.report.recomputed).toHaveLength(6);
      const want = await exactInpca(await setOf(z), { block: 100, showProgress: false });
      expect(relativeGap(again.embedding.coords, want.coords)).toBeLessThan(1e-9);
    } finally {
      console.warn = warn;
    }
  });

  it("hostile options are refused before anything is computed or written", async () => {
    const work = join(tmp, "cache-hostile");
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ memory: NaN }, /exactInpca: memory is NaN; expected a memory size/],
      [{ memory: "lots" }, /exactInpca: memory is "lots"; expected a memory size/],
      [{ memory: -5 }, /exactInpca: memory is -5; expected a memory size/],
      [{ dims: 0 }, /exactInpca: dims is 0; expected an integer ≥ 1/],
      [{ block: 2.5 }, /exactInpca: block is 2\.5; expected an integer ≥ 1/],
      [{ precision: "f16" }, /exactInpca: precision is "f16"; expected one of "f32", "f64"/],
      [{ samples: Int32Array.from([3, 1]) }, /exactInpca: samples\[1\] is 1; expected ascending sample indices in \[0, 24\)/],
      [{ work: 5 }, /exactInpca: work must be the path of a folder, got 5/],
    ];
    for (const [o, want] of cases) await expect(exactInpca(a, { work, ...o } as never)).rejects.toThrow(want);
    expect(existsSync(work)).toBe(false);
    // "3G" is a memory size: accepted
    expect((await exactInpcaWithReport(a, { block: 60, memory: "3G", showProgress: false })).report.computed).toBe(3);
    writeFileSync(join(tmp, "plain-file"), "x");
    await expect(exactInpca(a, { work: join(tmp, "plain-file") })).rejects.toThrow(/plain-file: exactInpca: work must be a folder, and this is a file/);
    mkdirSync(join(tmp, "someones-folder"));
    writeFileSync(join(tmp, "someones-folder", "thesis.tex"), "x");
    await expect(exactInpca(a, { work: join(tmp, "someones-folder") })).rejects.toThrow(/this folder is not empty and holds no exact\.json, so it is not a work folder of exactInpca/);
  });
});

describe("an embedding folder is written as one unit", () => {
  const zoo = join(tmp, "zoo-e");
  zooOf(zoo, 11);
  const work = join(tmp, "work-e");
  const out = join(tmp, "emb-e");
  const w4 = join(tmp, "work-e4");
  const coordsOf = (dir: string) => Array.from(loadEmbedding(dir).coords);
  // two plans of one zoo whose embeddings differ: 3 axes (the old one) and 4 axes (the new one)
  beforeAll(() => {
    expect(cli(["plan", zoo, "--exact", "--block", "100", "--out", work, "--tasks", "2", "--dims", "3"]).status).toBe(0);
    for (const t of ["0", "1"]) expect(cli(["distances", work, "--task", t]).status).toBe(0);
    expect(cli(["plan", zoo, "--exact", "--block", "100", "--out", w4, "--tasks", "1", "--dims", "4"]).status).toBe(0);
    expect(cli(["distances", w4, "--task", "0"]).status).toBe(0);
  }, 120_000);

  it("killed before, between or after its steps, or out of space: the folder holds the old embedding or the new one, never a mix", () => {
    expect(cli(["embed", work, "--out", out]).status).toBe(0);
    const old = coordsOf(out);
    const fresh = join(tmp, "emb-e4");
    expect(cli(["embed", w4, "--out", fresh]).status).toBe(0);
    const neu = coordsOf(fresh);
    for (const [point, expected] of [["embedding:between-next-files", old], ["embedding:before-renames", old], ["embedding:between-renames", neu]] as const) {
      const r = cli(["embed", w4, "--out", out], { INPCA_FAILPOINT: `${point}:kill` });
      expect(r.signal, point).toBe("SIGKILL");
      expect(coordsOf(out), point).toEqual(expected);
      expect(loadEmbedding(out).dims).toBe(expected === old ? 3 : 4);
    }
    // a full disk while writing: an error naming the folder; the old embedding stays
    expect(cli(["embed", work, "--out", out]).status).toBe(0);
    const r = cli(["embed", w4, "--out", out], { INPCA_FAILPOINT: "embedding:between-next-files:enospc" });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/emb-e: cannot write: no space left on the device \(ENOSPC\)/);
    expect(coordsOf(out)).toEqual(old);
    expect(readdirSync(out).sort()).toEqual(["coords.npy", "embedding.json"]);
    // the next write finishes whatever was left and leaves no temporary files
    expect(cli(["embed", w4, "--out", out]).status).toBe(0);
    expect(coordsOf(out)).toEqual(neu);
    expect(readdirSync(out).sort()).toEqual(["coords.npy", "embedding.json"]);
  });

  it("a real full disk (a small tmpfs): the old embedding stays whole and no temporary file is left", () => {
    const mnt = join(tmp, "small");
    mkdirSync(mnt, { recursive: true });
    const probe = join(tmp, "emb-size");
    expect(cli(["embed", work, "--out", probe]).status).toBe(0);
    const size = readdirSync(probe).reduce((s, n) => s + readFileSync(join(probe, n)).length, 0);
    // room for the old embedding and a third of a new one
    const m = spawnSync("mount", ["-t", "tmpfs", "-o", `size=${Math.ceil((size * 1.33) / 4096) * 4096 + 8192}`, "tmpfs", mnt]);
    expect(m.status, `mounting a tmpfs needs root: ${m.stderr}`).toBe(0);
    try {
      const dir = join(mnt, "emb");
      expect(cli(["embed", work, "--out", dir]).status).toBe(0);
      const before = coordsOf(dir);
      const r = cli(["embed", w4, "--out", dir]);
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/no space left on the device \(ENOSPC\)/);
      clean(r.stderr);
      expect(coordsOf(dir)).toEqual(before);
      expect(readdirSync(dir).sort()).toEqual(["coords.npy", "embedding.json"]);
    } finally {
      spawnSync("umount", [mnt]);
    }
  });

  it("loadEmbedding refuses coords.npy from another embedding of the same shape, and a malformed embedding.json, naming the file", () => {
    const other = join(tmp, "emb-other");
    expect(cli(["embed", work, "--out", other]).status).toBe(0);
    // another zoo's coordinates, same shape
    const zb = join(tmp, "zoo-e2"), wb = join(tmp, "work-e2"), ob = join(tmp, "emb-e2");
    zooOf(zb, 51);
    expect(cli(["plan", zb, "--exact", "--block", "100", "--out", wb, "--tasks", "1"]).status).toBe(0);
    expect(cli(["distances", wb, "--task", "0"]).status).toBe(0);
    expect(cli(["embed", wb, "--out", ob]).status).toBe(0);
    copyFileSync(join(ob, "coords.npy"), join(other, "coords.npy"));
    expect(() => loadEmbedding(other)).toThrow(/emb-other\/coords\.npy: coords\.npy is not the file embedding\.json was written with \(its SHA-256 differs\)/);
    const doc = JSON.parse(readFileSync(join(ob, "embedding.json"), "utf8"));
    doc.dims = 2.5;
    writeFileSync(join(ob, "embedding.json"), JSON.stringify(doc));
    expect(() => loadEmbedding(ob)).toThrow(/emb-e2\/embedding\.json: dims is 2\.5; expected an integer ≥ 1/);
    writeFileSync(join(ob, "embedding.json"), "{");
    expect(() => loadEmbedding(ob)).toThrow(/emb-e2\/embedding\.json: not JSON/);
  });
});
