/**
 * A folder of the blocks of an exact distance matrix (`exactInpca`, `inpca distances --task` of an exact plan):
 * block (I, J) is blocks/b-IIIII-JJJJJ.f32 (rows × cols float32, little-endian, row-major) and its record
 * blocks/b-IIIII-JJJJJ.json, each written atomically, the record after the data. The record binds the block to
 * what it was computed from: its position (row, col, rows, cols), the matrix (kernel, precision, sample subset,
 * block geometry, shape of the source: `identity`), the content digests of the predictions of its row and column
 * ranges and the source's stamp (`origin`), and the SHA-256 of its data. A block whose record is missing, from
 * an earlier version, for another position or another matrix, or whose data fails its SHA-256 is not used: the
 * reason is returned, and the block is computed again.
 */
import { createHash } from "node:crypto";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, statSync } from "node:fs";
import { join } from "node:path";
import type { BlockOrigin, BlockStore } from "../../core/stores.js";
import { digest, integer, nullable, object, oneOf, validate, type Rule } from "../../core/options.js";
import { writeFileAtomic } from "./atomic.js";

/** Edges of the blocks: rows of block-row I and columns of block-column J. */
export type BlockShape = (I: number, J: number) => [rows: number, cols: number];

/** What a block's matrix is: the fields every block of one matrix shares (kernel, precision, subset digest, …). */
export type BlockIdentity = Readonly<Record<string, string | number | null>>;

/** Format and version of a block record. */
export const BLOCK_FORMAT = "inpca-block";
const VERSION = 2;

const RECORD: Rule = object({
  format: oneOf(BLOCK_FORMAT), version: oneOf(VERSION), row: integer(0), col: integer(0), rows: integer(1), cols: integer(1),
  identity: object({}), origin: nullable(object({ rows: digest(), cols: digest(), stamp: nullable(digest()) })), sha256: digest(64),
});

interface BlockRecord {
  row: number; col: number; rows: number; cols: number;
  identity: Record<string, unknown>;
  origin: BlockOrigin | null;
  sha256: string;
}

/**
 * A BlockStore in `dir`/blocks (created on the first write). `shape` gives each block's size; `identity` is the
 * matrix every block must have been computed for (a block recorded with other values is refused, naming them).
 */
export function blockStore(dir: string, shape: BlockShape, identity: BlockIdentity = {}): BlockStore {
  const folder = join(dir, "blocks");
  const base = (I: number, J: number) => join(folder, `b-${String(I).padStart(5, "0")}-${String(J).padStart(5, "0")}`);
  const name = (I: number, J: number) => `blocks/b-${String(I).padStart(5, "0")}-${String(J).padStart(5, "0")}.f32`;
  /** The block's record, checked against its position and the matrix; or why it is not usable. */
  const record = (I: number, J: number): BlockRecord | string => {
    const rec = `${base(I, J)}.json`;
    if (!existsSync(rec)) return existsSync(`${base(I, J)}.f32`) ? "missing (its data has no record: the task was stopped while writing)" : "missing";
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(rec, "utf8"));
    } catch {
      return "corrupt: its record is not JSON";
    }
    if ((raw as { version?: unknown } | null)?.version !== VERSION) return "stale: written by an earlier inpca, without the fingerprint of what it was computed from";
    let r: BlockRecord;
    try {
      r = validate<BlockRecord>(raw, RECORD, "record");
    } catch (e) {
      return `corrupt: its record is not valid (${(e as Error).message})`;
    }
    const [rows, cols] = shape(I, J);
    if (r.row !== I || r.col !== J) return `moved: its record is for block (${r.row}, ${r.col}), not (${I}, ${J}) (copied or renamed from elsewhere)`;
    if (r.rows !== rows || r.cols !== cols) return `stale: ${r.rows} × ${r.cols}, this matrix's block is ${rows} × ${cols}`;
    for (const [k, v] of Object.entries(identity)) {
      if (JSON.stringify(r.identity[k] ?? null) !== JSON.stringify(v)) return `stale: computed for another matrix (its ${k} is ${JSON.stringify(r.identity[k] ?? null)}, this matrix's ${JSON.stringify(v)})`;
    }
    return r;
  };
  return {
    name,
    write(I, J, values, origin) {
      mkdirSync(folder, { recursive: true });
      const [r, c] = shape(I, J);
      if (values.length !== r * c) throw new Error(`blockStore: block (${I}, ${J}) has ${values.length} values, expected ${r} × ${c}`);
      const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
      writeFileAtomic(`${base(I, J)}.f32`, bytes);
      const rec = { format: BLOCK_FORMAT, version: VERSION, row: I, col: J, rows: r, cols: c, identity, origin: origin ?? null, sha256: createHash("sha256").update(bytes).digest("hex") };
      writeFileAtomic(`${base(I, J)}.json`, JSON.stringify(rec));
    },
    origin(I, J) {
      const r = record(I, J);
      return typeof r === "string" ? null : r.origin;
    },
    read(I, J, options = {}) {
      const [r, c] = shape(I, J);
      const data = `${base(I, J)}.f32`;
      let rec: BlockRecord | string | null = null;
      if (options.verify !== false) {
        rec = record(I, J);
        if (typeof rec === "string") return rec;
      } else if (!existsSync(`${base(I, J)}.json`)) return "missing";
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
      if (rec && rec.sha256 !== createHash("sha256").update(bytes).digest("hex")) return "corrupt: the data does not match its SHA-256";
      return out;
    },
  };
}
