/**
 * The stamp of a source on disk: a digest of its files' paths, sizes and modification times. Stored results
 * record it; an equal stamp means the files were not rewritten since (a retrained zoo, a copied folder and a
 * touched file all change it), so nothing needs reading to trust them. A different or absent stamp is only a
 * reason to look: the stored content digests are then checked against the predictions themselves.
 */
import { statSync } from "node:fs";
import { resolve } from "node:path";
import { digestJson } from "../core/fingerprint.js";
import type { PredictionSource } from "../core/source.js";

/** The stamp of `src` (32 hex characters), or null when it is not on disk (no `files`) or a file is gone. */
export function sourceStamp(src: PredictionSource): string | null {
  if (!src.files || src.files.length === 0) return null;
  const rows: [string, number, number][] = [];
  for (const f of [...new Set(src.files.map((p) => resolve(p)))].sort()) {
    const st = statSync(f, { throwIfNoEntry: false });
    if (!st) return null;
    rows.push([f, st.size, st.mtimeMs]);
  }
  return digestJson(rows);
}
