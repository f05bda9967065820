/**
 * PyTorch `.pt` / `.pth` files written by `torch.save` (PyTorch ≥ 1.6: a zip holding `<name>/data.pkl`, a pickle
 * whose tensors refer to raw storages `<name>/data/<key>`), read without Python: the pickle is *parsed*, never
 * executed. Only what tensors and containers need is understood: dicts (also OrderedDict), lists, tuples, strings,
 * numbers, booleans, None, and tensors rebuilt by `torch._utils._rebuild_tensor_v2` / `_rebuild_parameter` from
 * Float/Half/Double/BFloat16/Long/Int/Short/Char/Byte/Bool storages. Any other pickled object (a class, a
 * function, a model) is refused with an error that names it; nothing from the file ever runs.
 */
import { InpcaInputError } from "../../core/errors.js";
import { fromFloat16Bits, type NdArray } from "./npy.js";
import { readBytes } from "./read-bytes.js";
import { fromBfloat16Bits } from "./safetensors.js";
import { readZip } from "./zip.js";

/** A tensor read from a torch file: C-order data (floats as Float32Array/Float64Array, integers as Int32Array). */
export interface TorchTensor extends NdArray {
  /** PyTorch's name of the storage type, e.g. "FloatStorage". */
  storage: string;
}

/** A value of a torch file: tensors inside plain containers. */
export type TorchValue = TorchTensor | TorchValue[] | { [key: string]: TorchValue } | string | number | boolean | null;

const STORAGES: Record<string, { bytes: number; dtype: string }> = {
  FloatStorage: { bytes: 4, dtype: "<f4" }, HalfStorage: { bytes: 2, dtype: "<f2" }, DoubleStorage: { bytes: 8, dtype: "<f8" },
  BFloat16Storage: { bytes: 2, dtype: "bf16" }, LongStorage: { bytes: 8, dtype: "<i8" }, IntStorage: { bytes: 4, dtype: "<i4" },
  ShortStorage: { bytes: 2, dtype: "<i2" }, CharStorage: { bytes: 1, dtype: "|i1" }, ByteStorage: { bytes: 1, dtype: "|u1" }, BoolStorage: { bytes: 1, dtype: "|b1" },
};

/** Reads a `torch.save` file from disk (see {@link readTorch}). */
export function loadTorch(path: string, options: { maxInflatedBytes?: number } = {}): TorchValue {
  return readTorch(readBytes(path), path, options);
}

/**
 * Parses the `torch.save` archive in `bytes`. Throws InpcaInputError naming `source` for anything that is not a
 * zip-format torch file (including the legacy pre-1.6 format), for pickled objects other than tensors and plain
 * containers, and for storages that are missing or too short for their tensors.
 */
export function readTorch(bytes: Uint8Array, source = "torch data", options: { maxInflatedBytes?: number } = {}): TorchValue {
  const fail = (why: string): never => {
    throw new InpcaInputError(why, { file: source });
  };
  if (bytes[0] === 0x80) fail("is a legacy (pre-1.6) torch.save file, a bare pickle; re-save it with a current PyTorch (torch.save writes zip files since 1.6)");
  const members = readZip(bytes, source, "a torch.save file (PyTorch ≥ 1.6 writes zip archives)", options.maxInflatedBytes);
  const pkl = members.find((m) => /^[^/]+\/data\.pkl$/.test(m.name));
  if (!pkl) fail(`is a zip archive but not a torch.save file: no <name>/data.pkl among ${members.slice(0, 5).map((m) => m.name).join(", ")}`);
  const prefix = pkl!.name.slice(0, -"data.pkl".length);
  const byName = new Map(members.map((m) => [m.name, m]));
  const storages = new Map<string, Uint8Array>();
  const storage = (key: string): Uint8Array => {
    let s = storages.get(key);
    if (!s) {
      const m = byName.get(`${prefix}data/${key}`);
      if (!m) fail(`the pickle refers to storage "${key}", which the archive does not hold (${prefix}data/${key})`);
      s = m!.read();
      storages.set(key, s);
    }
    return s;
  };
  return unpickle(pkl!.read(), source, storage) as TorchValue;
}

