/**
 * safetensors files (the Hugging Face tensor format): an 8-byte little-endian header length N, N bytes of
 * UTF-8 JSON `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {string: string}}`, then the
 * byte buffer (offsets are relative to its start). Tensors are little-endian and C-ordered.
 *
 * The header is validated as the reference implementation does: N within the file and at most 100 MB, valid
 * UTF-8 JSON object, every `data_offsets` in range, the tensors tiling the buffer with no gap or overlap (sorted
 * by offset, each begins where the previous ends, the last ends at the end of the file), and end − begin equal
 * to the product of the shape times the dtype size. Any violation raises InpcaInputError naming the file.
 *
 * Dtypes read: F16, BF16, F32 → Float32Array; F64 → Float64Array; I8, I16, I32, I64, U8, U16, U32, U64 →
 * Int32Array (values outside the int32 range are an error); BOOL → Uint8Array (0/1). The 8-bit float dtypes
 * are rejected. In the returned NdArray, `dtype` is the safetensors name ("F32", "BF16", ...).
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { InpcaInputError } from "../../core/errors.js";
import { parseJsonChecked } from "./json-depth.js";
import { fromFloat16Bits, toFloat16Bits, type NdArray } from "./npy.js";
import { readBytes } from "./read-bytes.js";

/** Element size in bytes of every safetensors dtype (including the ones this reader rejects). */
const DTYPE_SIZE: Readonly<Record<string, number>> = {
  BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1, I16: 2, U16: 2, F16: 2, BF16: 2, I32: 4, U32: 4, F32: 4, F64: 8, I64: 8, U64: 8,
};
/** The dtypes this module decodes. */
const READABLE = new Set(["BOOL", "U8", "I8", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "F64", "I64", "U64"]);
/** Largest header the reference implementation accepts (bytes). */
const MAX_HEADER = 100_000_000;

/** One entry of the header: dtype name, shape, and [begin, end) byte offsets into the data buffer. */
export interface SafetensorsTensorInfo {
  /** Stored dtype ("F16", "BF16", "F32", "F64", "I32", "I64", "U8", "BOOL", ...). */
  dtype: string;
  /** The dimensions. */
  shape: number[];
  /** Byte range [begin, end) of the tensor's data after the header. */
  dataOffsets: [number, number];
}

/** A parsed and validated header. */
export interface SafetensorsHeader {
  /** Tensor entries by name, in order of their offsets. */
  tensors: Record<string, SafetensorsTensorInfo>;
  /** The free-form `__metadata__` map (empty when absent). */
  metadata: Record<string, string>;
  /** Byte position where the data buffer starts (8 + header length). */
  dataStart: number;
}

/** A whole safetensors file: every tensor decoded, plus the metadata map. */
export interface SafetensorsContents {
  /** Every tensor by name, decoded. */
  tensors: Record<string, NdArray>;
  /** The header's `__metadata__` (string values). */
  metadata: Record<string, string>;
}

/** dtypes `writeSafetensors` can produce. */
export type SafetensorsWriteDtype = "F16" | "BF16" | "F32" | "F64" | "I32" | "I64" | "U8" | "BOOL";

/** A tensor to write: values in C order and a shape; `dtype` defaults from the array type (see writeSafetensors). */
export interface SafetensorsTensorInput {
  /** The values, row-major. */
  data: Float32Array | Float64Array | Int32Array | Uint8Array;
  /** The dimensions. */
  shape: readonly number[];
  /** The dtype to store (default from the array type: F32, F64, I32 or U8). */
  dtype?: SafetensorsWriteDtype;
}

/**
 * Parses and validates the header of a safetensors file. `bytes` must hold at least the 8-byte prefix and the
 * header; `fileSize` is the full file length (defaults to `bytes.length`) and is checked against the offsets.
 */
