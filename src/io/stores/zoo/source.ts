/**
 * A zoo on disk as a PredictionSource: the checkpoints of one split, run by run, read by row ranges straight
 * from each run's `.npy` file (float16 or float32), never whole. Metadata rows are built from the manifest
 * up front; probabilities exist only for the rows being read.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { join } from "node:path";
import { InpcaInputError } from "../../../core/errors.js";
import type { ModelPoint } from "../../../core/meta.js";
import { PredictionSet } from "../../../core/prediction-set.js";
import { checkRows, chunkFloats, type PredictionSource } from "../../../core/source.js";
import { decodeNpyFloatsInto, readNpyHeader, type NpyHeader } from "../../formats/npy.js";
import { checkRunFile, pointMeta, validateRows } from "./format.js";
import { loadZoo, type Zoo, type ZooSelection } from "./read.js";

/**
 * The checkpoints of `split` in the zoo at `zoo` (a folder or a loaded Zoo), rows ordered run by run and
 * checkpoint by checkpoint exactly as `zoo.predictions(split, selection)`, as a source read by row ranges.
 */
export function zooSource(zoo: Zoo | string, split: string, selection: ZooSelection = {}): PredictionSource {
  const z = typeof zoo === "string" ? loadZoo(zoo) : zoo;
  const labels = z.labels(split); // checks the split
  const S = z.manifest.splits[split]!.indices.length;
  const C = z.classNames.length;
  const runs = z.selectRuns(selection);
  const meta: ModelPoint[] = [];
  const runOf: number[] = [];
  const rowOf: number[] = [];
  runs.forEach((run, k) => {
    run.checkpoints.forEach((c, i) => {
      if (selection.checkpoints && !selection.checkpoints(c, i, run)) return;
      meta.push(pointMeta(run, c, split));
      runOf.push(k);
      rowOf.push(i);
    });
  });
  const headers = new Map<number, NpyHeader>();
  const fileOf = (k: number) => join(z.dir, "runs", `${runs[k]!.id}.${split}.npy`);
  const header = (k: number, fd: number): NpyHeader => {
    let h = headers.get(k);
    if (h) return h;
    const file = fileOf(k);
    const size = fstatSync(fd).size;
    const head = Buffer.alloc(Math.min(65536, size));
    readSync(fd, head, 0, head.length, 0);
    h = checkRunFile(readNpyHeader(head, file), size, runs[k]!, split, S, C, file);
    headers.set(k, h);
    return h;
  };
  const name = `${z.dir} (${split})`;
  return {
    name,
    models: meta.length,
    samples: S,
    classes: C,
    meta,
    labels,
    classNames: z.classNames,
    split,
    sampleIds: Int32Array.from(z.manifest.splits[split]!.indices),
    files: [join(z.dir, "manifest.json"), ...runs.map((_, k) => fileOf(k))],
    read: async (rows, samples, into) => {
      checkRows(rows, meta.length, name);
      const Sp = samples ? samples.length : S;
      const probs = chunkFloats(rows.length * Sp * C, into);
      const full = samples ? new Float32Array(S * C) : null;
      let q = 0;
      while (q < rows.length) {
        const k = runOf[rows[q]!]!;
        const file = fileOf(k);
        const fd = openSync(file, "r");
        try {
          const h = header(k, fd);
          const first = q;
          // contiguous checkpoints of this run are read with one call
          while (q < rows.length && runOf[rows[q]!] === k) {
            let end = q + 1;
            while (end < rows.length && runOf[rows[end]!] === k && rowOf[rows[end]!] === rowOf[rows[end - 1]!]! + 1) end++;
            const count = end - q;
            const bytes = Buffer.alloc(count * S * C * h.itemSize);
            const got = readSync(fd, bytes, 0, bytes.length, h.dataStart + rowOf[rows[q]!]! * S * C * h.itemSize);
            if (got !== bytes.length) throw new InpcaInputError(`short read: ${got} of ${bytes.length} bytes`, { file });
            const body = { ...h, dataStart: 0 };
            for (let r = 0; r < count; r++) {
              if (full) {
                decodeNpyFloatsInto(bytes, body, r * S * C, S * C, full, 0);
                const o = (q + r) * Sp * C;
                for (let n = 0; n < Sp; n++) for (let c = 0; c < C; c++) probs[o + n * C + c] = full[samples![n]! * C + c]!;
              } else decodeNpyFloatsInto(bytes, body, r * S * C, S * C, probs, (q + r) * S * C);
            }
            q = end;
          }
          const picked = Array.from({ length: q - first }, (_, i) => meta[rows[first + i]!]!);
          validateRows(probs, first * Sp * C, q * Sp * C, C, Sp, picked, 0, file);
        } finally {
          closeSync(fd);
        }
      }
      const pickedMeta = Array.from({ length: rows.length }, (_, i) => meta[rows[i]!]!);
      return new PredictionSet(
        {
          probs, models: rows.length, samples: Sp, classes: C, meta: pickedMeta, split, classNames: z.classNames,
          labels: samples ? Int32Array.from(samples, (n) => labels[n]!) : labels,
          sampleIds: Int32Array.from(samples ?? z.manifest.splits[split]!.indices.map((_, n) => n), (n) => z.manifest.splits[split]!.indices[n]!),
        },
        { validate: false },
      );
    },
  };
}