class Global {
  constructor(readonly module: string, readonly name: string) {}
  get full(): string {
    return `${this.module}.${this.name}`;
  }
}
class StorageRef {
  constructor(readonly type: string, readonly key: string, readonly numel: number) {}
}
const MARK = Symbol("mark");
const ALLOWED = new Set(["torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor", "torch._utils._rebuild_parameter", "collections.OrderedDict"]);

/** A restricted unpickler (protocols 2–5 opcodes that torch.save emits); see the module comment. */
function unpickle(bytes: Uint8Array, source: string, storage: (key: string) => Uint8Array): unknown {
  const file = `${source}[data.pkl]`;
  const fail = (why: string): never => {
    throw new InpcaInputError(why, { file });
  };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = new TextDecoder();
  const stack: unknown[] = [];
  const memo = new Map<number, unknown>();
  let p = 0;
  const need = (n: number) => {
    if (p + n > bytes.length) fail("the pickle is truncated");
  };
  const u8 = () => (need(1), bytes[p++]!);
  const u16 = () => (need(2), (p += 2), view.getUint16(p - 2, true));
  const u32 = () => (need(4), (p += 4), view.getUint32(p - 4, true));
  const i32 = () => (need(4), (p += 4), view.getInt32(p - 4, true));
  const str = (n: number) => (need(n), (p += n), text.decode(bytes.subarray(p - n, p)));
  const line = () => {
    const end = bytes.indexOf(0x0a, p);
    if (end < 0) fail("the pickle is truncated");
    const s = text.decode(bytes.subarray(p, end));
    p = end + 1;
    return s;
  };
  const pop = () => {
    if (stack.length === 0) fail("the pickle is malformed (stack underflow)");
    return stack.pop();
  };
  const popMark = (): unknown[] => {
    const i = stack.lastIndexOf(MARK);
    if (i < 0) fail("the pickle is malformed (no mark)");
    const items = stack.splice(i);
    items.shift();
    return items;
  };
  const top = () => {
    if (stack.length === 0) fail("the pickle is malformed (stack underflow)");
    return stack[stack.length - 1];
  };
  const setItems = (target: unknown, kv: unknown[]) => {
    if (!(target instanceof Map)) fail("the pickle sets items on something that is not a dict");
    for (let i = 0; i + 1 < kv.length; i += 2) (target as Map<unknown, unknown>).set(kv[i], kv[i + 1]);
  };
  const append = (target: unknown, items: unknown[]) => {
    if (!Array.isArray(target)) fail("the pickle appends to something that is not a list");
    (target as unknown[]).push(...items);
  };
  const long = (n: number) => {
    need(n);
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[p + i]!);
    if (n > 0 && bytes[p + n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
    p += n;
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) fail(`an integer in the pickle (${v}) is too large`);
    return Number(v);
  };
  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: u8(); break; // PROTO
      case 0x95: need(8); p += 8; break; // FRAME
      case 0x2e: { // STOP
        const v = pop();
        return toValue(v, file);
      }
      case 0x7d: stack.push(new Map()); break; // EMPTY_DICT
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x29: stack.push([]); break; // EMPTY_TUPLE (tuples are arrays here)
      case 0x28: stack.push(MARK); break; // MARK
      case 0x74: stack.push(popMark()); break; // TUPLE
      case 0x85: stack.push([pop()]); break; // TUPLE1
      case 0x86: { const b = pop(); stack.push([pop(), b]); break; } // TUPLE2
      case 0x87: { const c = pop(); const b = pop(); stack.push([pop(), b, c]); break; } // TUPLE3
      case 0x6c: stack.push(popMark()); break; // LIST
      case 0x64: { const kv = popMark(); const m = new Map(); setItems(m, kv); stack.push(m); break; } // DICT
      case 0x71: memo.set(u8(), top()); break; // BINPUT
      case 0x72: memo.set(u32(), top()); break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x68: case 0x6a: { // BINGET, LONG_BINGET
        const k = op === 0x68 ? u8() : u32();
        if (!memo.has(k)) fail(`the pickle refers to memo entry ${k}, which is not defined`);
        stack.push(memo.get(k));
        break;
      }
      case 0x58: stack.push(str(u32())); break; // BINUNICODE
      case 0x8c: stack.push(str(u8())); break; // SHORT_BINUNICODE
      case 0x8d: { const n = u32(); u32(); stack.push(str(n)); break; } // BINUNICODE8 (low 32 bits suffice here)
      case 0x54: stack.push(str(u32())); break; // BINSTRING
      case 0x55: stack.push(str(u8())); break; // SHORT_BINSTRING
      case 0x42: { const n = u32(); need(n); stack.push(bytes.slice(p, p + n)); p += n; break; } // BINBYTES
      case 0x43: { const n = u8(); need(n); stack.push(bytes.slice(p, p + n)); p += n; break; } // SHORT_BINBYTES
      case 0x4b: stack.push(u8()); break; // BININT1
      case 0x4d: stack.push(u16()); break; // BININT2
      case 0x4a: stack.push(i32()); break; // BININT
      case 0x8a: stack.push(long(u8())); break; // LONG1
      case 0x8b: stack.push(long(u32())); break; // LONG4
      case 0x47: need(8); stack.push(view.getFloat64(p, false)); p += 8; break; // BINFLOAT
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x4e: stack.push(null); break; // NONE
      case 0x63: { // GLOBAL
        const module = line();
        const name = line();
        stack.push(new Global(module, name));
        break;
      }
      case 0x93: { const name = pop(); const module = pop(); stack.push(new Global(String(module), String(name))); break; } // STACK_GLOBAL
      case 0x51: { // BINPERSID: ('storage', storage_type, key, location, numel)
        const pid = pop();
        if (!Array.isArray(pid) || pid[0] !== "storage" || !(pid[1] instanceof Global)) fail("the pickle has a persistent id that is not a torch storage");
        const [, type, key, , numel] = pid as [string, Global, unknown, unknown, unknown];
        const name = type.name === "UntypedStorage" ? "ByteStorage" : type.name;
        if (type.module !== "torch" || !STORAGES[name]) fail(`the pickle refers to a storage of type ${type.full}, which inpca does not read`);
        stack.push(new StorageRef(name, String(key), Number(numel)));
        break;
      }
      case 0x52: { // REDUCE
        const args = pop();
        const fn = pop();
        if (!(fn instanceof Global)) fail("the pickle calls something that is not a global");
        const g = fn as Global;
        if (!ALLOWED.has(g.full)) refuse(g, file);
        if (!Array.isArray(args)) fail(`the pickle calls ${g.full} without an argument tuple`);
        stack.push(call(g, args as unknown[], storage, file));
        break;
      }
      case 0x81: { pop(); const g = pop(); refuse(g instanceof Global ? g : new Global("?", typeof g), file); break; } // NEWOBJ: cls, args
      case 0x62: { // BUILD: state for the object below (torch tensors: an OrderedDict of backward hooks, ignored)
        const state = pop();
        const obj = top();
        if (obj instanceof Map && state instanceof Map) for (const [k, v] of state) obj.set(k, v);
        else if (!(isTensor(obj) || obj instanceof Map)) fail("the pickle builds an object inpca does not know");
        break;
      }
      case 0x73: { const v = pop(); const k = pop(); setItems(top(), [k, v]); break; } // SETITEM
      case 0x75: { const kv = popMark(); setItems(top(), kv); break; } // SETITEMS
      case 0x61: { const v = pop(); append(top(), [v]); break; } // APPEND
      case 0x65: { const items = popMark(); append(top(), items); break; } // APPENDS
      default:
        fail(`the pickle uses opcode 0x${op.toString(16).padStart(2, "0")} at byte ${p - 1}, which a torch.save file of tensors does not; inpca reads only tensors and plain containers`);
    }
  }
}

