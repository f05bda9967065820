/**
 * Fingerprints of what a stored result was computed from, by content: the predictions themselves (one SHA-256
 * digest per model-point row, as read, with its sample subset), combined into the digest of any row range; and
 * short digests of index lists and JSON values. Digests are taken while the rows are read anyway (`digestingSource`
 * wraps a source and records the digests of the rows its consumer reads), never in a pass of their own.
 */
import { createHash } from "node:crypto";
import { statSync } from "node:fs";
import { resolve } from "node:path";
import type { PredictionSet } from "./prediction-set.js";
import type { PredictionSource } from "./source.js";

/** Bytes of one row digest (SHA-256). */
export const ROW_DIGEST_BYTES = 32;

/** SHA-256 of raw bytes, hex, cut to `chars` characters (default 32: 128 bits). */
export function digestBytes(bytes: ArrayBufferView, chars = 32): string {
  return createHash("sha256").update(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)).digest("hex").slice(0, chars);
}

/** Digest of an index list (sample subset, landmarks), or null for none. */
export function digestIndices(a: ArrayLike<number> | null | undefined): string | null {
  return a ? digestBytes(Int32Array.from(a)) : null;
}

/** Digest of a JSON-serialisable value (metadata, options). */
export function digestJson(value: unknown): string {
  return digestBytes(new TextEncoder().encode(JSON.stringify(value)));
}

/**
 * The rows' digests of a set of n model-points (n × 32 bytes): row i is SHA-256 of its S×C float32 probabilities
 * (little-endian, sample-major) and of its shape, so the same predictions give the same digest in any source.
 */
export function rowDigests(set: PredictionSet): Uint8Array {
  const n = set.models;
  const per = set.samples * set.classes;
  const out = new Uint8Array(n * ROW_DIGEST_BYTES);
  const shape = `${set.samples}x${set.classes}|`;
  for (let i = 0; i < n; i++) {
    const row = set.probs.subarray(i * per, (i + 1) * per);
    out.set(createHash("sha256").update(shape).update(new Uint8Array(row.buffer, row.byteOffset, row.byteLength)).digest(), i * ROW_DIGEST_BYTES);
  }
  return out;
}

/** The digest of rows a..b from their row digests (32 bytes each, in order): SHA-256 of the concatenation, hex. */
export function rangeDigest(digests: Uint8Array): string {
  return digestBytes(digests);
}

/** The content digest of a set's rows (`rangeDigest` of its row digests): equal to `RowDigests.of` of the same rows. */
export function setDigest(set: PredictionSet): string {
  return rangeDigest(rowDigests(set));
}

/**
 * Row digests of a source's M rows, filled in as rows are read (only reads with the given sample subset count).
 * `range(a, b)` is the digest of rows [a, b), or null while any of them is not yet known.
 */
export class RowDigests {
  readonly digests: Uint8Array;
  private readonly known: Uint8Array;
  constructor(readonly models: number) {
    this.digests = new Uint8Array(models * ROW_DIGEST_BYTES);
    this.known = new Uint8Array(models);
  }
  /** Records the digests of `set`, whose rows are the source's `rows`. */
  add(rows: ArrayLike<number>, set: PredictionSet): void {
    const d = rowDigests(set);
    for (let i = 0; i < rows.length; i++) {
      this.digests.set(d.subarray(i * ROW_DIGEST_BYTES, (i + 1) * ROW_DIGEST_BYTES), rows[i]! * ROW_DIGEST_BYTES);
      this.known[rows[i]!] = 1;
    }
  }
  /** True when every row of [a, b) has a digest. */
  has(a: number, b: number): boolean {
    for (let i = a; i < b; i++) if (!this.known[i]) return false;
    return true;
  }
  range(a: number, b: number): string | null {
    return this.has(a, b) ? rangeDigest(this.digests.subarray(a * ROW_DIGEST_BYTES, b * ROW_DIGEST_BYTES)) : null;
  }
  /** The digest of the listed rows (as `setDigest` of them read in this order), or null while any is unknown. */
  of(rows: readonly number[]): string | null {
    const out = new Uint8Array(rows.length * ROW_DIGEST_BYTES);
    for (let i = 0; i < rows.length; i++) {
      if (!this.known[rows[i]!]) return null;
      out.set(this.digests.subarray(rows[i]! * ROW_DIGEST_BYTES, (rows[i]! + 1) * ROW_DIGEST_BYTES), i * ROW_DIGEST_BYTES);
    }
    return rangeDigest(out);
  }
}

/**
 * `src` with every read of the sample subset `samples` (undefined: all samples) recorded in `into` (reads with
 * another subset are passed through unrecorded). The digests cost one SHA-256 over the bytes read, about 1 GB/s.
 */
export function digestingSource(src: PredictionSource, samples: Int32Array | undefined, into: RowDigests): PredictionSource {
  const want = digestIndices(samples);
  return {
    name: src.name, models: src.models, samples: src.samples, classes: src.classes, meta: src.meta, labels: src.labels,
    classNames: src.classNames, split: src.split, sampleIds: src.sampleIds, ...(src.files ? { files: src.files } : {}),
    read: async (rows, s, buffer) => {
      const set = await src.read(rows, s, buffer);
      if ((s === samples || digestIndices(s) === want)) into.add(rows, set);
      return set;
    },
  };
}

/**
 * Digests of a source's model-points (run, step, in order) and labels: what the rows of its embedding and the
 * progress along the geodesic depend on besides the predictions.
 */
export function describedBy(src: Pick<PredictionSource, "meta" | "labels">): { meta: string; labels: string | null } {
  return { meta: digestJson(src.meta.map((m) => [m.run, m.step])), labels: digestIndices(src.labels) };
}

/**
 * The stamp of a source on disk: a digest of its files' paths, sizes and modification times (`files`). Stored
 * results record it; an equal stamp means the files were not rewritten since (a retrained zoo, a copied folder
 * and a touched file all change it), so nothing needs reading to trust them. A different or absent stamp is only
 * a reason to look: the stored content digests are then checked against the predictions themselves. Null when
 * the source is not on disk (no `files`) or a file is gone.
 */
export function sourceStamp(src: Pick<PredictionSource, "files">): string | null {
  if (!src.files || src.files.length === 0) return null;
  const rows: [string, number, number][] = [];
  for (const f of [...new Set(src.files.map((p) => resolve(p)))].sort()) {
    const st = statSync(f, { throwIfNoEntry: false });
    if (!st) return null;
    rows.push([f, st.size, st.mtimeMs]);
  }
  return digestJson(rows);
}

/**
 * What a source holds now, for keys of stored results: its stamp when it is on disk, else the content digest of
 * all its rows with the sample subset (one pass over them, `chunk` rows at a time).
 */
export async function sourceFingerprint(src: PredictionSource, samples: Int32Array | undefined, chunk: number): Promise<string> {
  const stamp = sourceStamp(src);
  if (stamp !== null) return `stamp-${stamp}`;
  const digests = new RowDigests(src.models);
  for (let a = 0; a < src.models; a += chunk) {
    const rows = Array.from({ length: Math.min(src.models, a + chunk) - a }, (_, i) => a + i);
    digests.add(rows, await src.read(rows, samples));
  }
  return `content-${digests.range(0, src.models)}`;
}