export function readSafetensorsHeader(bytes: Uint8Array, source = "safetensors data", fileSize = bytes.length): SafetensorsHeader {
  const fail = (why: string): never => {
    throw new InpcaInputError(why, { file: source });
  };
  if (fileSize < 8 || bytes.length < 8) fail(`not a safetensors file: ${fileSize} bytes, shorter than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = view.getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER)) fail(`not a safetensors file, or corrupt: header length ${n64} bytes is over the 100 MB limit`);
  const n = Number(n64);
  if (8 + n > fileSize) fail(`truncated or not a safetensors file: header length ${n} bytes, but only ${fileSize - 8} bytes follow the length prefix`);
  if (8 + n > bytes.length) fail(`header of ${n} bytes not fully read`);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    return fail("header is not valid UTF-8");
  }
  if (!text.startsWith("{")) fail(`not a safetensors file: the header does not start with "{" (${JSON.stringify(text.slice(0, 20))})`);
  let json: unknown;
  try {
    json = parseJsonChecked(text, source);
  } catch (e) {
    if (e instanceof InpcaInputError) throw e;
    return fail(`header is not valid JSON (${(e as Error).message})`);
  }
  if (json === null || typeof json !== "object" || Array.isArray(json)) return fail("header is not a JSON object");
  const metadata: Record<string, string> = {};
  const entries: [string, SafetensorsTensorInfo][] = [];
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (raw === null || typeof raw !== "object" || Array.isArray(raw)) fail(`"__metadata__" must be an object of strings`);
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== "string") fail(`"__metadata__" entry "${k}" is ${JSON.stringify(v)}, not a string`);
        metadata[k] = v as string;
      }
      continue;
    }
    if (raw === null || typeof raw !== "object") return fail(`tensor "${name}": header entry is not an object`);
    const { dtype, shape, data_offsets: offsets } = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof dtype !== "string" || !(dtype in DTYPE_SIZE)) fail(`tensor "${name}": unknown dtype ${JSON.stringify(dtype)}`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) fail(`tensor "${name}": shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      fail(`tensor "${name}": data_offsets ${JSON.stringify(offsets)} is not a pair of non-negative integers`);
    }
    entries.push([name, { dtype: dtype as string, shape: shape as number[], dataOffsets: [(offsets as number[])[0]!, (offsets as number[])[1]!] }]);
  }
  // The tensors must tile the buffer: sorted by offset, each starts where the previous ended.
  entries.sort((a, b) => a[1].dataOffsets[0] - b[1].dataOffsets[0] || a[1].dataOffsets[1] - b[1].dataOffsets[1]);
  const bufferSize = fileSize - 8 - n;
  let at = 0;
  for (const [name, info] of entries) {
    const [begin, end] = info.dataOffsets;
    if (end < begin) fail(`tensor "${name}": data_offsets [${begin}, ${end}] end before they begin`);
    if (end > bufferSize) fail(`tensor "${name}": data_offsets [${begin}, ${end}] run past the end of the data (${bufferSize} bytes; truncated file?)`);
    if (begin < at) fail(`tensor "${name}": data_offsets [${begin}, ${end}] overlap the previous tensor, which ends at ${at}`);
    if (begin > at) fail(`tensor "${name}": data_offsets [${begin}, ${end}] leave a gap of ${begin - at} bytes after offset ${at}`);
    const count = info.shape.reduce((a, b) => a * b, 1);
    const need = count * DTYPE_SIZE[info.dtype]!;
    if (end - begin !== need) fail(`tensor "${name}": shape [${info.shape.join(", ")}] of ${info.dtype} needs ${need} bytes, data_offsets give ${end - begin}`);
    at = end;
  }
  if (at !== bufferSize) fail(`the tensors cover ${at} bytes of data but the file has ${bufferSize} after the header (${bufferSize > at ? "trailing bytes" : "truncated"})`);
  return { tensors: Object.fromEntries(entries), metadata, dataStart: 8 + n };
}

/** Decodes every tensor of a safetensors file held in `bytes` (see the module comment for dtypes). */
export function readSafetensors(bytes: Uint8Array, source = "safetensors data"): SafetensorsContents {
  const header = readSafetensorsHeader(bytes, source);
  const tensors: Record<string, NdArray> = {};
  for (const [name, info] of Object.entries(header.tensors)) {
    const [b, e] = info.dataOffsets;
    tensors[name] = decodeTensor(bytes.subarray(header.dataStart + b, header.dataStart + e), info, name, source);
  }
  return { tensors, metadata: header.metadata };
}

/** Reads a whole safetensors file from disk (see `readSafetensors`). */
export function loadSafetensors(path: string): SafetensorsContents {
  return readSafetensors(readBytes(path), path);
}

/**
 * Reads only the header of a safetensors file on disk (8 bytes + the JSON), validated against the file size.
 * Cheap on multi-gigabyte model files.
 */
export function loadSafetensorsHeader(path: string): SafetensorsHeader {
  return withFile(path, (fd, size) => readHeaderFromFd(fd, size, path));
}

/**
 * Reads one tensor by name from a safetensors file on disk, reading only the header and that tensor's bytes.
 * Throws InpcaInputError naming the file and listing the tensors when `name` is absent.
 */
