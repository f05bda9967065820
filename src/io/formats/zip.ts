/**
 * Zip archives as NumPy (`.npz`) and PyTorch (`torch.save`, ≥ 1.6) write them: the central directory lists the
 * members; each member is stored or deflated. Every member read is checked against its CRC-32 (as NumPy does), and
 * inflation is capped at the size the directory declares, so a corrupt or hostile archive is refused instead of
 * loading changed values or exhausting memory. ZIP64 archives are refused with a clear error.
 */
import { totalmem } from "node:os";
import { inflateRawSync } from "node:zlib";
import { InpcaInputError } from "../../core/errors.js";

/** One member of a zip archive; `read()` inflates and checks it. */
export interface ZipMember {
  name: string;
  /** Size after decompression (bytes), as declared by the central directory. */
  size: number;
  /** The member's bytes (a view into the archive when stored), CRC-checked. */
  read(): Uint8Array;
}

/**
 * Default cap on the inflated size of one member (or one gzip stream): 1/16 of this machine's memory (1.5 GiB on
 * 24 GiB), at most 4 GiB. A member past it is refused before it is inflated; `maxInflatedBytes` (in
 * `loadCheckpoints`, `loadNpz`, `loadFashionMnist`...) raises it.
 */
export function defaultInflateLimit(): number {
  return Math.min(0xffffffff, Math.floor(totalmem() / 16));
}

const CRC_TABLE = /* @__PURE__ */ (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE 802.3, as zip and PNG use) of `bytes`. */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * Lists the members of the zip archive in `bytes`, in directory order. Throws InpcaInputError naming `source`
 * when the archive is not a zip, truncated, corrupt, or ZIP64; `read()` throws when a member fails its CRC, cannot
 * be inflated, or declares more than `maxMemberBytes`.
 */
export function readZip(bytes: Uint8Array, source: string, what = "a zip archive", maxMemberBytes = defaultInflateLimit()): ZipMember[] {
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
  if (eocd < 0) fail(`not ${what}, or truncated: no end-of-central-directory record`);
  const entries = view.getUint16(eocd + 10, true);
  const cdOffset = view.getUint32(eocd + 16, true);
  if (cdOffset === 0xffffffff || entries === 0xffff) fail("ZIP64 archives are not supported");
  const members: ZipMember[] = [];
  let p = cdOffset;
  for (let e = 0; e < entries; e++) {
    if (p + 46 > bytes.length || view.getUint32(p, true) !== 0x02014b50) fail(`corrupt zip central directory at entry ${e}`);
    const method = view.getUint16(p + 10, true);
    const crc = view.getUint32(p + 16, true);
    const compressed = view.getUint32(p + 20, true);
    const size = view.getUint32(p + 24, true);
    const nameLen = view.getUint16(p + 28, true);
    const extraLen = view.getUint16(p + 30, true);
    const commentLen = view.getUint16(p + 32, true);
    const local = view.getUint32(p + 42, true);
    if (p + 46 + nameLen > bytes.length) fail(`corrupt zip central directory at entry ${e}`);
    const name = new TextDecoder().decode(bytes.subarray(p + 46, p + 46 + nameLen));
    p += 46 + nameLen + extraLen + commentLen;
    members.push({
      name,
      size,
      read(): Uint8Array {
        if (local + 30 > bytes.length || view.getUint32(local, true) !== 0x04034b50) fail(`member "${name}": corrupt local header`);
        const dataAt = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
        if (dataAt + compressed > bytes.length) fail(`member "${name}": truncated (${compressed} bytes announced)`);
        if (size > maxMemberBytes) fail(`member "${name}" inflates to ${size} bytes, more than the limit of ${maxMemberBytes} (1/16 of this machine's memory by default; raise it with the maxInflatedBytes option)`);
        const raw = bytes.subarray(dataAt, dataAt + compressed);
        let member: Uint8Array;
        if (method === 0) member = raw;
        else if (method === 8) {
          try {
            // never inflate past the declared size: a member that would is corrupt (or a decompression bomb)
            member = inflateRawSync(raw, { maxOutputLength: Math.max(1, size) });
          } catch (err) {
            return fail(`member "${name}": cannot inflate to its declared ${size} bytes (${(err as Error).message})`);
          }
        } else return fail(`member "${name}": unsupported zip compression method ${method}`);
        if (member.length !== size) fail(`member "${name}": ${member.length} bytes after decompression, ${size} announced`);
        const got = crc32(member);
        if (got !== crc) fail(`member "${name}": CRC-32 mismatch (stored ${crc.toString(16).padStart(8, "0")}, computed ${got.toString(16).padStart(8, "0")}): the file is corrupt`);
        return member;
      },
    });
  }
  return members;
}
