/**
 * The job array under a real scheduler: a single-node Slurm on localhost (Debian slurm-wlm + munge, installed by
 * scripts/system-deps.sh), started here with a private configuration on its own ports and stopped afterwards.
 * `inpca distances` runs as `sbatch --array=0-3`, one task is cancelled half-way and re-submitted with
 * scripts/cluster/inpca-array.sbatch, then
 * `inpca embed` must equal `ip.landmarkInpca` in one process. Skipped, with the reason printed, where Slurm cannot
 * run (not root, or the packages are missing).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { landmarkInpca } from "../../src/geometry/landmark/index.js";
import { shutdownPool } from "../../src/geometry/pairwise/pool.js";
import { loadEmbedding } from "../../src/io/stores/embedding-files.js";
import { exactInpca } from "../../src/geometry/exact/exact-inpca.js";
import { zooSource } from "../../src/io/stores/zoo/source.js";
import { relativeGap, toyZoo } from "../helpers/data.js";
import { skipWhen } from "../helpers/skip.js";

const root = resolve(__dirname, "..", "..");
const bin = join(root, "dist", "cli", "main.js");
const have = (cmd: string) => spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0 || existsSync(`/usr/sbin/${cmd}`);
const reason = process.getuid?.() !== 0 ? "needs root to start slurmctld, slurmd and munged"
  : !["slurmctld", "slurmd", "sbatch", "munged"].every(have) ? "Slurm or munge is not installed (Debian slurm-wlm munge; scripts/system-deps.sh installs them)"
  : null;
if (reason) console.warn(`Slurm test skipped: ${reason}`);

const dir = mkdtempSync(join(tmpdir(), "inpca-slurm-"));
const conf = join(dir, "slurm.conf");
const env = { ...process.env, SLURM_CONF: conf };
let startedMunge: number | null = null;
const sbin = (cmd: string) => (existsSync(`/usr/sbin/${cmd}`) ? `/usr/sbin/${cmd}` : cmd);
const run = (cmd: string, args: string[]) => spawnSync(cmd, args, { env, encoding: "utf8" });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until `done()` holds, polling every 250 ms, for at most `ms`. */
async function until(done: () => boolean, ms: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (!done()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms / 1000} s waiting for ${what}`);
    await sleep(250);
  }
}

/** A TCP port free on loopback now (the kernel picks it): the test's daemons never meet another Slurm's. */
function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.on("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

/** The states of the job's tasks still known to slurmctld (PENDING, RUNNING, COMPLETED, CANCELLED, ...). */
function states(job: string): string[] {
  const r = run("scontrol", ["show", "job", job, "-o"]);
  return [...(r.stdout ?? "").matchAll(/JobState=(\w+)/g)].map((m) => m[1]!);
}

const finished = (job: string) => {
  const s = states(job);
  return s.length > 0 && s.every((x) => !["PENDING", "RUNNING", "CONFIGURING", "COMPLETING"].includes(x));
};

function sbatch(args: string[]): string {
  const r = run("sbatch", ["--parsable", ...args]);
  if (r.status !== 0) throw new Error(`sbatch failed: ${r.stderr}`);
  return r.stdout.trim().split(";")[0]!;
}

beforeAll(async () => {
  if (reason) return;
  for (const d of ["state", "spool", "log"]) mkdirSync(join(dir, d), { recursive: true });
  // ports chosen now, not fixed: a Slurm left running by an earlier (killed) run, or another on this machine, keeps its own
  const ctldPort = await freePort();
  let dPort = await freePort();
  while (dPort === ctldPort) dPort = await freePort();
  writeFileSync(conf, [
    "ClusterName=inpca-test", "SlurmctldHost=localhost", `SlurmctldPort=${ctldPort}`, `SlurmdPort=${dPort}`, "AuthType=auth/munge",
    "ProctrackType=proctrack/linuxproc", "TaskPlugin=task/none", "SelectType=select/cons_tres", "SelectTypeParameters=CR_CPU", "DefMemPerCPU=200", "SlurmUser=root", "SlurmdUser=root",
    `StateSaveLocation=${dir}/state`, `SlurmdSpoolDir=${dir}/spool`, `SlurmctldPidFile=${dir}/slurmctld.pid`, `SlurmdPidFile=${dir}/slurmd.pid`,
    `SlurmctldLogFile=${dir}/log/slurmctld.log`, `SlurmdLogFile=${dir}/log/slurmd.log`, "ReturnToService=2", "MinJobAge=600",
    `NodeName=localhost CPUs=${cpus().length} RealMemory=2000 State=UNKNOWN`, "PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP", "",
  ].join("\n"));
  // munge: reuse a running daemon, else start one (key and socket folder as the Debian package expects)
  if (spawnSync("pgrep", ["-x", "munged"]).status !== 0) {
    if (!existsSync("/etc/munge/munge.key")) execFileSync("sh", ["-c", "dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 2>/dev/null && chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key"]);
    // a pid file left by a munged that is gone would be read as ours (and its number signalled at the end)
    execFileSync("sh", ["-c", "mkdir -p /run/munge && chown munge:munge /run/munge && chmod 755 /run/munge && rm -f /run/munge/munged.pid"]);
    execFileSync(sbin("munged"), ["--force"], { stdio: "ignore" });
    await until(() => existsSync("/run/munge/munged.pid"), 10_000, "munged");
    startedMunge = Number(readFileSync("/run/munge/munged.pid", "utf8"));
  }
  execFileSync(sbin("slurmctld"), ["-f", conf], { env });
  execFileSync(sbin("slurmd"), ["-f", conf], { env });
  await until(() => run("sinfo", ["-h", "-o", "%t"]).stdout?.trim() === "idle", 30_000, "the Slurm node to be idle");
}, 60_000);

afterAll(async () => {
  for (const pid of ["slurmd.pid", "slurmctld.pid"]) {
    const f = join(dir, pid);
    if (existsSync(f)) try { process.kill(Number(readFileSync(f, "utf8")), "SIGTERM"); } catch { /* gone */ }
  }
  if (startedMunge) try { process.kill(startedMunge, "SIGTERM"); } catch { /* gone */ }
  await sleep(500);
  rmSync(dir, { recursive: true, force: true });
  await shutdownPool();
});

describe("the job array on Slurm (single node on localhost)", skipWhen(reason), () => {
  it("sbatch --array=0-3 computes the distances; a cancelled task re-submitted finishes; embed equals ip.landmarkInpca", async () => {
    const zoo = join(dir, "zoo");
    toyZoo(zoo);
    const work = join(dir, "work");
    const node = process.execPath;
    expect(spawnSync(node, [bin, "plan", zoo, "--out", work, "--tasks", "4", "--landmarks", "40", "--quiet"]).status).toBe(0);
    const t0 = Date.now();
    // task 1 waits for a file that is never written, so it is still waiting (or pending) when it is cancelled, however
    // fast or busy the machine; the others start at once
    const job = sbatch(["--array=0-3", "-o", join(work, "slurm-%a.out"), "--wrap",
      `[ "$SLURM_ARRAY_TASK_ID" = 1 ] && while [ ! -e ${join(work, "never")} ]; do sleep 1; done; exec ${node} ${bin} distances ${work} --task $SLURM_ARRAY_TASK_ID`]);
    await until(() => ["0", "2", "3"].every((t) => existsSync(join(work, "tasks", `task-0000${t}.json`))), 120_000, "tasks 0, 2, 3");
    const arrayed = (Date.now() - t0) / 1000;
    expect(run("scancel", [`${job}_1`]).status).toBe(0);
    await until(() => finished(job), 60_000, "the array to end");
    expect(states(job)).toContain("CANCELLED");
    expect(existsSync(join(work, "tasks", "task-00001.json"))).toBe(false);
    let r = spawnSync(node, [bin, "embed", work, "--out", join(dir, "none")], { encoding: "utf8" });
    expect(r.stderr).toMatch(/task 1: missing/);
    // re-submit the cancelled task alone, with the documented script (sbatch passes INPCA through the environment;
    // this one-node test cluster has 2 CPUs and 2 GB, less than the script asks for)
    const again = sbatch(["--array=1", "--cpus-per-task=1", "--mem=200M", "-o", join(work, "slurm-again-%a.out"), "--export", `ALL,INPCA=${node} ${bin}`, join(root, "scripts", "cluster", "inpca-array.sbatch"), work]);
    await until(() => finished(again), 120_000, "the re-submitted task");
    expect(states(again)).toEqual(["COMPLETED"]);
    r = spawnSync(node, [bin, "embed", work, "--out", join(dir, "out")], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const jobs = loadEmbedding(join(dir, "out"));
    const one = await landmarkInpca(zooSource(zoo, "train"), { landmarks: 40 });
    expect(relativeGap(jobs.coords, one.coords)).toBeLessThan(1e-9);
    expect(readFileSync(join(work, "slurm-0.out"), "utf8")).toMatch(/task 0: rows 0–74 × 40 landmarks/);
    console.log(`Slurm: tasks 0, 2, 3 of the array done ${arrayed.toFixed(1)} s after sbatch; whole test ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }, 300_000);

  it("the exact blocks as sbatch --array=0-3 (with the documented script) give exact InPCA in one process", async () => {
    const zoo = join(dir, "zoo-exact");
    toyZoo(zoo);
    const work = join(dir, "work-exact");
    const node = process.execPath;
    expect(spawnSync(node, [bin, "plan", zoo, "--exact", "--block", "50", "--out", work, "--tasks", "4", "--quiet"]).status).toBe(0);
    const job = sbatch(["--array=0-3", "--cpus-per-task=1", "--mem=200M", "-o", join(work, "slurm-%a.out"), "--export", `ALL,INPCA=${node} ${bin}`, join(root, "scripts", "cluster", "inpca-array.sbatch"), work]);
    await until(() => finished(job), 180_000, "the exact array");
    expect(states(job).filter((x) => x === "COMPLETED")).toHaveLength(4);
    const r = spawnSync(node, [bin, "embed", work, "--out", join(dir, "out-exact")], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const jobs = loadEmbedding(join(dir, "out-exact"));
    const set = await zooSource(zoo, "train").read(Array.from({ length: 300 }, (_, i) => i));
    const one = await exactInpca(set, { dims: 3, block: 50, showProgress: false });
    expect(relativeGap(jobs.coords, one.coords)).toBeLessThan(1e-9);
    expect(relativeGap(jobs.eigenvalues, one.eigenvalues)).toBeLessThan(1e-9);
    expect(readFileSync(join(work, "slurm-2.out"), "utf8")).toMatch(/task 2: \d+ blocks of 50/);
  }, 300_000);
});