function refuse(g: Global, file: string): never {
  throw new InpcaInputError(`holds a pickled ${g.full}, which inpca does not load: only tensors and plain containers (dict, list, tuple) are read, and nothing in the file is executed. Save the tensors alone, e.g. torch.save({"probs": probs}, path), or export predictions with numpy`, { file });
}

function isTensor(v: unknown): v is TorchTensor {
  return typeof v === "object" && v !== null && "storage" in v && "shape" in v && "data" in v;
}

function call(g: Global, args: unknown[], storage: (key: string) => Uint8Array, file: string): unknown {
  if (g.full === "collections.OrderedDict") return new Map();
  if (g.full === "torch._utils._rebuild_parameter") {
    if (!isTensor(args[0])) throw new InpcaInputError("a Parameter without a tensor", { file });
    return args[0];
  }
  // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
  const [ref, offset, size, stride] = args as [unknown, unknown, unknown, unknown];
  if (!(ref instanceof StorageRef) || typeof offset !== "number" || !Array.isArray(size) || !Array.isArray(stride) || size.length !== stride.length || ![...size, ...stride].every((v) => Number.isInteger(v) && v >= 0)) {
    throw new InpcaInputError(`malformed tensor in the pickle (${g.full})`, { file });
  }
  return rebuild(ref, offset, size as number[], stride as number[], storage(ref.key), file);
}

