/**
 * Hostile-but-fair input (issue: reliability): corrupted archives and corrupted probabilities are refused with
 * the file and the place named, never loaded as changed values. Fixtures made from NumPy's own files by flipping
 * bytes, and generated ones.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadCheckpoints } from "../src/io/checkpoints.js";
import { guessPredictionKind } from "../src/io/kind.js";
import { readNpz } from "../src/io/npz.js";
import { writeNpy } from "../src/io/npy.js";
import { crc32 } from "../src/io/zip.js";

const fixtures = join(__dirname, "fixtures");
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
