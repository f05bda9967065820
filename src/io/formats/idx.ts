/**
 * IDX files (the MNIST / Fashion-MNIST format), raw or gzip-compressed: a big-endian header of magic
 * (0x00 0x00 dtype ndim), one uint32 per dimension, then the data in C order.
 */
import { existsSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { defaultInflateLimit } from "./zip.js";
import { InpcaInputError } from "../../core/errors.js";
import { readBytes } from "./read-bytes.js";

/** An IDX array: `data` in C order (Uint8Array for unsigned bytes, Float64Array for the other types). */
export interface IdxArray {
  /** The values, row-major (uint8 images, or float64 for other IDX types). */
  data: Uint8Array | Float64Array;
  /** The dimensions, as stored. */
  shape: number[];
}

const TYPES: Record<number, { size: number; get: (v: DataView, o: number) => number }> = {
  0x08: { size: 1, get: (v, o) => v.getUint8(o) },
  0x09: { size: 1, get: (v, o) => v.getInt8(o) },
  0x0b: { size: 2, get: (v, o) => v.getInt16(o, false) },
  0x0c: { size: 4, get: (v, o) => v.getInt32(o, false) },
  0x0d: { size: 4, get: (v, o) => v.getFloat32(o, false) },
  0x0e: { size: 8, get: (v, o) => v.getFloat64(o, false) },
};

/** Parses IDX bytes (gzip-compressed when they start with 1f 8b). `source` names the file in errors. */
export function readIdx(bytes: Uint8Array, source = "idx data", options: { maxInflatedBytes?: number } = {}): IdxArray {
  const fail = (why: string): never => {
    throw new InpcaInputError(why, { file: source });
  };
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    const limit = options.maxInflatedBytes ?? defaultInflateLimit();
    try {
      bytes = gunzipSync(bytes, { maxOutputLength: limit });
    } catch (e) {
      if ((e as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") fail(`inflates to more than ${limit} bytes, the limit (1/16 of this machine's memory by default; raise it with the maxInflatedBytes option)`);
      fail(`corrupt gzip stream: ${(e as Error).message}`);
    }
  }
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) fail("not an IDX file (wrong magic bytes)");
  const type = TYPES[bytes[2]!];
  if (!type) return fail(`unsupported IDX data type 0x${bytes[2]!.toString(16)}`);
  const ndim = bytes[3]!;
  if (ndim === 0 || bytes.length < 4 + 4 * ndim) fail("truncated IDX header");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape = Array.from({ length: ndim }, (_, i) => view.getUint32(4 + 4 * i, false));
  const count = shape.reduce((a, b) => a * b, 1);
  const start = 4 + 4 * ndim;
  if (bytes.length - start < count * type.size) fail(`truncated data: shape (${shape.join(", ")}) needs ${count * type.size} bytes, the file has ${bytes.length - start}`);
  if (bytes[2] === 0x08) return { data: bytes.slice(start, start + count), shape };
  const data = new Float64Array(count);
  for (let i = 0; i < count; i++) data[i] = type.get(view, start + i * type.size);
  return { data, shape };
}

/** Reads an IDX file from disk (see `readIdx`). */
export function loadIdx(path: string): IdxArray {
  return readIdx(readBytes(path), path);
}

/** Images and labels of an image-classification dataset, flat and ready for training. */
export interface ImageDataset {
  /** N·H·W·channels pixel values in [0, 1], row-major [image][row][col][channel]. */
  images: Float32Array;
  /** N labels in [0, classes). */
  labels: Int32Array;
  /** [N, H, W, channels]. */
  shape: [number, number, number, number];
  /** The class names, index = label. */
  classNames: readonly string[];
}

/** Fashion-MNIST's ten class names, in label order. */
export const FASHION_MNIST_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"] as const;

/** Where Debian's `dataset-fashion-mnist` package puts the files. */
export const FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist";

/**
 * Loads the Fashion-MNIST `split` ("train": 60,000 images, "test": 10,000) from `dir` (the four idx files,
 * `.gz` or not). Pixels are scaled to [0, 1]; shape [N, 28, 28, 1].
 */
export function loadFashionMnist(split: "train" | "test", dir: string = FASHION_MNIST_DIR): ImageDataset {
  const prefix = split === "train" ? "train" : "t10k";
  const pick = (name: string): string => {
    for (const p of [`${dir}/${name}.gz`, `${dir}/${name}`]) if (existsSync(p)) return p;
    throw new InpcaInputError(`Fashion-MNIST file ${name}(.gz) not found (install Debian's dataset-fashion-mnist or pass the folder)`, { file: dir });
  };
  const imgPath = pick(`${prefix}-images-idx3-ubyte`);
  const labPath = pick(`${prefix}-labels-idx1-ubyte`);
  const img = loadIdx(imgPath);
  const lab = loadIdx(labPath);
  if (img.shape.length !== 3) throw new InpcaInputError(`expected images of shape [N, H, W], got (${img.shape.join(", ")})`, { file: imgPath });
  if (lab.shape.length !== 1 || lab.shape[0] !== img.shape[0]) throw new InpcaInputError(`${lab.shape[0]} labels for ${img.shape[0]} images`, { file: labPath });
  const images = new Float32Array(img.data.length);
  for (let i = 0; i < images.length; i++) images[i] = img.data[i]! / 255;
  const labels = Int32Array.from(lab.data);
  for (let i = 0; i < labels.length; i++) if (labels[i]! < 0 || labels[i]! > 9) throw new InpcaInputError(`label ${labels[i]} of image ${i} is outside 0..9`, { file: labPath });
  return { images, labels, shape: [img.shape[0]!, img.shape[1]!, img.shape[2]!, 1], classNames: FASHION_MNIST_CLASSES };
}
