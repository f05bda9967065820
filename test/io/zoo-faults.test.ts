/**
 * The zoo writer under real faults (issue: reliability): processes killed with SIGKILL at random points while
 * recording, a disk that fills up (a small tmpfs), and two writers at once. After every fault the zoo loads, every
 * checkpoint its records list is there with the values written, and NumPy's np.load reads the files.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { acquireLock } from "../../src/io/stores/lock.js";
import { loadZoo, ZooWriter } from "../../src/io/stores/zoo/index.js";
import { numpyMissing, python } from "../helpers/python.js";
import { skipWhen } from "../helpers/skip.js";

const root = resolve(__dirname, "..", "..");
const tmp = mkdtempSync(join(tmpdir(), "inpca-faults-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const S = 50;
const C = 4;
const init = { dataset: "faults", classNames: ["a", "b", "c", "d"], splits: { train: { indices: Array.from({ length: S }, (_, i) => i), labels: Array.from({ length: S }, (_, i) => i % C) }, test: { indices: [0, 1], labels: [0, 1] } }, float16: false };
/** The probabilities of checkpoint k, sample n: exact in float32. */
const value = (k: number, n: number, c: number) => (c === n % C ? 0.25 + (k % 64) / 128 : (0.75 - (k % 64) / 128) / (C - 1));

/**
 * A child process that records `count` checkpoints of run `id` into `dir`, printing APPENDED k after each (then waits
 * for stdin to close when `hold` is "hold"; with "gate" it waits for a line on stdin before the first checkpoint).
 */
const CHILD = `
const { ZooWriter } = require(${JSON.stringify(join(root, "dist", "io", "stores", "zoo", "index.js"))});
const [dir, id, count, hold] = process.argv.slice(2);
const init = ${JSON.stringify(init)};
const value = ${value.toString()};
const S = ${S}, C = ${C};
const w = ZooWriter.open(dir, init);
let run;
try { run = w.startRun(id, { seed: 1 }); } catch (e) { console.log("REFUSED " + e.message); process.exit(3); }
console.log("STARTED");
const rows = (k, S) => { const p = new Float32Array(S * C); for (let n = 0; n < S; n++) for (let c = 0; c < C; c++) p[n * C + c] = value(k, n, c); return p; };
const record = () => {
  for (let k = 0; k < Number(count); k++) {
    try { run.append({ step: k, epoch: k / 10 }, { train: rows(k, S), test: rows(k, 2) }); }
    catch (e) { console.log("FAILED " + k + " " + e.message); process.exit(2); }
    process.stdout.write("APPENDED " + (k + 1) + "\\n");
  }
  if (hold === "hold") { console.log("HOLDING"); process.stdin.resume(); process.stdin.on("end", () => { run.finish(); process.exit(0); }); }
  else { run.finish(); console.log("DONE"); }
};
if (hold === "gate") process.stdin.once("data", record);
else record();
`;
const childFile = join(tmp, "child.cjs");
writeFileSync(childFile, CHILD);
const haveDist = existsSync(join(root, "dist", "io", "stores", "zoo", "index.js"));

/** Checks the zoo in `dir`: run `id` loads with k checkpoints equal to what was written; returns k. */
function verify(dir: string, id: string): number {
  // killed before the zoo or the run existed: nothing was recorded, nothing to lose
  if (!existsSync(join(dir, "manifest.json"))) return 0;
  const zoo = loadZoo(dir);
  if (!zoo.runs.some((r) => r.id === id)) return 0;
  const run = zoo.run(id);
  const k = run.checkpoints.length;
  run.checkpoints.forEach((c, i) => expect(c.step).toBe(i));
  if (k > 0) {
    const set = zoo.predictions("train", { runs: [id] });
    expect(set.models).toBe(k);
    for (let i = 0; i < k; i++) for (let n = 0; n < S; n++) for (let c = 0; c < C; c++) {
      if (set.probs[(i * S + n) * C + c] !== Math.fround(value(i, n, c))) throw new Error(`checkpoint ${i}, sample ${n}, class ${c} changed`);
    }
  }
  return k;
}

