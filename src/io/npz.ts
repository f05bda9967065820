/**
 * NumPy `.npz` archives (zip files of .npy members, stored or deflated, as written by `np.savez` and
 * `np.savez_compressed`). The zip central directory is read to find members; each member is inflated with
 * Node's zlib and parsed with `readNpy`. ZIP64 archives (members over 4 GiB) are rejected with a clear error.
 */
import { inflateRawSync } from "node:zlib";
import { InpcaInputError } from "../core/errors.js";
import { readBytes } from "./read-bytes.js";
import { readNpy, type NdArray } from "./npy.js";

/** Parses every array of an .npz held in `bytes`, keyed by name (the member name without ".npy"). */
export function readNpz(bytes: Uint8Array, source = "npz data"): Record<string, NdArray> {
  const fail = (why: string): never => {
    throw new InpcaInputError(why, { file: source });
  };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // end of central directory record: signature 0x06054b50 within the last 64 KiB + 22 bytes
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 65557); i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) fail("not an .npz (zip) archive, or truncated: no end-of-central-directory record");
  const entries = view.getUint16(eocd + 10, true);
  const cdOffset = view.getUint32(eocd + 16, true);
  if (cdOffset === 0xffffffff || entries === 0xffff) fail("ZIP64 archives are not supported");
  const out: Record<string, NdArray> = {};
  let p = cdOffset;
  for (let e = 0; e < entries; e++) {
    if (p + 46 > bytes.length || view.getUint32(p, true) !== 0x02014b50) fail(`corrupt zip central directory at entry ${e}`);
    const method = view.getUint16(p + 10, true);
    const compressed = view.getUint32(p + 20, true);
    const size = view.getUint32(p + 24, true);
    const nameLen = view.getUint16(p + 28, true);
    const extraLen = view.getUint16(p + 30, true);
    const commentLen = view.getUint16(p + 32, true);
    const local = view.getUint32(p + 42, true);
    const name = new TextDecoder().decode(bytes.subarray(p + 46, p + 46 + nameLen));
    p += 46 + nameLen + extraLen + commentLen;
    if (local + 30 > bytes.length || view.getUint32(local, true) !== 0x04034b50) fail(`member "${name}": corrupt local header`);
    const dataAt = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    if (dataAt + compressed > bytes.length) fail(`member "${name}": truncated (${compressed} bytes announced)`);
    const raw = bytes.subarray(dataAt, dataAt + compressed);
    let member: Uint8Array;
    if (method === 0) member = raw;
    else if (method === 8) {
      try {
        member = inflateRawSync(raw);
      } catch (err) {
        return fail(`member "${name}": cannot inflate (${(err as Error).message})`);
      }
    } else return fail(`member "${name}": unsupported zip compression method ${method}`);
    if (member.length !== size) fail(`member "${name}": ${member.length} bytes after decompression, ${size} announced`);
    out[name.replace(/\.npy$/, "")] = readNpy(member, `${source}[${name}]`);
  }
  return out;
}

/** Reads an .npz file from disk (see `readNpz`). */
export function loadNpz(path: string): Record<string, NdArray> {
  return readNpz(readBytes(path), path);
}
