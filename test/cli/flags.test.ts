/**
 * `inpca report` errors name the flag that fixes them, never an API option the command line cannot pass:
 * a folder of state_dicts (weights, not predictions), ONNX checkpoints without `--inputs`, several candidate
 * arrays without `--array`; and the flags work (`--inputs FILE.npy`, `--array NAME`).
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FIXES, fix, forCommandLine } from "../../src/core/fixes.js";
import { writeNpy } from "../../src/io/formats/npy.js";
import { writeSafetensors } from "../../src/io/formats/safetensors.js";

const root = resolve(__dirname, "..", "..");
const bin = join(root, "dist", "cli", "main.js");
const fixtures = join(root, "test", "fixtures");
const tmp = mkdtempSync(join(tmpdir(), "inpca-cli-flags-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let haveOrt = true;
try {
  require.resolve("onnxruntime-node");
} catch {
  haveOrt = false;
}

function cli(args: string[]): { code: number | null; stderr: string } {
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run npm run build`);
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: tmp, encoding: "utf8", timeout: 120_000 });
  return { code: r.status, stderr: r.stderr };
}

/** No API vocabulary in a command-line message. */
function expectNoApiOptions(stderr: string): void {
  expect(stderr).not.toMatch(/options\.\w+/);
}

describe("forCommandLine", () => {
  it("rewrites every fix phrase to its flag", () => {
    for (const name of Object.keys(FIXES) as (keyof typeof FIXES)[]) {
      const m = forCommandLine(`x.npz: something is wrong; pass ${fix(name)}`);
      expect(m).toBe(`x.npz: something is wrong; pass ${FIXES[name].cli}`);
      expect(m).toMatch(/--\w+/);
    }
  });
});

describe("inpca report names flags", () => {
  it("a folder of torch.save(model.state_dict()) files: weights, not predictions, with the route (the issue's case)", () => {
    const weights = join(fixtures, "weights", "torch");
    const r = cli(["report", weights, "--out", join(tmp, "w.html")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${join(weights, "mlp-s0", "epoch_1.pt")}: holds model weights, not predictions`);
    expect(r.stderr).toContain("record predictions with the Python recorder that ships in inpca (python/inpca_recorder.py; docs/pytorch.md)");
    expect(r.stderr).toContain("export each checkpoint to ONNX and pass --inputs FILE.npy");
    expectNoApiOptions(r.stderr);
    expect(existsSync(join(tmp, "w.html"))).toBe(false);
    // naming a weight matrix with --array does not make it predictions
    const a = cli(["report", weights, "--array", "net.4.weight", "--out", join(tmp, "w.html")]);
    expect(a.code).toBe(1);
    expect(a.stderr).toContain("model weights, not predictions");
  });

  it("several candidate arrays: the error names --array, and --array NAME loads them", () => {
    const d = join(tmp, "two-arrays", "run-a");
    mkdirSync(d, { recursive: true });
    const S = 12, C = 3;
    const labels = Int32Array.from({ length: S }, (_, i) => i % C);
    for (let k = 0; k < 5; k++) {
      const a = new Float32Array(S * C);
      const b = new Float32Array(S * C).fill(1 / C);
      for (let n = 0; n < S; n++) for (let c = 0; c < C; c++) a[n * C + c] = c === labels[n] ? (1 + k) / (C + k) : 1 / (C + k);
      writeFileSync(join(d, `step_${k}.safetensors`), writeSafetensors({ mine: { data: a, shape: [S, C] }, baseline: { data: b, shape: [S, C] } }));
    }
    writeFileSync(join(d, "labels.npy"), writeNpy(labels, [S]));
    const r = cli(["report", join(tmp, "two-arrays"), "--out", join(tmp, "a.html")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/several arrays could be the predictions \((mine, baseline|baseline, mine)\); pass --array NAME/);
    expectNoApiOptions(r.stderr);
    const ok = cli(["report", join(tmp, "two-arrays"), "--array", "mine", "--out", join(tmp, "a.html"), "--quiet"]);
    expect(ok.stderr).toBe("");
    expect(ok.code).toBe(0);
    expect(existsSync(join(tmp, "a.html"))).toBe(true);
    // inpca plan takes the same flag, and keeps it in the plan for its tasks
    const work = join(tmp, "two-arrays-work");
    const p = cli(["plan", join(tmp, "two-arrays"), "--out", work, "--tasks", "1", "--landmarks", "4"]);
    expect(p.code).toBe(1);
    expect(p.stderr).toMatch(/several arrays could be the predictions .*; pass --array NAME/);
    expectNoApiOptions(p.stderr);
    expect(cli(["plan", join(tmp, "two-arrays"), "--out", work, "--tasks", "1", "--landmarks", "4", "--array", "mine", "-q"]).code).toBe(0);
    expect(cli(["distances", work, "--task", "0", "-q"]).code).toBe(0);
  });

  it.skipIf(!haveOrt)("ONNX checkpoints: without --inputs the error names --inputs FILE.npy; with it they are run", () => {
    const run = join(fixtures, "onnx", "run");
    const r = cli(["report", run, "--out", join(tmp, "o.html")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${join(run, "step_0.onnx")}: is an ONNX model: loading it means running it, so pass --inputs FILE.npy`);
    expectNoApiOptions(r.stderr);
    // a report embeds at least 4 checkpoints: the fixture's 3, and the last again as a later step
    const four = join(tmp, "onnx-run");
    mkdirSync(four);
    for (const f of ["step_0.onnx", "step_10.onnx", "step_29.onnx", "labels.npy"]) copyFileSync(join(run, f), join(four, f));
    copyFileSync(join(run, "step_29.onnx"), join(four, "step_40.onnx"));
    const ok = cli(["report", four, "--inputs", join(fixtures, "onnx", "inputs.npy"), "--out", join(tmp, "o.html"), "--quiet"]);
    expect(ok.stderr).toBe("");
    expect(ok.code).toBe(0);
  });

  it("bad --kind and --inputs are usage errors; --array on a zoo is refused with the reason", () => {
    let r = cli(["report", tmp, "--kind", "softmax"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--kind must be probabilities, logProbabilities or logits, got "softmax"/);
    r = cli(["report", tmp, "--inputs", "x.csv"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--inputs takes a \.npy file/);
    const zoo = join(root, "data", "zoo");
    if (existsSync(join(zoo, "manifest.json"))) {
      r = cli(["report", zoo, "--array", "probs", "--out", join(tmp, "z.html")]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/is a zoo \(manifest\.json\).*; --array applies to folders of checkpoints only: leave it out/);
    }
  });
});
