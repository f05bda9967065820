/**
 * An Embedding on disk, as `inpca embed` writes it: `coords.npy` (float64 [M, K]) and `embedding.json` (signed
 * eigenvalues, time-like flags, explained stress, the landmark summary, the basis for placing new points, each
 * model-point's metadata, what it was computed from, and the SHA-256 of coords.npy).
 *
 * The folder is written as one unit: both files are first written whole beside their targets
 * (`.coords.npy.next`, `.embedding.json.next`, each atomically and flushed), and only then renamed over them,
 * coords.npy first. A kill or a full disk before the renames leaves the old embedding as it was (and the next
 * write removes the leftovers); a kill between the two renames leaves the new coords.npy beside the new
 * `.embedding.json.next`, which `loadEmbedding` recognises by the SHA-256 and reads. `loadEmbedding` never
 * returns coordinates of one write with the eigenvalues of another: it checks coords.npy against the SHA-256
 * that embedding.json records.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { InpcaInputError } from "../../core/errors.js";
import { failpoint } from "../../core/failpoint.js";
import type { ModelPoint } from "../../core/meta.js";
import { any, arrayOf, boolean, digest, integer, nullable, number, object, oneOf, optional, validate, type Rule } from "../../core/options.js";
import { Embedding } from "../../core/embedding.js";
import { describeOsError, removeStaleTemps, writeFileAtomic } from "./atomic.js";
import { parseJsonChecked } from "../formats/json-depth.js";
import { readNpy, writeNpy } from "../formats/npy.js";

/** Format name and version of embedding.json. */
export const EMBEDDING_FORMAT = "inpca-embedding";
const VERSION = 1;
const NEXT = { coords: ".coords.npy.next", doc: ".embedding.json.next" };

const arr = (a: ArrayLike<number> | undefined) => (a ? Array.from(a) : undefined);
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/**
 * What an embedding was computed from, recorded in embedding.json when known: the plan or work folder, the
 * source's stamp and the digests of its model-points, sample subset and predictions (`describedBy`, block
 * origins).
 */
export type EmbeddingOrigin = Readonly<Record<string, unknown>>;

/**
 * Writes `emb` into the folder `dir` (created) as one unit: the old embedding stays whole until the new one is
 * complete on disk. `origin` is recorded as what the embedding was computed from. Throws InpcaInputError naming
 * the file on a write error (a full disk, a read-only folder); the folder then holds the old embedding.
 */
export function saveEmbedding(dir: string, emb: Embedding, origin?: EmbeddingOrigin): void {
  const st = statSync(dir, { throwIfNoEntry: false });
  if (st && !st.isDirectory()) throw new InpcaInputError("cannot write an embedding here: it is a file, not a folder", { file: dir });
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new InpcaInputError(`cannot create the folder: ${describeOsError(e)}`, { file: dir, cause: e });
  }
  removeStaleTemps(dir);
  for (const n of Object.values(NEXT)) rmSync(join(dir, n), { force: true });
  const coords = writeNpy(emb.coords, [emb.points, emb.dims]);
  const b = emb.basis;
  const lm = emb.landmark;
  const doc = {
    format: EMBEDDING_FORMAT, version: VERSION, points: emb.points, dims: emb.dims,
    eigenvalues: arr(emb.eigenvalues), timelike: emb.timelike, spectrum: arr(emb.spectrum), explainedStress: arr(emb.explainedStress), frobenius2: emb.frobenius2,
    landmark: lm ? { ...lm, landmarks: arr(lm.landmarks) } : null,
    basis: { size: b.size, eigenvectors: arr(b.eigenvectors), columnMeans: arr(b.columnMeans), grandMean: b.grandMean, eigenvalues: arr(b.eigenvalues), points: arr(b.points), projection: arr(b.projection), offset: arr(b.offset) },
    meta: emb.meta,
    files: { "coords.npy": sha256(coords) },
    ...(origin ? { origin } : {}),
  };
  try {
    writeFileAtomic(join(dir, NEXT.coords), coords);
    failpoint("embedding:between-next-files");
    writeFileAtomic(join(dir, NEXT.doc), JSON.stringify(doc));
    failpoint("embedding:before-renames");
  } catch (e) {
    for (const n of Object.values(NEXT)) rmSync(join(dir, n), { force: true });
    if (e instanceof InpcaInputError) throw e;
    throw new InpcaInputError(`cannot write: ${describeOsError(e)}`, { file: dir, cause: e });
  }
  try {
    renameSync(join(dir, NEXT.coords), join(dir, "coords.npy"));
    failpoint("embedding:between-renames");
    renameSync(join(dir, NEXT.doc), join(dir, "embedding.json"));
  } catch (e) {
    throw new InpcaInputError(`cannot write: ${describeOsError(e)}`, { file: dir, cause: e });
  }
}

