/**
 * NumPy `.npz` archives (zip files of .npy members, stored or deflated, as written by `np.savez` and
 * `np.savez_compressed`): each member is read with `readZip` (CRC-checked, inflation capped at the declared size)
 * and parsed with `readNpy`.
 */
import { readBytes } from "./read-bytes.js";
import { readNpy, type NdArray } from "./npy.js";
import { readZip } from "./zip.js";

/** Parses every array of an .npz held in `bytes`, keyed by name (the member name without ".npy"). */
export function readNpz(bytes: Uint8Array, source = "npz data", options: { maxInflatedBytes?: number } = {}): Record<string, NdArray> {
  const out: Record<string, NdArray> = {};
  for (const m of readZip(bytes, source, "an .npz (zip) archive", options.maxInflatedBytes)) out[m.name.replace(/\.npy$/, "")] = readNpy(m.read(), `${source}[${m.name}]`);
  return out;
}

/** Reads an .npz file from disk (see `readNpz`; `maxInflatedBytes` caps each member, default `defaultInflateLimit()`). */
export function loadNpz(path: string, options: { maxInflatedBytes?: number } = {}): Record<string, NdArray> {
  return readNpz(readBytes(path), path, options);
}
