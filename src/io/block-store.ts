/**
 * A folder of the blocks of an exact distance matrix (`exactInpca`, `inpca distances --task` of an exact plan):
 * block (I, J) is blocks/b-IIIII-JJJJJ.f32 (rows × cols float32, little-endian, row-major) and its record
 * blocks/b-IIIII-JJJJJ.json ({ row, col, rows, cols, sha256 }), each written atomically, the record after the
 * data: a killed task leaves no record, a damaged file fails its SHA-256, and either is named and recomputed.
 */
import { createHash } from "node:crypto";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, statSync } from "node:fs";
import { join } from "node:path";
import type { BlockStore } from "../geometry/exact.js";
import { writeFileAtomic } from "./atomic.js";

/** Edges of the blocks: rows of block-row I and columns of block-column J. */
export type BlockShape = (I: number, J: number) => [rows: number, cols: number];

/** A BlockStore in `dir`/blocks (created on the first write). `shape` gives each block's size, for the checks. */
export function blockStore(dir: string, shape: BlockShape): BlockStore {
  const folder = join(dir, "blocks");
  const base = (I: number, J: number) => join(folder, `b-${String(I).padStart(5, "0")}-${String(J).padStart(5, "0")}`);
  const name = (I: number, J: number) => `blocks/b-${String(I).padStart(5, "0")}-${String(J).padStart(5, "0")}.f32`;
  return {
    name,
    write(I, J, values) {
      mkdirSync(folder, { recursive: true });
      const [r, c] = shape(I, J);
      if (values.length !== r * c) throw new Error(`blockStore: block (${I}, ${J}) has ${values.length} values, expected ${r} × ${c}`);
      const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
      writeFileAtomic(`${base(I, J)}.f32`, bytes);
      writeFileAtomic(`${base(I, J)}.json`, JSON.stringify({ row: I, col: J, rows: r, cols: c, sha256: createHash("sha256").update(bytes).digest("hex") }));
    },
    read(I, J, options = {}) {
      const [r, c] = shape(I, J);
      const rec = `${base(I, J)}.json`, data = `${base(I, J)}.f32`;
      if (!existsSync(rec)) return existsSync(data) ? "missing (its data has no record: the task was stopped while writing)" : "missing";
      const size = statSync(data, { throwIfNoEntry: false })?.size;
      if (size === undefined) return "corrupt: the data file is missing";
      if (size !== r * c * 4) return `corrupt: ${size} bytes, expected ${r} × ${c} × 4 = ${r * c * 4}`;
      const out = options.into && options.into.length >= r * c ? options.into.subarray(0, r * c) : new Float32Array(r * c);
      const bytes = new Uint8Array(out.buffer, out.byteOffset, r * c * 4);
      const fd = openSync(data, "r");
      try {
        let off = 0;
        while (off < bytes.length) {
          const n = readSync(fd, bytes, off, bytes.length - off, off);
          if (n === 0) return "corrupt: shorter than its size";
          off += n;
        }
      } finally {
        closeSync(fd);
      }
      if (options.verify !== false) {
        let want: unknown;
        try {
          want = (JSON.parse(readFileSync(rec, "utf8")) as { sha256?: unknown }).sha256;
        } catch {
          return "corrupt: its record is not JSON";
        }
        if (want !== createHash("sha256").update(bytes).digest("hex")) return "corrupt: the data does not match its SHA-256";
      }
      return out;
    },
  };
}