const f64s = arrayOf(number());
const EMBEDDING_RULE: Rule = object({
  format: oneOf(EMBEDDING_FORMAT), version: oneOf(VERSION), points: integer(1), dims: integer(1),
  eigenvalues: f64s, spectrum: f64s, explainedStress: arrayOf(nullable(number())), frobenius2: number(0), timelike: optional(arrayOf(boolean())),
  landmark: nullable(object({ landmarks: arrayOf(integer(0)) })),
  basis: object({ size: integer(0), columnMeans: f64s, grandMean: number(), eigenvectors: optional(f64s), eigenvalues: optional(f64s), points: optional(arrayOf(integer(0))), projection: optional(f64s), offset: optional(f64s) }),
  meta: arrayOf(object({ run: any(), step: any() })),
  files: optional(object({ "coords.npy": digest(64) })),
});

/**
 * Reads an embedding written by `saveEmbedding` / `inpca embed` from the folder `dir`. Throws InpcaInputError
 * naming the file when a field is malformed, when coords.npy does not have the recorded shape, or when it is not
 * the coords.npy that embedding.json was written with (a write interrupted in a way no inpca write leaves, or a
 * file copied from elsewhere).
 */
export function loadEmbedding(dir: string): Embedding {
  const file = join(dir, "embedding.json");
  const npy = join(dir, "coords.npy");
  if (!existsSync(file)) throw new InpcaInputError("no embedding.json here (write one with `inpca embed WORK --out DIR`)", { file: dir });
  if (!existsSync(npy)) throw new InpcaInputError("coords.npy is missing next to embedding.json", { file: dir });
  const bytes = readFileSync(npy);
  const have = sha256(bytes);
  let [docFile, doc] = [file, readDoc(file)];
  const want = (doc.files as Record<string, string> | undefined)?.["coords.npy"];
  if (want !== undefined && want !== have) {
    // killed between the two renames of saveEmbedding: coords.npy is already the new one, its document waits beside it
    const next = join(dir, NEXT.doc);
    const nd = existsSync(next) ? readDoc(next) : null;
    if (!nd || (nd.files as Record<string, string> | undefined)?.["coords.npy"] !== have) {
      throw new InpcaInputError("coords.npy is not the file embedding.json was written with (its SHA-256 differs): the folder mixes two embeddings; write it again with `inpca embed`", { file: npy });
    }
    [docFile, doc] = [next, nd];
  }
  const c = readNpy(bytes, npy);
  if (c.shape.length !== 2 || c.shape[0] !== doc.points || c.shape[1] !== doc.dims) throw new InpcaInputError(`coords have shape (${c.shape.join(", ")}), embedding.json says (${doc.points}, ${doc.dims})`, { file: npy });
  const points = doc.points as number, dims = doc.dims as number;
  const need = (ok: boolean, what: string) => {
    if (!ok) throw new InpcaInputError(`${what}`, { file: docFile });
  };
  const ev = doc.eigenvalues as number[];
  need(ev.length === dims, `eigenvalues has ${ev.length} values for ${dims} axes`);
  need((doc.meta as unknown[]).length === points, `meta has ${(doc.meta as unknown[]).length} rows for ${points} model-points`);
  const f64 = (a: number[] | undefined | null) => (a ? Float64Array.from(a) : undefined);
  const b = doc.basis as Record<string, never>;
  const lm = doc.landmark as ({ landmarks: number[] } & Record<string, unknown>) | null;
  return new Embedding({
    coords: Float64Array.from(c.data as ArrayLike<number>), points, dims,
    eigenvalues: f64(ev)!, spectrum: f64(doc.spectrum as number[])!, explainedStress: Float64Array.from(doc.explainedStress as (number | null)[], (v) => v ?? NaN), frobenius2: doc.frobenius2 as number,
    meta: doc.meta as ModelPoint[],
    basis: {
      size: b.size, eigenvectors: f64(b.eigenvectors) ?? new Float64Array(0), columnMeans: f64(b.columnMeans)!, grandMean: b.grandMean,
      eigenvalues: f64(b.eigenvalues), points: b.points ? Int32Array.from(b.points as number[]) : undefined, projection: f64(b.projection), offset: f64(b.offset),
    },
    landmark: lm ? ({ ...lm, landmarks: Int32Array.from(lm.landmarks) } as unknown as Embedding["landmark"]) : undefined,
  });
}

/** embedding.json (or its waiting next version) parsed and checked field by field. */
function readDoc(file: string): Record<string, unknown> {
  if (!statSync(file).isFile()) throw new InpcaInputError("not a file", { file });
  let doc: unknown;
  try {
    doc = parseJsonChecked(readFileSync(file, "utf8"), file);
  } catch (e) {
    if (e instanceof SyntaxError) throw new InpcaInputError(`not JSON (${e.message}); write it again with \`inpca embed\``, { file });
    throw e;
  }
  const d = doc as Record<string, unknown> | null;
  if (d?.format !== EMBEDDING_FORMAT) throw new InpcaInputError(`not an inpca embedding (format ${JSON.stringify(d?.format)})`, { file });
  if (d.version !== VERSION) throw new InpcaInputError(`embedding version ${JSON.stringify(d.version)}; this inpca reads version ${VERSION}`, { file });
  return validate<Record<string, unknown>>(doc, EMBEDDING_RULE, "", { file });
}
