/**
 * Property-based tests of the parsers (fast-check): any byte string, and any mutation of a valid file, gives
 * either a valid result or the library's InpcaInputError — never another exception, a hang, or unbounded memory.
 * Mutations start from files written by the real tools (the fixtures of scripts/fixtures*.py) and by our writers.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { InpcaInputError } from "../../src/core/errors.js";
import { readIdx } from "../../src/io/formats/idx.js";
import { checkJsonDepth } from "../../src/io/formats/json-depth.js";
import { readNpy, writeNpy } from "../../src/io/formats/npy.js";
import { readNpz } from "../../src/io/formats/npz.js";
import { readSafetensors, writeSafetensors } from "../../src/io/formats/safetensors.js";
import { readTorch } from "../../src/io/formats/torch.js";
import { loadZoo } from "../../src/io/stores/zoo/index.js";

const fixtures = join(__dirname, "..", "fixtures");
const tmp = mkdtempSync(join(tmpdir(), "inpca-fuzz-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const RUNS = Number(process.env["INPCA_FUZZ_RUNS"] ?? 400);
/** Inflation cap for the fuzzed archives: 64 MB, so no case can allocate more. */
const CAP = 64 * 1024 * 1024;

/** Runs `parse`; anything thrown must be an InpcaInputError. */
function onlyInputErrors(parse: () => unknown): void {
  try {
    parse();
  } catch (e) {
    if (!(e instanceof InpcaInputError)) throw new Error(`not an InpcaInputError: ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
  }
}

/** A valid file, mutated: bytes flipped, overwritten, inserted, or the file cut short. */
const mutated = (valid: Uint8Array) => fc.oneof(
  fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 8 }).map((flips) => {
    const b = Uint8Array.from(valid);
    for (const [at, x] of flips) b[at] ^= x;
    return b;
  }),
  fc.nat(valid.length).map((n) => valid.slice(0, n)),
  fc.tuple(fc.nat(valid.length), fc.uint8Array({ minLength: 1, maxLength: 64 })).map(([at, ins]) => {
    const b = new Uint8Array(valid.length + ins.length);
    b.set(valid.subarray(0, at));
    b.set(ins, at);
    b.set(valid.subarray(at), at + ins.length);
    return b;
  }),
  fc.tuple(fc.nat(Math.max(0, valid.length - 8)), fc.constantFrom(0, 0xff, 0x7f, 0x80)).map(([at, v]) => {
    const b = Uint8Array.from(valid);
    b.fill(v, at, at + 8);
    return b;
  }),
);
const anyBytes = fc.uint8Array({ maxLength: 4096 });
const samples = (valid: Uint8Array) => fc.oneof({ weight: 1, arbitrary: anyBytes }, { weight: 4, arbitrary: mutated(valid) });

describe("parsers on arbitrary and mutated bytes: a valid result or InpcaInputError, nothing else", () => {
  it(".npy headers and data", () => {
    const valid = writeNpy(Float32Array.from({ length: 24 }, (_, i) => i / 24), [2, 3, 4]);
    const f16 = writeNpy(Float32Array.from({ length: 6 }, (_, i) => i / 6), [6], { float16: true });
    fc.assert(fc.property(fc.oneof(samples(valid), samples(f16)), (b) => onlyInputErrors(() => readNpy(b, "x.npy"))), { numRuns: RUNS });
  });

  it(".npz zip directories (NumPy's files), inflation capped", () => {
    for (const name of ["stored.npz", "deflated.npz"]) {
      const valid = new Uint8Array(readFileSync(join(fixtures, "npz", name)));
      fc.assert(fc.property(samples(valid), (b) => onlyInputErrors(() => readNpz(b, name, { maxInflatedBytes: CAP }))), { numRuns: RUNS });
    }
  });

  it("safetensors headers", () => {
    const valid = writeSafetensors({ probs: { data: Float32Array.from({ length: 12 }, (_, i) => i / 12), shape: [3, 4] }, labels: { data: Int32Array.of(0, 1, 2), shape: [3], dtype: "I32" } }, { metadata: { run: "x" } });
    fc.assert(fc.property(samples(valid), (b) => onlyInputErrors(() => readSafetensors(b, "x.safetensors"))), { numRuns: RUNS });
  });

  it("torch.save files (PyTorch's own), the pickle parsed, never run", () => {
    for (const name of ["dict.pt", "strided.pt", "module.pt"]) {
      const valid = new Uint8Array(readFileSync(join(fixtures, "torch", name)));
      fc.assert(fc.property(samples(valid), (b) => onlyInputErrors(() => readTorch(b, name, { maxInflatedBytes: CAP }))), { numRuns: RUNS });
    }
  });

  it("IDX files, plain and gzip'd, inflation capped", async () => {
    const { gzipSync } = await import("node:zlib");
    const raw = new Uint8Array(4 + 8 + 12);
    raw.set([0, 0, 0x08, 2, 0, 0, 0, 3, 0, 0, 0, 4]);
    fc.assert(fc.property(fc.oneof(samples(raw), samples(new Uint8Array(gzipSync(raw)))), (b) => onlyInputErrors(() => readIdx(b, "x.idx", { maxInflatedBytes: CAP }))), { numRuns: RUNS });
  });

  it("zoo manifests: any JSON value in any field", () => {
    const dir = join(tmp, "zoo");
    mkdirSync(join(dir, "runs"), { recursive: true });
    const base = { format: "inpca-zoo", version: 1, dataset: { name: "x", classes: ["a", "b"] }, splits: { train: { indices: [0, 1] } }, runs: [{ id: "r", config: {}, checkpoints: [{ step: 0, epoch: 0 }] }] };
    const field = fc.constantFrom("format", "version", "dataset", "splits", "runs", "dataset.classes", "splits.train", "splits.train.indices", "runs.0", "runs.0.id", "runs.0.checkpoints", "runs.0.checkpoints.0", "runs.0.config");
    fc.assert(fc.property(field, fc.jsonValue({ maxDepth: 3 }), (path, v) => {
      const m = JSON.parse(JSON.stringify(base)) as Record<string, unknown>;
      const keys = path.split(".");
      let o = m as Record<string, unknown>;
      for (const k of keys.slice(0, -1)) o = o[k] as Record<string, unknown>;
      o[keys[keys.length - 1]!] = v;
      writeFileSync(join(dir, "manifest.json"), JSON.stringify(m));
      onlyInputErrors(() => loadZoo(dir));
    }), { numRuns: RUNS });
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (text) => {
      writeFileSync(join(dir, "manifest.json"), text);
      onlyInputErrors(() => loadZoo(dir));
    }), { numRuns: RUNS });
  });

  it("the JSON depth check agrees with a real parser's nesting on arbitrary JSON", () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 8 }), (v) => {
      const text = JSON.stringify(v);
      expect(() => checkJsonDepth(text, "x.json")).not.toThrow();
    }), { numRuns: RUNS });
  });
});
