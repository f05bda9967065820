/**
 * An Embedding on disk, as `inpca embed` writes it: `coords.npy` (float64 [M, K]) and `embedding.json` (signed
 * eigenvalues, time-like flags, explained stress, the landmark summary, the basis for placing new points, and
 * each model-point's metadata). Written atomically, embedding.json last; `loadEmbedding` reads both back.
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { InpcaInputError } from "../core/errors.js";
import type { ModelPoint } from "../core/meta.js";
import { Embedding } from "../geometry/embedding.js";
import { writeFileAtomic } from "./atomic.js";
import { parseJsonChecked } from "./json-depth.js";
import { readNpy, writeNpy } from "./npy.js";

/** Format name and version of embedding.json. */
export const EMBEDDING_FORMAT = "inpca-embedding";
const VERSION = 1;

const arr = (a: ArrayLike<number> | undefined) => (a ? Array.from(a) : undefined);

/** Writes `emb` into the folder `dir` (created): coords.npy, then embedding.json. */
export function saveEmbedding(dir: string, emb: Embedding): void {
  mkdirSync(dir, { recursive: true });
  writeFileAtomic(join(dir, "coords.npy"), writeNpy(emb.coords, [emb.points, emb.dims]));
  const b = emb.basis;
  const lm = emb.landmark;
  const doc = {
    format: EMBEDDING_FORMAT, version: VERSION, points: emb.points, dims: emb.dims,
    eigenvalues: arr(emb.eigenvalues), timelike: emb.timelike, spectrum: arr(emb.spectrum), explainedStress: arr(emb.explainedStress), frobenius2: emb.frobenius2,
    landmark: lm ? { ...lm, landmarks: arr(lm.landmarks) } : null,
    basis: { size: b.size, eigenvectors: arr(b.eigenvectors), columnMeans: arr(b.columnMeans), grandMean: b.grandMean, eigenvalues: arr(b.eigenvalues), points: arr(b.points), projection: arr(b.projection), offset: arr(b.offset) },
    meta: emb.meta,
  };
  writeFileAtomic(join(dir, "embedding.json"), JSON.stringify(doc));
}

/** Reads an embedding written by `saveEmbedding` / `inpca embed` from the folder `dir`. */
export function loadEmbedding(dir: string): Embedding {
  const file = join(dir, "embedding.json");
  if (!existsSync(file)) throw new InpcaInputError("no embedding.json here (write one with `inpca embed WORK --out DIR`)", { file: dir });
  const doc = parseJsonChecked(readFileSync(file, "utf8"), file) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  if (doc?.format !== EMBEDDING_FORMAT) throw new InpcaInputError(`not an inpca embedding (format ${JSON.stringify(doc?.format)})`, { file });
  if (doc.version !== VERSION) throw new InpcaInputError(`embedding version ${doc.version}; this inpca reads version ${VERSION}`, { file });
  const npy = join(dir, "coords.npy");
  if (!existsSync(npy)) throw new InpcaInputError("coords.npy is missing next to embedding.json", { file: dir });
  const c = readNpy(readFileSync(npy), npy);
  if (c.shape.length !== 2 || c.shape[0] !== doc.points || c.shape[1] !== doc.dims) throw new InpcaInputError(`coords have shape (${c.shape.join(", ")}), embedding.json says (${doc.points}, ${doc.dims})`, { file: npy });
  const f64 = (a: number[] | undefined | null) => (a ? Float64Array.from(a) : undefined);
  const b = doc.basis;
  return new Embedding({
    coords: Float64Array.from(c.data as ArrayLike<number>), points: doc.points, dims: doc.dims,
    eigenvalues: f64(doc.eigenvalues)!, spectrum: f64(doc.spectrum)!, explainedStress: f64(doc.explainedStress)!, frobenius2: doc.frobenius2,
    meta: doc.meta as ModelPoint[],
    basis: {
      size: b.size, eigenvectors: f64(b.eigenvectors) ?? new Float64Array(0), columnMeans: f64(b.columnMeans)!, grandMean: b.grandMean,
      eigenvalues: f64(b.eigenvalues), points: b.points ? Int32Array.from(b.points) : undefined, projection: f64(b.projection), offset: f64(b.offset),
    },
    landmark: doc.landmark ? { ...doc.landmark, landmarks: Int32Array.from(doc.landmark.landmarks) } : undefined,
  });
}