export function loadSafetensorsTensor(path: string, name: string): NdArray {
  return withFile(path, (fd, size) => {
    const header = readHeaderFromFd(fd, size, path);
    const info = header.tensors[name];
    if (!info) throw new InpcaInputError(`no tensor "${name}" (tensors: ${Object.keys(header.tensors).join(", ") || "none"})`, { file: path });
    const [b, e] = info.dataOffsets;
    const bytes = readRange(fd, header.dataStart + b, e - b, path);
    return decodeTensor(bytes, info, name, path);
  });
}

/** Picks one tensor from decoded contents by name, with an error listing the names when absent. */
export function safetensorsTensor(contents: SafetensorsContents, name: string, source = "safetensors data"): NdArray {
  const t = contents.tensors[name];
  if (!t) throw new InpcaInputError(`no tensor "${name}" (tensors: ${Object.keys(contents.tensors).join(", ") || "none"})`, { file: source });
  return t;
}

/**
 * Encodes tensors as a safetensors file. Default dtypes: Float32Array → F32, Float64Array → F64, Int32Array →
 * I32, Uint8Array → U8; `dtype` converts (F16 and BF16 round to nearest even, I64 widens, BOOL stores 0/1).
 * Layout follows the reference writer: tensors ordered by decreasing dtype alignment then name, header padded
 * with spaces to a multiple of 8 bytes so every tensor is aligned. `metadata` becomes `__metadata__`.
 */
export function writeSafetensors(tensors: Readonly<Record<string, SafetensorsTensorInput>>, options: { metadata?: Readonly<Record<string, string>> } = {}): Uint8Array {
  const items = Object.entries(tensors).map(([name, t]) => {
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (!t.shape.every((d) => Number.isInteger(d) && d >= 0) || count !== t.data.length) {
      throw new InpcaInputError(`writeSafetensors: tensor "${name}" has ${t.data.length} values, shape [${t.shape.join(", ")}] needs ${count}`);
    }
    const dtype: SafetensorsWriteDtype = t.dtype ?? (t.data instanceof Float32Array ? "F32" : t.data instanceof Float64Array ? "F64" : t.data instanceof Int32Array ? "I32" : "U8");
    if (!(dtype in DTYPE_SIZE)) throw new InpcaInputError(`writeSafetensors: tensor "${name}": unsupported dtype "${dtype}"`);
    return { name, t, dtype, bytes: count * DTYPE_SIZE[dtype]! };
  });
  if (options.metadata) {
    for (const [k, v] of Object.entries(options.metadata)) if (typeof v !== "string") throw new InpcaInputError(`writeSafetensors: metadata "${k}" must be a string`);
  }
  const rank = (d: string) => Object.keys(DTYPE_SIZE).indexOf(d);
  items.sort((a, b) => rank(b.dtype) - rank(a.dtype) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (options.metadata) header.__metadata__ = options.metadata;
  let offset = 0;
  for (const it of items) {
    header[it.name] = { dtype: it.dtype, shape: [...it.t.shape], data_offsets: [offset, offset + it.bytes] };
    offset += it.bytes;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const pad = (8 - (json.length % 8)) % 8;
  if (pad) {
    const padded = new Uint8Array(json.length + pad).fill(0x20);
    padded.set(json);
    json = padded;
  }
  const out = new Uint8Array(8 + json.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const { t, dtype } of items) {
    encodeTensor(view, at, t.data, dtype);
    at += t.data.length * DTYPE_SIZE[dtype]!;
  }
  return out;
}

/** bfloat16 bits → number (the upper 16 bits of a float32). */
export function fromBfloat16Bits(h: number): number {
  BITS_U32[0] = (h & 0xffff) << 16;
  return BITS_F32[0]!;
}

/** number → bfloat16 bits, rounding the float32 value to nearest even (NaN stays NaN). */
export function toBfloat16Bits(x: number): number {
  BITS_F32[0] = x;
  const u = BITS_U32[0]!;
  if (Number.isNaN(x)) return (u >>> 16) | 0x40;
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
}

const BITS_F32 = new Float32Array(1);
const BITS_U32 = new Uint32Array(BITS_F32.buffer);

function decodeTensor(bytes: Uint8Array, info: SafetensorsTensorInfo, name: string, source: string): NdArray {
  const { dtype, shape } = info;
  if (!READABLE.has(dtype)) throw new InpcaInputError(`tensor "${name}": unsupported dtype ${dtype} (readable: F16, BF16, F32, F64, integers, BOOL)`, { file: source });
  const count = shape.reduce((a, b) => a * b, 1);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let data: NdArray["data"];
  switch (dtype) {
    // byte copy into a fresh, aligned array (the file's data need not be aligned in memory; a Node Buffer's
    // slice() would share the pool instead of copying)
    case "F32":
      data = new Float32Array(count);
      new Uint8Array(data.buffer).set(bytes);
      break;
    case "F64":
      data = new Float64Array(count);
      new Uint8Array(data.buffer).set(bytes);
      break;
    case "F16":
      data = new Float32Array(count);
      for (let i = 0; i < count; i++) data[i] = fromFloat16Bits(view.getUint16(2 * i, true));
      break;
    case "BF16": {
      const out = new Float32Array(count);
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) bits[i] = view.getUint16(2 * i, true) << 16;
      data = out;
      break;
    }
    case "BOOL":
      data = new Uint8Array(count);
      for (let i = 0; i < count; i++) data[i] = bytes[i] ? 1 : 0;
      break;
    default: {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) {
        let v: number | bigint;
        switch (dtype) {
          case "U8": v = view.getUint8(i); break;
          case "I8": v = view.getInt8(i); break;
          case "I16": v = view.getInt16(2 * i, true); break;
          case "U16": v = view.getUint16(2 * i, true); break;
          case "I32": v = view.getInt32(4 * i, true); break;
          case "U32": v = view.getUint32(4 * i, true); break;
          case "I64": v = view.getBigInt64(8 * i, true); break;
          default: v = view.getBigUint64(8 * i, true);
        }
        const x = Number(v);
        if (x > 2147483647 || x < -2147483648) throw new InpcaInputError(`tensor "${name}": integer ${v} at index ${i} does not fit in 32 bits`, { file: source });
        out[i] = x;
      }
      data = out;
    }
  }
  return { data, shape: [...shape], dtype };
}

