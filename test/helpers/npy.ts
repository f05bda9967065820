/** Writes a little-endian NumPy .npy (format 1.0) file of float32 or float64 values with the given shape. */
import { writeFileSync } from "node:fs";

export function writeNpy(path: string, data: Float32Array | Float64Array, shape: readonly number[]): void {
  const descr = data instanceof Float32Array ? "<f4" : "<f8";
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(", ");
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${dims}), }`;
  const total = 10 + header.length + 1;
  header += " ".repeat((64 - (total % 64)) % 64) + "\n";
  const head = Buffer.alloc(10);
  head.write("\x93NUMPY", 0, "latin1");
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  writeFileSync(path, Buffer.concat([head, Buffer.from(header, "latin1"), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]));
}
