/**
 * Cross-check against an independent NumPy implementation (scripts/reference.py): the distance matrix, the
 * eigenvalues by |λ|, explained stress and coordinates for fixed inputs. Runs when python3 with numpy is
 * available; otherwise the tests are reported as skipped, with the reason printed (and with CI set the run fails).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { bhattacharyya, inpca } from "../src/geometry/index.js";
import { shutdownPool } from "../src/geometry/pairwise/pool.js";
import { randomSet } from "./helpers/data.js";
import { writeNpy } from "../src/io/formats/npy.js";
import { numpyMissing, reference } from "./helpers/python.js";
import { skipWhen } from "./helpers/skip.js";

// Debian's python3 first: the python3 on PATH may be a pyenv or conda one without NumPy
if (numpyMissing) console.warn(`NumPy cross-check SKIPPED: ${numpyMissing}`);

interface Reference {
  D: number[];
  eigenvalues: number[];
  explained_stress: number[];
  frobenius2: number;
  coords: number[];
}

afterAll(() => shutdownPool());

describe("cross-check against NumPy (scripts/reference.py)", skipWhen(numpyMissing), () => {
  const dir = mkdtempSync(join(tmpdir(), "inpca-xcheck-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const [M, S, C, zeros] of [[120, 200, 10, 0], [400, 150, 10, 0.02]] as const) {
    it(`M=${M}, S=${S}, C=${C}${zeros ? ", with exact zeros" : ""}: D, eigenvalues, explained stress and coordinates agree`, async () => {
      const set = randomSet(M, S, C, 11 + M, { zeros });
      const file = join(dir, `p${M}.npy`);
      writeFileSync(file, writeNpy(set.probs, [M, S, C]));
      const out = join(dir, `r${M}.json`);
      reference(["check", file, out, "--dims", "3"]);
      const ref = JSON.parse(readFileSync(out, "utf8")) as Reference;
      const D = await bhattacharyya(set, { threads: 2, showProgress: false });
      let maxAbs = 0;
      for (let q = 0; q < M * M; q++) maxAbs = Math.max(maxAbs, Math.abs(D.data[q]! - ref.D[q]!));
      expect(maxAbs).toBeLessThan(1e-12);
      const emb = inpca(D, { dims: 3, spectrum: 50, solver: "lanczos" });
      const top = Math.abs(ref.eigenvalues[0]!);
      for (let k = 0; k < 50; k++) expect(Math.abs(emb.spectrum[k]! - ref.eigenvalues[k]!) / top).toBeLessThan(1e-9);
      expect(emb.frobenius2).toBeCloseTo(ref.frobenius2, 9);
      for (let k = 0; k < 50; k++) expect((1 - emb.explainedStress[k]!) ** 2).toBeCloseTo((1 - ref.explained_stress[k]!) ** 2, 9);
      // coordinates agree up to the sign of each axis
      for (let k = 0; k < 3; k++) {
        let dot = 0;
        for (let i = 0; i < M; i++) dot += emb.coord(i, k) * ref.coords[i * 3 + k]!;
        const sign = Math.sign(dot);
        for (let i = 0; i < M; i++) expect(emb.coord(i, k)).toBeCloseTo(sign * ref.coords[i * 3 + k]!, 7);
      }
    }, 120_000);
  }
});
