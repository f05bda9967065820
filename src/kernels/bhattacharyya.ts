// AssemblyScript (compiled to WebAssembly with SIMD by scripts/build.mjs into dist/kernels/; not part of the tsc build).
//
// Inner kernel of the Bhattacharyya distance matrix (METHODS §2): for a strip of one or two row models and a
// range of column tiles of four models, over one block of B samples, it accumulates for every pair (i, j)
//   P_ij = Π_n clamp(BC_ijn, e^-100, 1)   with   BC_ijn = Σ_c a_inc · a_jnc   (a = sqrt of probabilities)
// as a float64 mantissa `p` and a count `k` of exact rescalings by 2^SHIFT, so that the caller recovers
//   Σ_n -log clamp(BC_ijn) = k·SHIFT·ln 2 - log p
// with one logarithm per pair and block instead of one per sample (the logs dominate the cost otherwise).
// Rescaling by a power of two is exact, so the result does not depend on how pairs are grouped into tiles or
// spread over workers: every pair sees the same float64 operations in the same order as the scalar reference.
//
// Memory layout of a packed block (both rows and columns): tile t holds models 4t..4t+3; within a tile,
// for sample n and class c, four float64 lanes (one per model) at byte offset ((t·B + n)·C + c)·32 + lane·8.

const LO: f64 = 3.720075976020836e-44; // e^-TERM_CAP (core/rows.ts: a per-sample term is capped at 100 nats, METHODS §2)
const SMALL: f64 = 3.054936363499605e-151; // 2^-500: rescale p when it falls below this
const SCALE: f64 = 3.273390607896142e150; // 2^500

/** Byte size of one packed tile of four models over B samples and C classes. */
export function tileBytes(B: i32, C: i32): i32 {
  return B * C * 32;
}

/**
 * Accumulates one block for row models i0 (and i0+1 when rows = 2) against column tiles [jt0, jt1).
 * rowBase/colBase: packed blocks; outP/outK: float64 [rows][ (jt1-jt0)·4 ] products and rescaling counts,
 * which this call initialises (p = 1, k = 0) and fills.
 */
export function strip(rowBase: usize, colBase: usize, i0: i32, rows: i32, jt0: i32, jt1: i32, B: i32, C: i32, outP: usize, outK: usize): void {
  const tb = <usize>tileBytes(B, C);
  const width = <usize>(jt1 - jt0) * 4;
  const r0 = rowBase + <usize>(i0 >> 2) * tb + (<usize>(i0 & 3) << 3);
  const i1 = i0 + 1;
  const r1 = rowBase + <usize>(i1 >> 2) * tb + (<usize>(i1 & 3) << 3);
  const lo = f64x2.splat(LO);
  const one = f64x2.splat(1.0);
  const small = f64x2.splat(SMALL);
  const scale = f64x2.splat(SCALE);
  const zero = f64x2.splat(0.0);
  for (let jt = jt0; jt < jt1; jt++) {
    const cb = colBase + <usize>jt * tb;
    let p00 = one, p01 = one, p10 = one, p11 = one;
    let k00 = i64x2.splat(0), k01 = i64x2.splat(0), k10 = i64x2.splat(0), k11 = i64x2.splat(0);
    if (rows == 2) {
      for (let n: i32 = 0; n < B; n++) {
        let s00 = zero, s01 = zero, s10 = zero, s11 = zero;
        const off = <usize>(n * C) * 32;
        for (let c: i32 = 0; c < C; c++) {
          const o = off + (<usize>c << 5);
          const y0 = v128.load(cb + o);
          const y1 = v128.load(cb + o, 16);
          const a = f64x2.splat(load<f64>(r0 + o));
          const b = f64x2.splat(load<f64>(r1 + o));
          s00 = f64x2.add(s00, f64x2.mul(a, y0));
          s01 = f64x2.add(s01, f64x2.mul(a, y1));
          s10 = f64x2.add(s10, f64x2.mul(b, y0));
          s11 = f64x2.add(s11, f64x2.mul(b, y1));
        }
        p00 = f64x2.mul(p00, f64x2.min(f64x2.max(s00, lo), one));
        p01 = f64x2.mul(p01, f64x2.min(f64x2.max(s01, lo), one));
        p10 = f64x2.mul(p10, f64x2.min(f64x2.max(s10, lo), one));
        p11 = f64x2.mul(p11, f64x2.min(f64x2.max(s11, lo), one));
        let m = f64x2.lt(p00, small);
        p00 = v128.bitselect(f64x2.mul(p00, scale), p00, m);
        k00 = i64x2.sub(k00, m);
        m = f64x2.lt(p01, small);
        p01 = v128.bitselect(f64x2.mul(p01, scale), p01, m);
        k01 = i64x2.sub(k01, m);
        m = f64x2.lt(p10, small);
        p10 = v128.bitselect(f64x2.mul(p10, scale), p10, m);
        k10 = i64x2.sub(k10, m);
        m = f64x2.lt(p11, small);
        p11 = v128.bitselect(f64x2.mul(p11, scale), p11, m);
        k11 = i64x2.sub(k11, m);
      }
    } else {
      for (let n: i32 = 0; n < B; n++) {
        let s00 = zero, s01 = zero;
        const off = <usize>(n * C) * 32;
        for (let c: i32 = 0; c < C; c++) {
          const o = off + (<usize>c << 5);
          const a = f64x2.splat(load<f64>(r0 + o));
          s00 = f64x2.add(s00, f64x2.mul(a, v128.load(cb + o)));
          s01 = f64x2.add(s01, f64x2.mul(a, v128.load(cb + o, 16)));
        }
        p00 = f64x2.mul(p00, f64x2.min(f64x2.max(s00, lo), one));
        p01 = f64x2.mul(p01, f64x2.min(f64x2.max(s01, lo), one));
        let m = f64x2.lt(p00, small);
        p00 = v128.bitselect(f64x2.mul(p00, scale), p00, m);
        k00 = i64x2.sub(k00, m);
        m = f64x2.lt(p01, small);
        p01 = v128.bitselect(f64x2.mul(p01, scale), p01, m);
        k01 = i64x2.sub(k01, m);
      }
    }
    const o0 = (<usize>(jt - jt0) * 4) << 3;
    v128.store(outP + o0, p00);
    v128.store(outP + o0, p01, 16);
    v128.store(outK + o0, f64x2.convert_low_i32x4_s(i32x4.shuffle(k00, k00, 0, 2, 0, 2)));
    v128.store(outK + o0, f64x2.convert_low_i32x4_s(i32x4.shuffle(k01, k01, 0, 2, 0, 2)), 16);
    if (rows == 2) {
      const o1 = o0 + (width << 3);
      v128.store(outP + o1, p10);
      v128.store(outP + o1, p11, 16);
      v128.store(outK + o1, f64x2.convert_low_i32x4_s(i32x4.shuffle(k10, k10, 0, 2, 0, 2)));
      v128.store(outK + o1, f64x2.convert_low_i32x4_s(i32x4.shuffle(k11, k11, 0, 2, 0, 2)), 16);
    }
  }
}