/** np.load reads every split file of run `id` with at least `k` rows equal to the values written. */
function numpyReads(dir: string, id: string, k: number): void {
  if (!python) throw new Error(numpyMissing ?? "no python3 with numpy");
  const r = spawnSync(python, ["-c", `
import numpy as np, sys
a = np.load(sys.argv[1])
k = int(sys.argv[2])
assert a.shape[0] >= k and a.shape[1:] == (${S}, ${C}), a.shape
for i in range(k):
    for n in range(${S}):
        exp = [0.25 + (i % 64) / 128 if c == n % ${C} else (0.75 - (i % 64) / 128) / ${C - 1} for c in range(${C})]
        assert np.allclose(a[i, n], exp, rtol=0, atol=1e-7), (i, n)
print(a.shape[0])
`, join(dir, "runs", `${id}.train.npy`), String(k)], { encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
}

describe("the zoo writer under faults", skipWhen(!haveDist && "dist/ is not built (npm run build)"), () => {
  it("SIGKILL at random points while recording (and restarting) a run: nothing recorded is lost, np.load reads it", skipWhen(numpyMissing, { timeout: 240_000 }), async () => {
    const dir = join(tmp, "kill");
    const trials = 30;
    let survived = 0;
    const failures: string[] = [];
    let kills = 0;
    const recorded: number[] = [];
    for (let t = 0; t < trials; t++) {
      // three kinds of kill, each trial one: (0) right after the restart truncated the run, before any checkpoint
      // (the child waits at a gate), deterministically 0 kept; (1) at a random moment (before the start, during the
      // truncation, or mid-append); (2) mid-append after the child reported `target` > 20 checkpoints appended, so
      // that what is kept is at least the target whatever the machine's speed
      const kind = t % 3;
      const target = 21 + ((t * 7919) % 40);
      const child = spawn(process.execPath, [childFile, dir, "r", "400", kind === 0 ? "gate" : ""], { stdio: ["pipe", "pipe", "pipe"] });
      let out = "";
      let appended = 0;
      let reached: () => void = () => {};
      const ready = new Promise<void>((ok) => { reached = ok; });
      child.stdout.on("data", (b: Buffer) => {
        out += b.toString();
        for (const m of out.matchAll(/APPENDED (\d+)/g)) appended = Math.max(appended, Number(m[1]));
        if ((kind === 0 && out.includes("STARTED")) || (kind === 2 && appended >= target)) reached();
      });
      const exited = new Promise<number | null>((ok) => child.on("exit", (code) => ok(code)));
      const delay = kind === 1 ? 40 + ((t * 7919) % 600) : 0;
      if (kind === 1) await new Promise((ok) => setTimeout(ok, delay));
      else await Promise.race([ready, exited]);
      if (child.kill("SIGKILL")) kills++;
      await exited;
      out = out.replace(/APPENDED \d+\n/g, "");
      if (kind === 2) expect(appended, `trial ${t}: the child appended ${appended} of ${target} checkpoints before it ended`).toBeGreaterThanOrEqual(target);
      // a trial survives when the zoo it left loads with every recorded checkpoint intact and np.load agrees;
      // a failed trial is counted and named, not thrown, so that `survived` counts what actually survived
      try {
        const k = verify(dir, "r");
        if (k > 0) numpyReads(dir, "r", k);
        recorded.push(k);
        survived++;
      } catch (e) {
        failures.push(`trial ${t} (SIGKILL after ${delay} ms; child said ${JSON.stringify(out.trim())}): ${(e as Error).message.split("\n")[0]}`);
      }
    }
    // temporary files of killed writers are hidden, ignored by readers, and removed by the next writer of the run
    expect(spawnSync(process.execPath, [childFile, dir, "r", "3"], { encoding: "utf8" }).stdout).toContain("DONE");
    expect(readdirSync(join(dir, "runs")).filter((n) => n.includes(".tmp-"))).toEqual([]);
    expect(verify(dir, "r")).toBe(3);
    console.log(`zoo writer: ${trials} SIGKILL trials (${kills} killed mid-run), ${survived} left a consistent zoo; checkpoints kept per trial: ${recorded.join(" ")}`);
    expect(failures).toEqual([]);
    expect(survived).toBe(trials);
    // the kills landed at different points: before any checkpoint (the gated trials keep none), and after several
    // (the trials killed after more than 20 appends keep at least those)
    recorded.forEach((k, t) => { if (t % 3 === 0) expect(k, `trial ${t}`).toBe(0); if (t % 3 === 2) expect(k, `trial ${t}`).toBeGreaterThanOrEqual(21); });
    expect(kills).toBeGreaterThan(trials / 2);
  });

  const mnt = join(tmp, "small");
  mkdirSync(mnt, { recursive: true });
  const canMount = process.getuid?.() === 0 && spawnSync("mount", ["-t", "tmpfs", "-o", "size=400k", "tmpfs", mnt]).status === 0;
  if (canMount) spawnSync("umount", [mnt]);
  else console.warn("disk-full test skipped: cannot mount a small tmpfs (needs root)");

  it("a full disk: a clear error naming the file, the checkpoints recorded before stay readable", skipWhen(!canMount && "cannot mount a small tmpfs (needs root)", { timeout: 120_000 }), () => {
    expect(spawnSync("mount", ["-t", "tmpfs", "-o", "size=400k", "tmpfs", mnt]).status).toBe(0);
    try {
      const r = spawnSync(process.execPath, [childFile, join(mnt, "zoo"), "r", "10000"], { encoding: "utf8" });
      expect(r.status).toBe(2);
      expect(r.stdout).toMatch(/FAILED \d+ .*r\.(train|test)\.npy|FAILED \d+ .*r\.json/);
      expect(r.stdout).toMatch(/no space left on the device \(ENOSPC\)/);
      const k = verify(join(mnt, "zoo"), "r");
      expect(k).toBeGreaterThan(10);
      expect(readdirSync(join(mnt, "zoo", "runs")).filter((n) => n.includes(".tmp-"))).toEqual([]);
      numpyReads(join(mnt, "zoo"), "r", k);
      console.log(`disk full after ${k} checkpoints: all ${k} readable`);
    } finally {
      spawnSync("umount", [mnt]);
    }
  });

  it("two writers on one run: the second is refused naming the holder; a live run survives a consolidate; one consolidate at a time", async () => {
    const dir = join(tmp, "two");
    const child = spawn(process.execPath, [childFile, dir, "live", "5", "hold"], { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (b: Buffer) => { out += b.toString(); });
    for (let i = 0; i < 200 && !out.includes("HOLDING"); i++) await new Promise((ok) => setTimeout(ok, 25));
    expect(out).toContain("HOLDING");
    const w = ZooWriter.open(dir, init);
    expect(() => w.startRun("live", {})).toThrow(new RegExp(`run "live" is being written by process ${child.pid} on `));
    // another process too
    const second = spawnSync(process.execPath, [childFile, dir, "live", "1"], { encoding: "utf8" });
    expect(second.stdout).toMatch(new RegExp(`REFUSED .*live\\.lock: run "live" is being written by process ${child.pid}`));
    // a consolidate while "live" records leaves its record alone
    const other = w.startRun("done", {});
    other.append({ step: 0, epoch: 0 }, { train: new Float32Array(S * C).fill(0.25), test: new Float32Array(2 * C).fill(0.25) });
    other.finish();
    const m = w.consolidate();
    expect(m.runs.map((r) => r.id)).toEqual(["done"]);
    expect(loadZoo(dir).run("live").checkpoints.length).toBe(5);
    // a second consolidate while one holds the lock is refused, not ENOENT
    const lock = acquireLock(join(dir, "manifest.lock"), "test");
    expect(() => w.consolidate()).toThrow(/manifest\.lock: the manifest of the zoo .* is being written by process/);
    lock.release();
    child.stdin.end();
    await new Promise((ok) => child.on("exit", ok));
    expect(w.consolidate().runs.map((r) => r.id).sort()).toEqual(["done", "live"]);
    expect(verify(dir, "live")).toBe(5);
  }, 60_000);
});