function rebuild(ref: StorageRef, offset: number, shape: number[], stride: number[], raw: Uint8Array, file: string): TorchTensor {
  const { bytes, dtype } = STORAGES[ref.type]!;
  const count = shape.reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(count)) throw new InpcaInputError(`tensor of shape [${shape.join(", ")}] is too large`, { file });
  let last = offset;
  for (let d = 0; d < shape.length; d++) last += (shape[d]! - 1) * stride[d]!;
  if (count > 0 && (last + 1) * bytes > raw.length) throw new InpcaInputError(`storage "${ref.key}" holds ${raw.length / bytes} elements, too few for a tensor of shape [${shape.join(", ")}] at offset ${offset}`, { file });
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const get = (i: number): number => {
    const at = i * bytes;
    switch (dtype) {
      case "<f4": return view.getFloat32(at, true);
      case "<f8": return view.getFloat64(at, true);
      case "<f2": return fromFloat16Bits(view.getUint16(at, true));
      case "bf16": return fromBfloat16Bits(view.getUint16(at, true));
      case "<i8": { const v = view.getBigInt64(at, true); if (v > 2147483647n || v < -2147483648n) throw new InpcaInputError(`integer ${v} does not fit in int32`, { file }); return Number(v); }
      case "<i4": return view.getInt32(at, true);
      case "<i2": return view.getInt16(at, true);
      case "|i1": return view.getInt8(at);
      default: return view.getUint8(at);
    }
  };
  const data = dtype === "<f8" ? new Float64Array(count) : dtype.includes("f") || dtype === "bf16" ? new Float32Array(count) : dtype === "|b1" || dtype === "|u1" ? new Uint8Array(count) : new Int32Array(count);
  // walk the (possibly strided) tensor in C order
  const idx = new Array<number>(shape.length).fill(0);
  let at = offset;
  for (let i = 0; i < count; i++) {
    data[i] = get(at);
    for (let d = shape.length - 1; d >= 0; d--) {
      idx[d]!++;
      at += stride[d]!;
      if (idx[d]! < shape[d]!) break;
      at -= idx[d]! * stride[d]!;
      idx[d] = 0;
    }
  }
  return { data, shape: [...shape], dtype, storage: ref.type };
}

function toValue(v: unknown, file: string): unknown {
  if (v instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of v) out[String(k)] = toValue(x, file);
    return out;
  }
  if (Array.isArray(v)) return v.map((x) => toValue(x, file));
  if (v instanceof Global) refuse(v, file);
  if (v instanceof StorageRef) throw new InpcaInputError("holds a bare storage, not a tensor", { file });
  return v;
}

/** The tensors of a torch value, keyed by their path (`probs`, `preds.train`, `0`, ...); a bare tensor is "". */
export function torchTensors(v: TorchValue, prefix = ""): Record<string, TorchTensor> {
  if (isTensor(v)) return { [prefix]: v };
  const out: Record<string, TorchTensor> = {};
  if (Array.isArray(v)) v.forEach((x, i) => Object.assign(out, torchTensors(x, prefix ? `${prefix}.${i}` : String(i))));
  else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) Object.assign(out, torchTensors(x as TorchValue, prefix ? `${prefix}.${k}` : k));
  return out;
}
