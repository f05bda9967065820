/**
 * Hostile-but-fair input (issue: reliability): corrupted archives and corrupted probabilities are refused with
 * the file and the place named, never loaded as changed values. Fixtures made from NumPy's own files by flipping
 * bytes, and generated ones.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadCheckpoints } from "../../src/io/checkpoints/load.js";
import { guessPredictionKind } from "../../src/io/formats/kind.js";
import { readNpz } from "../../src/io/formats/npz.js";
import { writeNpy } from "../../src/io/formats/npy.js";
import { crc32 } from "../../src/io/formats/zip.js";

const fixtures = join(__dirname, "..", "fixtures");
const tmp = mkdtempSync(join(tmpdir(), "inpca-hostile-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("zip members are checked against their CRC-32", () => {
  it("crc32 matches the standard check value and zlib's", async () => {
    expect(crc32(new TextEncoder().encode("123456789"))).toBe(0xcbf43926);
    const zlib = await import("node:zlib");
    const bytes = readFileSync(join(fixtures, "npz", "stored.npz"));
    if ("crc32" in zlib) expect(crc32(bytes)).toBe((zlib as unknown as { crc32(b: Uint8Array): number }).crc32(bytes));
  });

  it("every single flipped byte in the data of a stored .npy member is refused, never loaded as changed values", () => {
    const bytes = readFileSync(join(fixtures, "npz", "stored.npz"));
    const good = readNpz(bytes, "stored.npz");
    // the members' data: find the labels member's payload by its .npy magic and flip each byte after the header
    let flipped = 0;
    for (let at = 0; at < bytes.length; at++) {
      const copy = Uint8Array.from(bytes);
      copy[at] ^= 0x01;
      let loaded: ReturnType<typeof readNpz> | null = null;
      try {
        loaded = readNpz(copy, "stored.npz");
      } catch (e) {
        expect((e as Error).name).toBe("InpcaInputError");
        flipped++;
        continue;
      }
      // a flip that still loads changed nothing the arrays hold: zip metadata that no CRC covers (a member's
      // name, timestamps, the comment), which NumPy loads the same way
      expect(Object.values(loaded).map((a) => Array.from(a.data))).toEqual(Object.values(good).map((a) => Array.from(a.data)));
    }
    expect(flipped).toBeGreaterThan(bytes.length / 2);
  });

  it("a flipped byte in a deflated member names the member and the CRC", () => {
    const bytes = Uint8Array.from(readFileSync(join(fixtures, "npz", "deflated.npz")));
    // the first member's compressed data starts after its 30-byte local header, name and extra field
    const view = new DataView(bytes.buffer);
    const at = 30 + view.getUint16(26, true) + view.getUint16(28, true) + 40;
    bytes[at] ^= 0x10;
    expect(() => readNpz(bytes, "deflated.npz")).toThrow(/deflated\.npz: member "[^"]+": (CRC-32 mismatch|cannot inflate)/);
  });
});

describe("kind detection: corrupted probabilities are not logits", () => {
  const rows = (n: number) => {
    const a = new Float32Array(n * 4);
    for (let r = 0; r < n; r++) a.set([0.1, 0.2, 0.3, 0.4], r * 4);
    return a;
  };
  it("a negative entry or a row summing to 0.8 among valid rows is refused, naming the row", () => {
    const neg = rows(50);
    neg[17 * 4 + 2] = -0.3;
    expect(() => guessPredictionKind(neg, 4, "neg.npy")).toThrow(/neg\.npy: corrupted probabilities: 49 of 50 rows are probability rows, but row 17 \(sample 17\) class 2 is negative/);
    const short = rows(50);
    short[3 * 4] = 0; // row 3 sums to 0.9
    short.set([0.1, 0.1, 0.3, 0.3], 8 * 4); // row 8 sums to 0.8
    expect(() => guessPredictionKind(short, 4, "short.npy")).toThrow(/corrupted probabilities: 48 of 50 rows are probability rows, but row 3 \(sample 3\) sums to 0\.9/);
  });
  it("logits stay logits, valid probabilities stay probabilities", () => {
    const logits = Float32Array.from({ length: 200 }, (_, i) => Math.sin(i) * 3);
    expect(guessPredictionKind(logits, 4, "l.npy")).toBe("logits");
    expect(guessPredictionKind(rows(50), 4, "p.npy")).toBe("probabilities");
  });
  it("loadCheckpoints names the file and the row, says which kind it read, and kind overrides", async () => {
    const bad = rows(20);
    bad[5 * 4 + 1] = -0.01;
    const dir = join(tmp, "corrupt");
    rmSync(dir, { recursive: true, force: true });
    const { mkdirSync } = await import("node:fs");
    mkdirSync(dir);
    writeFileSync(join(dir, "step_1.npy"), writeNpy(rows(20), [20, 4]));
    writeFileSync(join(dir, "step_2.npy"), writeNpy(bad, [20, 4]));
    await expect(loadCheckpoints(dir, { log: false })).rejects.toThrow(/step_2\.npy: corrupted probabilities: 19 of 20 rows.*row 5 \(sample 5\) class 1 is negative/);
    const lines: string[] = [];
    writeFileSync(join(dir, "step_2.npy"), writeNpy(rows(20), [20, 4]));
    await loadCheckpoints(dir, { log: (l) => lines.push(l) });
    expect(lines).toEqual([expect.stringMatching(/^loadCheckpoints: 2 checkpoints of 1 run, 20 samples × 4 classes, read as probabilities \(detected; pass kind to override\); no labels$/)]);
    const asLogits = await loadCheckpoints(dir, { kind: "logits", log: (l) => lines.push(l) });
    expect(lines[1]).toMatch(/read as logits \(kind given\)/);
    expect(asLogits.probs[0]).toBeCloseTo(Math.exp(0.1) / (Math.exp(0.1) + Math.exp(0.2) + Math.exp(0.3) + Math.exp(0.4)), 6);
  });
});

describe("values that index things are integers in range, or refused with the place named", () => {
  const probs = new Float32Array(3 * 2).fill(0.5);
  it.each([
    [Number.NaN, /label of sample 1 is NaN, not an integer/],
    [1.9, /label of sample 1 is 1\.9, not an integer/],
    [-0.5, /label of sample 1 is -0\.5, not an integer/],
    [2 ** 32 + 1, /label of sample 1 is 4294967297, outside \[0, 2147483647\]/],
    [-1, /label of sample 1 is -1, outside \[0, 2147483647\]/],
    [2, /label of sample 1 is 2, outside \[0, 2\)/],
  ])("PredictionSet.fromProbabilities with label %s", async (bad, re) => {
    const { PredictionSet } = await import("../../src/core/prediction-set.js");
    expect(() => PredictionSet.fromProbabilities(probs, [1, 3, 2], { labels: [0, bad, 1] })).toThrow(re);
  });

  it("labels.json beside checkpoints and JSON inputs: strings, null, booleans and fractions are refused", async () => {
    const { loadPredictionsJson } = await import("../../src/io/formats/json.js");
    for (const [bad, shown] of [["1", '"1"'], [null, "null"], [true, "true"], [0.5, "0.5"]] as const) {
      const f = join(tmp, "p.json");
      writeFileSync(f, JSON.stringify({ probs: [[[0.5, 0.5], [0.5, 0.5]]], labels: [0, bad] }));
      expect(() => loadPredictionsJson(f)).toThrow(new RegExp(`p\\.json: "labels"\\[1\\] is ${shown.replace(/[.]/g, "\\.")}`));
    }
    const { mkdirSync } = await import("node:fs");
    const dir = join(tmp, "labels-json");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "step_1.npy"), writeNpy(new Float32Array([0.5, 0.5, 0.5, 0.5]), [2, 2]));
    writeFileSync(join(dir, "labels.json"), JSON.stringify([0, 4294967297]));
    await expect(loadCheckpoints(dir, { log: false })).rejects.toThrow(/labels\.json: label 1 is 4294967297, outside/);
  });

  it("npy shape dimensions must be plain decimal integers (not 0x2, 1e0, 2.0)", async () => {
    const { readNpy } = await import("../../src/io/formats/npy.js");
    for (const dims of ["0x2,", "1e0,", "2.0,", "-1,", "2, 0b1"]) {
      const header = new TextEncoder().encode(`{'descr': '<f4', 'fortran_order': False, 'shape': (${dims}), }`.padEnd(117) + "\n");
      const bytes = new Uint8Array(10 + header.length + 16);
      bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
      bytes.set(header, 10);
      expect(() => readNpy(bytes, "bad.npy")).toThrow(/bad\.npy: malformed shape/);
    }
  });
});

describe("malformed zoo manifests get the library's error naming manifest.json and the field", () => {
  const base = () => ({ format: "inpca-zoo", version: 1, dataset: { name: "x", classes: ["a", "b"] }, splits: { train: { indices: [0, 1] } }, runs: [] as unknown[] });
  const cases: [string, (m: ReturnType<typeof base>) => unknown, RegExp][] = [
    ["a null manifest", () => null, /the manifest is null, not a JSON object/],
    ["a null split", (m) => ({ ...m, splits: { train: null } }), /splits\.train must be an object with an array "indices"/],
    ["classes that are not strings", (m) => ({ ...m, dataset: { name: "x", classes: ["a", 2] } }), /dataset\.classes\[1\] is 2, not a string/],
    ["a null checkpoint", (m) => ({ ...m, runs: [{ id: "r", config: {}, checkpoints: [null] }] }), /run "r", checkpoint 0 is null, not an object/],
    ["a null run", (m) => ({ ...m, runs: [null] }), /runs\[0\] is null, not an object/],
    ...(["a", null, 1.5, -3, 2 ** 33, true] as unknown[]).map((v): [string, (m: ReturnType<typeof base>) => unknown, RegExp] => [
      `sample index ${JSON.stringify(v)}`, (m) => ({ ...m, splits: { train: { indices: [0, v] } } }), /splits\.train\.indices\[1\] is .*(not an integer|outside)/]),
    ["a split name that leaves the folder", (m) => ({ ...m, splits: { "../../x": { indices: [0] } } }), /split name "\.\.\/\.\.\/x" must be a name of letters/],
  ];
  it.each(cases)("%s", async (_, edit, re) => {
    const { loadZoo } = await import("../../src/io/stores/zoo/index.js");
    const { mkdirSync } = await import("node:fs");
    const dir = join(tmp, `zoo-${Math.random().toString(36).slice(2)}`);
    mkdirSync(join(dir, "runs"), { recursive: true });
    writeFileSync(join(dir, "manifest.json"), JSON.stringify(edit(base())));
    let error: unknown;
    try {
      loadZoo(dir);
    } catch (e) {
      error = e;
    }
    expect((error as Error)?.name).toBe("InpcaInputError");
    expect((error as Error).message).toMatch(/manifest\.json: /);
    expect((error as Error).message).toMatch(re);
  });
});

describe("names that build paths never leave the folder they were given", () => {
  it("saveZoo refuses a split name with a path in it, and writes nothing", async () => {
    const { saveZoo } = await import("../../src/io/stores/zoo/index.js");
    const { PredictionSet } = await import("../../src/core/prediction-set.js");
    const { existsSync } = await import("node:fs");
    const set = PredictionSet.fromProbabilities(new Float32Array(4).fill(0.5), [1, 2, 2], { labels: [0, 1] });
    const dir = join(tmp, "deep", "zoo");
    for (const name of ["x/../../../../escaped", "..", ".", "a/b", "", "c:\\x"]) {
      expect(() => saveZoo(dir, { [name]: set })).toThrow(/split name .* must be a name of letters/);
    }
    expect(existsSync(join(tmp, "deep"))).toBe(false);
    expect(existsSync(join(tmp, "escaped"))).toBe(false);
  });
});

describe("walks, shards and sizes stay bounded", () => {
  it("a ** glob over a folder with symbolic-link cycles ends, each real folder once", async () => {
    const { mkdirSync, symlinkSync } = await import("node:fs");
    const root = join(tmp, "cycles");
    mkdirSync(join(root, "run", "sub"), { recursive: true });
    writeFileSync(join(root, "run", "step_1.npy"), writeNpy(new Float32Array([0.5, 0.5]), [1, 2]));
    writeFileSync(join(root, "run", "sub", "step_2.npy"), writeNpy(new Float32Array([0.25, 0.75]), [1, 2]));
    symlinkSync(root, join(root, "run", "sub", "up"), "dir");
    symlinkSync(join(root, "run"), join(root, "run", "self"), "dir");
    // it ends (a cycle followed would never end: the test's own time-out is the guard), each file once
    const set = await loadCheckpoints(`${root}/**/step_*.npy`, { log: false });
    expect(set.meta.map((m) => m.step).sort()).toEqual([1, 2]);
  });

  it("a tfjs model.json whose shard path leaves the model folder is refused", async () => {
    const { mkdirSync } = await import("node:fs");
    const { loadTfjsModel } = await import("../../src/train/checkpoints.js");
    const dir = join(tmp, "tfjs-escape");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(tmp, "outside.bin"), new Uint8Array(8));
    for (const p of ["../outside.bin", "/etc/passwd", ".", "a/../../outside.bin"]) {
      writeFileSync(join(dir, "model.json"), JSON.stringify({ format: "layers-model", modelTopology: {}, weightsManifest: [{ paths: [p], weights: [] }] }));
      await expect(loadTfjsModel(dir)).rejects.toThrow(/weight shard path .* leaves the model folder/);
    }
  });

  it("an npz member or a gzip stream that inflates past the limit is refused before it is inflated, naming the option", async () => {
    const { deflateRawSync, gzipSync } = await import("node:zlib");
    const { readIdx } = await import("../../src/io/formats/idx.js");
    // an npz of one zero-filled 64 MB member (64 kB compressed)
    const npy = writeNpy(new Float32Array(16 * 1024 * 1024), [16 * 1024 * 1024]);
    const zipped = zipOf("big.npy", npy, deflateRawSync(npy));
    expect(() => readNpz(zipped, "bomb.npz", { maxInflatedBytes: 1e6 })).toThrow(/bomb\.npz: member "big\.npy" inflates to 67108992 bytes, more than the limit of 1000000 .*maxInflatedBytes/);
    expect(Object.keys(readNpz(zipped, "bomb.npz"))).toEqual(["big"]);
    const idx = new Uint8Array(8 + 16 * 1024 * 1024);
    idx.set([0, 0, 0x08, 1, 0x01, 0, 0, 0]);
    expect(() => readIdx(gzipSync(idx), "bomb.gz", { maxInflatedBytes: 1e6 })).toThrow(/bomb\.gz: inflates to more than 1000000 bytes.*maxInflatedBytes/);
  });

  it("JSON nested deeper than the readers accept is refused naming the file, not a stack overflow", async () => {
    const { loadPredictionsJson } = await import("../../src/io/formats/json.js");
    const { loadZoo } = await import("../../src/io/stores/zoo/index.js");
    const { mkdirSync } = await import("node:fs");
    const deep = "[".repeat(100000) + "]".repeat(100000);
    writeFileSync(join(tmp, "deep.json"), deep);
    expect(() => loadPredictionsJson(join(tmp, "deep.json"))).toThrow(/deep\.json: JSON nested more than 64 levels/);
    const dir = join(tmp, "deep-zoo");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "manifest.json"), `{"format": "inpca-zoo", "x": ${deep}}`);
    expect(() => loadZoo(dir)).toThrow(/manifest\.json: JSON nested more than 64 levels/);
  });
});

/** A one-member zip (deflated), as zip utilities write it. */
function zipOf(name: string, data: Uint8Array, deflated: Uint8Array): Uint8Array {
  const n = new TextEncoder().encode(name);
  const local = new Uint8Array(30 + n.length + deflated.length);
  const lv = new DataView(local.buffer);
  lv.setUint32(0, 0x04034b50, true); lv.setUint16(8, 8, true); lv.setUint32(14, crc32(data), true);
  lv.setUint32(18, deflated.length, true); lv.setUint32(22, data.length, true); lv.setUint16(26, n.length, true);
  local.set(n, 30); local.set(deflated, 30 + n.length);
  const cd = new Uint8Array(46 + n.length);
  const cv = new DataView(cd.buffer);
  cv.setUint32(0, 0x02014b50, true); cv.setUint16(10, 8, true); cv.setUint32(16, crc32(data), true);
  cv.setUint32(20, deflated.length, true); cv.setUint32(24, data.length, true); cv.setUint16(28, n.length, true); cv.setUint32(42, 0, true);
  cd.set(n, 46);
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true); ev.setUint16(8, 1, true); ev.setUint16(10, 1, true); ev.setUint32(12, cd.length, true); ev.setUint32(16, local.length, true);
  const out = new Uint8Array(local.length + cd.length + end.length);
  out.set(local); out.set(cd, local.length); out.set(end, local.length + cd.length);
  return out;
}

describe("shapes past the data or past memory are refused before allocating", () => {
  it("npy and safetensors headers that announce more than the file holds, or more than an array can hold", async () => {
    const { readNpy } = await import("../../src/io/formats/npy.js");
    const { readSafetensors } = await import("../../src/io/formats/safetensors.js");
    for (const shape of ["100000000000,", "4294967296, 4294967296", "999999999999999,"]) {
      const header = new TextEncoder().encode(`{'descr': '<f4', 'fortran_order': False, 'shape': (${shape}), }`.padEnd(117) + "\n");
      const bytes = new Uint8Array(10 + header.length + 64);
      bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
      bytes.set(header, 10);
      expect(() => readNpy(bytes, "huge.npy")).toThrow(/huge\.npy: /);
    }
    const json = new TextEncoder().encode(JSON.stringify({ x: { dtype: "F32", shape: [1e12, 1e12], data_offsets: [0, 16] } }));
    const st = new Uint8Array(8 + json.length + 16);
    new DataView(st.buffer).setBigUint64(0, BigInt(json.length), true);
    st.set(json, 8);
    expect(() => readSafetensors(st, "huge.safetensors")).toThrow(/huge\.safetensors: /);
  });
});

describe("run discovery through symbolic-link loops", () => {
  it("a folder whose only subfolder links back to it ends with a clear error, not a stack overflow", async () => {
    const { mkdirSync, symlinkSync } = await import("node:fs");
    const dir = join(tmp, "loop");
    mkdirSync(dir, { recursive: true });
    symlinkSync(dir, join(dir, "again"), "dir");
    const err = await loadCheckpoints(dir, { log: false }).catch((e: Error) => e);
    expect((err as Error).name).toBe("InpcaInputError");
    expect((err as Error).message).toMatch(/loop: no checkpoints/);
  });
});

describe("the default inflation limit", () => {
  it("a 2 GB member declared by a small npz (a decompression bomb) is refused before inflating, memory unchanged", async () => {
    const { deflateRawSync } = await import("node:zlib");
    const { defaultInflateLimit } = await import("../../src/io/formats/zip.js");
    const { totalmem } = await import("node:os");
    expect(defaultInflateLimit()).toBe(Math.min(0xffffffff, Math.floor(totalmem() / 16)));
    // 64 MB of zeros deflated (64 kB), with the directory declaring 2 GB, as a bomb would
    const npy = writeNpy(new Float32Array(16 * 1024 * 1024), [16 * 1024 * 1024]);
    const bomb = zipOf("big.npy", npy, deflateRawSync(npy));
    const view = new DataView(bomb.buffer);
    const cd = view.getUint32(bomb.length - 22 + 16, true);
    view.setUint32(cd + 24, 2 ** 31, true);
    const before = process.memoryUsage().rss;
    if (defaultInflateLimit() < 2 ** 31) expect(() => readNpz(bomb, "bomb.npz")).toThrow(/bomb\.npz: member "big\.npy" inflates to 2147483648 bytes, more than the limit/);
    else expect(() => readNpz(bomb, "bomb.npz")).toThrow(/bomb\.npz: member "big\.npy": (cannot inflate|67108992 bytes after decompression, 2147483648 announced)/);
    expect(process.memoryUsage().rss - before).toBeLessThan(200 * 1024 * 1024);
  });
});