function encodeTensor(view: DataView, at: number, data: SafetensorsTensorInput["data"], dtype: SafetensorsWriteDtype): void {
  const n = data.length;
  for (let i = 0; i < n; i++) {
    const v = +data[i]!;
    switch (dtype) {
      case "F32": view.setFloat32(at + 4 * i, v, true); break;
      case "F64": view.setFloat64(at + 8 * i, v, true); break;
      case "F16": view.setUint16(at + 2 * i, toFloat16Bits(v), true); break;
      case "BF16": view.setUint16(at + 2 * i, toBfloat16Bits(v), true); break;
      case "I32":
        if (!Number.isInteger(v) || v > 2147483647 || v < -2147483648) throw new InpcaInputError(`writeSafetensors: ${v} at index ${i} is not an int32`);
        view.setInt32(at + 4 * i, v, true);
        break;
      case "I64":
        if (!Number.isSafeInteger(v)) throw new InpcaInputError(`writeSafetensors: ${v} at index ${i} is not an integer`);
        view.setBigInt64(at + 8 * i, BigInt(v), true);
        break;
      case "U8":
        if (!Number.isInteger(v) || v < 0 || v > 255) throw new InpcaInputError(`writeSafetensors: ${v} at index ${i} is not a uint8`);
        view.setUint8(at + i, v);
        break;
      case "BOOL": view.setUint8(at + i, v ? 1 : 0); break;
    }
  }
}

function withFile<T>(path: string, body: (fd: number, size: number) => T): T {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (e) {
    throw new InpcaInputError(`cannot read: ${(e as Error).message}`, { file: path, cause: e });
  }
  try {
    return body(fd, fstatSync(fd).size);
  } finally {
    closeSync(fd);
  }
}

function readRange(fd: number, position: number, length: number, path: string): Uint8Array {
  const out = new Uint8Array(length);
  let got = 0;
  while (got < length) {
    const r = readSync(fd, out, got, length - got, position + got);
    if (r === 0) throw new InpcaInputError(`unexpected end of file at byte ${position + got}`, { file: path });
    got += r;
  }
  return out;
}

function readHeaderFromFd(fd: number, size: number, path: string): SafetensorsHeader {
  if (size < 8) return readSafetensorsHeader(new Uint8Array(0), path, size);
  const prefix = readRange(fd, 0, 8, path);
  const n = new DataView(prefix.buffer).getBigUint64(0, true);
  // Let the validator produce the error for impossible lengths without reading anything more.
  if (n > BigInt(MAX_HEADER) || 8 + Number(n) > size) return readSafetensorsHeader(prefix, path, size);
  const head = new Uint8Array(8 + Number(n));
  head.set(prefix);
  head.set(readRange(fd, 8, Number(n), path), 8);
  return readSafetensorsHeader(head, path, size);
}
