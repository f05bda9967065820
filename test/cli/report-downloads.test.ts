/**
 * The report's coordinate downloads, unit by unit: the data block (escaped so no value can end it), the CSV (the
 * configuration from `config`, colliding names prefixed, quoting) and the .npy (NumPy's format, exact float64),
 * built by the page's own script run in Node's vm.
 */
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { coordinatesBlock, coordinatesHtml, DOWNLOAD_SCRIPT, type CoordinatesBlock } from "../../src/cli/report-downloads.js";
import { PredictionSet, type ModelPoint } from "../../src/core/index.js";
import { Embedding } from "../../src/core/embedding.js";
import { readNpy } from "../../src/io/formats/npy.js";

function page(): { csv: (b: CoordinatesBlock) => string; npy: (b: CoordinatesBlock) => Uint8Array } {
  const window: Record<string, unknown> = {};
  runInNewContext(DOWNLOAD_SCRIPT, { window, atob, Uint8Array, Float64Array, DataView, document: { querySelectorAll: () => [] } });
  return window["inpcaCoordinates"] as { csv: (b: CoordinatesBlock) => string; npy: (b: CoordinatesBlock) => Uint8Array };
}

/** Two runs × 2 checkpoints with awkward ids and configuration, and a 3-axis embedding of them. */
function fixture(): { set: PredictionSet; emb: Embedding } {
  const meta: ModelPoint[] = [];
  for (const run of ['a,"b"</script><!--x', "plain"]) {
    for (const step of [0, 5]) meta.push({ run, step, epoch: step / 5, error: 0.5 - step / 20, lr: 0.5, config: { lr: 0.1, step: "cfg", arch: run === "plain" ? "mlp" : "vit" } });
  }
  const probs = new Float32Array(4 * 2 * 2).fill(0.5);
  const set = new PredictionSet({ probs, models: 4, samples: 2, classes: 2, labels: Int32Array.of(0, 1), meta });
  const coords = Float64Array.of(0.1, -0.2, 1 / 3, Math.PI, -1e-300, 2, 5e300, 0, -0, 1, 2, 3);
  const emb = new Embedding({
    coords, points: 4, dims: 3, eigenvalues: Float64Array.of(3, -2, 1), spectrum: Float64Array.of(3, -2, 1), explainedStress: Float64Array.of(0.5, 0.7, 0.8), frobenius2: 10,
    meta, basis: { size: 4, eigenvectors: new Float64Array(12), columnMeans: new Float64Array(4), grandMean: 0 },
  });
  return { set, emb };
}

describe("report downloads", () => {
  const { set, emb } = fixture();
  const block = coordinatesBlock("train", set, emb, Float64Array.of(0, 0.5, 0.25, 1), ["arch", "lr", "step"]);

  it("the data block escapes every '<', so no run id can close it, and parses back to the same values", () => {
    const html = coordinatesHtml(block, "zoo");
    const m = /<script type="application\/json" class="inpca-coords" data-split="train">([\s\S]*?)<\/script>/.exec(html)!;
    expect(m[1]).not.toContain("<");
    expect(JSON.parse(m[1]!)).toEqual(block);
    expect(block.runs).toEqual(['a,"b"</script><!--x', "plain"]);
  });

  it("CSV: configuration from config (not the top-level field of that name), colliding names prefixed, quoted", () => {
    const lines = page().csv(block).trimEnd().split("\n");
    expect(lines[0]).toBe("run,arch,lr,config.step,step,epoch,progress,error,inpca1,inpca2_timelike,inpca3");
    expect(lines[1]).toBe(`"a,""b""</script><!--x",vit,0.1,cfg,0,0,0,0.5,0.1,-0.2,${1 / 3}`);
    expect(lines[4]).toBe("plain,mlp,0.1,cfg,5,1,1,0.25,1,2,3");
    expect(lines.length).toBe(5);
  });

  it(".npy: NumPy format 1.0, header padded to 64 bytes, the float64 coordinates bit for bit", () => {
    const bytes = page().npy(block);
    expect(Array.from(bytes.subarray(0, 8))).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    const headerLength = bytes[8]! | (bytes[9]! << 8);
    expect((10 + headerLength) % 64).toBe(0);
    const a = readNpy(bytes, "download.npy");
    expect(a.shape).toEqual([4, 3]);
    expect(a.dtype).toBe("<f8");
    expect(Array.from(a.data)).toEqual(Array.from(emb.coords));
    expect(Object.is(a.data[8], -0)).toBe(true);
  });
});
