// AssemblyScript (compiled to WebAssembly with SIMD by scripts/build.mjs into dist/kernels/; not part of the tsc build).
//
// Inner kernel of the Bhattacharyya distance matrix (docs/methods.md §2): for a strip of one or two row models and a
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

const LO: f64 = 3.720075976020836e-44; // e^-TERM_CAP (core/rows.ts: a per-sample term is capped at 100 nats, docs/methods.md §2)
const SMALL: f64 = 3.054936363499605e-151; // 2^-500: rescale p when it falls below this
const SCALE: f64 = 3.273390607896142e150; // 2^500
/** Samples between tests for rescaling (see the float32 section below: the result does not depend on it). */
const RESCALE_EVERY: i32 = 3;

/**
 * a·b + c in float32 lanes, product rounded then sum rounded. (A fused f32x4.relaxed_madd variant, enabled in Node
 * 20 through the V8 flag --experimental-wasm-relaxed-simd, measured 0–8 % faster on this machine, within its
 * noise, and was not kept.)
 */
// @ts-ignore: decorator
@inline function madd32(a: v128, b: v128, c: v128): v128 {
  return f32x4.add(c, f32x4.mul(a, b));
}

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
    let until = RESCALE_EVERY;
    if (rows == 2) {
      for (let n: i32 = 0; n < B; n++) {
        let s00 = zero, s01 = zero, s10 = zero, s11 = zero;
        const off = <usize>(n * C) * 32;
        for (let c: i32 = 0; c < C; c++) {
          const o = off + (<usize>c << 5);
          const y0 = v128.load(cb + o);
          const y1 = v128.load(cb + o, 16);
          const a = v128.load64_splat(r0 + o);
          const b = v128.load64_splat(r1 + o);
          s00 = f64x2.add(s00, f64x2.mul(a, y0));
          s01 = f64x2.add(s01, f64x2.mul(a, y1));
          s10 = f64x2.add(s10, f64x2.mul(b, y0));
          s11 = f64x2.add(s11, f64x2.mul(b, y1));
        }
        p00 = f64x2.mul(p00, f64x2.pmin(f64x2.pmax(s00, lo), one));
        p01 = f64x2.mul(p01, f64x2.pmin(f64x2.pmax(s01, lo), one));
        p10 = f64x2.mul(p10, f64x2.pmin(f64x2.pmax(s10, lo), one));
        p11 = f64x2.mul(p11, f64x2.pmin(f64x2.pmax(s11, lo), one));
        if (n + 1 == until || n + 1 == B) {
          until += RESCALE_EVERY;
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
      }
    } else {
      for (let n: i32 = 0; n < B; n++) {
        let s00 = zero, s01 = zero;
        const off = <usize>(n * C) * 32;
        for (let c: i32 = 0; c < C; c++) {
          const o = off + (<usize>c << 5);
          const a = v128.load64_splat(r0 + o);
          s00 = f64x2.add(s00, f64x2.mul(a, v128.load(cb + o)));
          s01 = f64x2.add(s01, f64x2.mul(a, v128.load(cb + o, 16)));
        }
        p00 = f64x2.mul(p00, f64x2.pmin(f64x2.pmax(s00, lo), one));
        p01 = f64x2.mul(p01, f64x2.pmin(f64x2.pmax(s01, lo), one));
        if (n + 1 == until || n + 1 == B) {
          until += RESCALE_EVERY;
          let m = f64x2.lt(p00, small);
          p00 = v128.bitselect(f64x2.mul(p00, scale), p00, m);
          k00 = i64x2.sub(k00, m);
          m = f64x2.lt(p01, small);
          p01 = v128.bitselect(f64x2.mul(p01, scale), p01, m);
          k01 = i64x2.sub(k01, m);
        }
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

// ---------------------------------------------------------------------------------------------------------------
// float32 path (precision "f32"): the square roots are packed as float32 and each per-sample coefficient
// BC_ijn = Σ_c a_inc · a_jnc is summed in float32 lanes, four models to a vector (twice the lanes of float64
// and half the bytes); the clamp and the product over samples are float64 as above, so only the coefficients
// carry float32 rounding (relative ~1e-7 each). Layout: tile t, sample n, class c: four float32 lanes at byte
// offset ((t·B + n)·C + c)·16 + lane·4.
//
// The float64 path tests for rescaling every RESCALE_EVERY samples instead of every sample: between tests p falls by
// at most e^-300 from ≥ 2^-500, which stays a normal float64, and scaling by 2^500 commutes exactly with rounding,
// so the result is bit-identical to testing every sample. The float32 path instead moves p's binary exponent
// into an integer counter every NORMALIZE_EVERY samples (p back in [1, 2), exact): 7 samples take p down by at most
// e^-700, still a normal float64, and it costs 4 integer operations per pair of lanes instead of 4 per 3 samples.
// Its K output is then the exponent sum E (p_true = P·2^E), not a count of rescalings.

const NORMALIZE_EVERY: i32 = 7;

/** The exponent sums of two lanes, less `bias` (1023 per normalisation), as two float64 values. */
// @ts-ignore: decorator
@inline function exponents(k: v128, bias: v128): v128 {
  const e = i64x2.sub(k, bias);
  return f64x2.convert_low_i32x4_s(i32x4.shuffle(e, e, 0, 2, 0, 2));
}


/** Byte size of one packed float32 tile of four models over B samples and C classes. */
export function tileBytes32(B: i32, C: i32): i32 {
  return B * C * 16;
}

/**
 * One column tile at a time over float32-packed blocks, for the last tile of `strip32`; `width` is the output
 * row width (values between the two rows' outputs) of the whole strip.
 */
function strip32Rows(rowBase: usize, colBase: usize, i0: i32, rows: i32, jt0: i32, jt1: i32, B: i32, C: i32, outP: usize, outK: usize, width: usize): void {
  const tb = <usize>tileBytes32(B, C);
  const r0 = rowBase + <usize>(i0 >> 2) * tb + (<usize>(i0 & 3) << 2);
  const i1 = i0 + 1;
  const r1 = rowBase + <usize>(i1 >> 2) * tb + (<usize>(i1 & 3) << 2);
  const lo = f64x2.splat(LO);
  const one32 = f32x4.splat(1.0);
  const mant = i64x2.splat(0x000FFFFFFFFFFFFF);
  const oneExp = i64x2.splat(0x3FF0000000000000);
  const zero = f32x4.splat(0.0);
  const rowStep = <usize>C * 16;
  for (let jt = jt0; jt < jt1; jt++) {
    const cb = colBase + <usize>jt * tb;
    let p00 = f64x2.splat(1.0), p01 = f64x2.splat(1.0), p10 = f64x2.splat(1.0), p11 = f64x2.splat(1.0);
    let k00 = i64x2.splat(0), k01 = i64x2.splat(0), k10 = i64x2.splat(0), k11 = i64x2.splat(0);
    let a0 = r0, a1 = r1, y = cb;
    let until = NORMALIZE_EVERY;
    let nn: i64 = 0;
    for (let n: i32 = 0; n < B; n++) {
      let s0 = zero, s1 = zero;
      if (rows == 2) {
        for (let c: i32 = 0; c < C; c++) {
          const o = <usize>c << 4;
          const v = v128.load(y + o);
          s0 = madd32(v128.load32_splat(a0 + o), v, s0);
          s1 = madd32(v128.load32_splat(a1 + o), v, s1);
        }
      } else {
        for (let c: i32 = 0; c < C; c++) {
          const o = <usize>c << 4;
          s0 = madd32(v128.load32_splat(a0 + o), v128.load(y + o), s0);
        }
      }
      a0 += rowStep;
      a1 += rowStep;
      y += rowStep;
      s0 = f32x4.pmin(s0, one32);
      p00 = f64x2.mul(p00, f64x2.pmax(f64x2.promote_low_f32x4(s0), lo));
      p01 = f64x2.mul(p01, f64x2.pmax(f64x2.promote_low_f32x4(i32x4.shuffle(s0, s0, 2, 3, 2, 3)), lo));
      if (rows == 2) {
        s1 = f32x4.pmin(s1, one32);
        p10 = f64x2.mul(p10, f64x2.pmax(f64x2.promote_low_f32x4(s1), lo));
        p11 = f64x2.mul(p11, f64x2.pmax(f64x2.promote_low_f32x4(i32x4.shuffle(s1, s1, 2, 3, 2, 3)), lo));
      }
      if (n + 1 == until || n + 1 == B) {
        until += NORMALIZE_EVERY;
        nn++;
        k00 = i64x2.add(k00, i64x2.shr_u(p00, 52));
        p00 = v128.or(v128.and(p00, mant), oneExp);
        k01 = i64x2.add(k01, i64x2.shr_u(p01, 52));
        p01 = v128.or(v128.and(p01, mant), oneExp);
        if (rows == 2) {
          k10 = i64x2.add(k10, i64x2.shr_u(p10, 52));
          p10 = v128.or(v128.and(p10, mant), oneExp);
          k11 = i64x2.add(k11, i64x2.shr_u(p11, 52));
          p11 = v128.or(v128.and(p11, mant), oneExp);
        }
      }
    }
    const bias = i64x2.splat(nn * 1023);
    const o0 = (<usize>(jt - jt0) * 4) << 3;
    v128.store(outP + o0, p00);
    v128.store(outP + o0, p01, 16);
    v128.store(outK + o0, exponents(k00, bias));
    v128.store(outK + o0, exponents(k01, bias), 16);
    if (rows == 2) {
      const o1 = o0 + (width << 3);
      v128.store(outP + o1, p10);
      v128.store(outP + o1, p11, 16);
      v128.store(outK + o1, exponents(k10, bias));
      v128.store(outK + o1, exponents(k11, bias), 16);
    }
  }
}

/**
 * As `strip`, over float32-packed blocks (see above): two column tiles (eight models) per pass, so that each
 * sample has four independent float32 accumulators (the sums over classes are latency-bound otherwise); an odd
 * last tile goes through `strip32Rows`. Every pair sees the same operations in the same order either way.
 */
export function strip32(rowBase: usize, colBase: usize, i0: i32, rows: i32, jt0: i32, jt1: i32, B: i32, C: i32, outP: usize, outK: usize): void {
  const tb = <usize>tileBytes32(B, C);
  const width = <usize>(jt1 - jt0) * 4;
  const r0 = rowBase + <usize>(i0 >> 2) * tb + (<usize>(i0 & 3) << 2);
  const i1 = i0 + 1;
  const r1 = rows == 2 ? rowBase + <usize>(i1 >> 2) * tb + (<usize>(i1 & 3) << 2) : r0;
  const lo = f64x2.splat(LO);
  const one32 = f32x4.splat(1.0);
  const mant = i64x2.splat(0x000FFFFFFFFFFFFF);
  const oneExp = i64x2.splat(0x3FF0000000000000);
  const zero = f32x4.splat(0.0);
  const rowStep = <usize>C * 16;
  let jt = jt0;
  for (; jt + 1 < jt1; jt += 2) {
    const cb = colBase + <usize>jt * tb;
    const cb2 = cb + tb;
    let p0a = f64x2.splat(1.0), p0b = f64x2.splat(1.0), p0c = f64x2.splat(1.0), p0d = f64x2.splat(1.0);
    let p1a = f64x2.splat(1.0), p1b = f64x2.splat(1.0), p1c = f64x2.splat(1.0), p1d = f64x2.splat(1.0);
    const o0 = (<usize>(jt - jt0) * 4) << 3;
    const kq = outK + o0;
    const kr = kq + (width << 3);
    const z = i64x2.splat(0);
    v128.store(kq, z); v128.store(kq, z, 16); v128.store(kq, z, 32); v128.store(kq, z, 48);
    v128.store(kr, z); v128.store(kr, z, 16); v128.store(kr, z, 32); v128.store(kr, z, 48);
    let a0 = r0, a1 = r1, y = cb, y2 = cb2;
    let until = NORMALIZE_EVERY;
    let nn: i64 = 0;
    for (let n: i32 = 0; n < B; n++) {
      let s0 = zero, s1 = zero, t0 = zero, t1 = zero;
      for (let c: i32 = 0; c < C; c++) {
        const o = <usize>c << 4;
        const v = v128.load(y + o);
        const w = v128.load(y2 + o);
        const x0 = v128.load32_splat(a0 + o);
        const x1 = v128.load32_splat(a1 + o);
        s0 = madd32(x0, v, s0);
        t0 = madd32(x0, w, t0);
        s1 = madd32(x1, v, s1);
        t1 = madd32(x1, w, t1);
      }
      a0 += rowStep;
      a1 += rowStep;
      y += rowStep;
      y2 += rowStep;
      s0 = f32x4.pmin(s0, one32);
      t0 = f32x4.pmin(t0, one32);
      s1 = f32x4.pmin(s1, one32);
      t1 = f32x4.pmin(t1, one32);
      p0a = f64x2.mul(p0a, f64x2.pmax(f64x2.promote_low_f32x4(s0), lo));
      p0b = f64x2.mul(p0b, f64x2.pmax(f64x2.promote_low_f32x4(i32x4.shuffle(s0, s0, 2, 3, 2, 3)), lo));
      p0c = f64x2.mul(p0c, f64x2.pmax(f64x2.promote_low_f32x4(t0), lo));
      p0d = f64x2.mul(p0d, f64x2.pmax(f64x2.promote_low_f32x4(i32x4.shuffle(t0, t0, 2, 3, 2, 3)), lo));
      p1a = f64x2.mul(p1a, f64x2.pmax(f64x2.promote_low_f32x4(s1), lo));
      p1b = f64x2.mul(p1b, f64x2.pmax(f64x2.promote_low_f32x4(i32x4.shuffle(s1, s1, 2, 3, 2, 3)), lo));
      p1c = f64x2.mul(p1c, f64x2.pmax(f64x2.promote_low_f32x4(t1), lo));
      p1d = f64x2.mul(p1d, f64x2.pmax(f64x2.promote_low_f32x4(i32x4.shuffle(t1, t1, 2, 3, 2, 3)), lo));
      if (n + 1 == until || n + 1 == B) {
        until += NORMALIZE_EVERY;
        nn++;
        v128.store(kq, i64x2.add(v128.load(kq), i64x2.shr_u(p0a, 52))); p0a = v128.or(v128.and(p0a, mant), oneExp);
        v128.store(kq, i64x2.add(v128.load(kq, 16), i64x2.shr_u(p0b, 52)), 16); p0b = v128.or(v128.and(p0b, mant), oneExp);
        v128.store(kq, i64x2.add(v128.load(kq, 32), i64x2.shr_u(p0c, 52)), 32); p0c = v128.or(v128.and(p0c, mant), oneExp);
        v128.store(kq, i64x2.add(v128.load(kq, 48), i64x2.shr_u(p0d, 52)), 48); p0d = v128.or(v128.and(p0d, mant), oneExp);
        v128.store(kr, i64x2.add(v128.load(kr), i64x2.shr_u(p1a, 52))); p1a = v128.or(v128.and(p1a, mant), oneExp);
        v128.store(kr, i64x2.add(v128.load(kr, 16), i64x2.shr_u(p1b, 52)), 16); p1b = v128.or(v128.and(p1b, mant), oneExp);
        v128.store(kr, i64x2.add(v128.load(kr, 32), i64x2.shr_u(p1c, 52)), 32); p1c = v128.or(v128.and(p1c, mant), oneExp);
        v128.store(kr, i64x2.add(v128.load(kr, 48), i64x2.shr_u(p1d, 52)), 48); p1d = v128.or(v128.and(p1d, mant), oneExp);
      }
    }
    const bias = i64x2.splat(nn * 1023);
    v128.store(outP + o0, p0a); v128.store(outP + o0, p0b, 16); v128.store(outP + o0, p0c, 32); v128.store(outP + o0, p0d, 48);
    v128.store(kq, exponents(v128.load(kq), bias));
    v128.store(kq, exponents(v128.load(kq, 16), bias), 16);
    v128.store(kq, exponents(v128.load(kq, 32), bias), 32);
    v128.store(kq, exponents(v128.load(kq, 48), bias), 48);
    if (rows == 2) {
      const o1 = o0 + (width << 3);
      v128.store(outP + o1, p1a); v128.store(outP + o1, p1b, 16); v128.store(outP + o1, p1c, 32); v128.store(outP + o1, p1d, 48);
      v128.store(kr, exponents(v128.load(kr), bias));
      v128.store(kr, exponents(v128.load(kr, 16), bias), 16);
      v128.store(kr, exponents(v128.load(kr, 32), bias), 32);
      v128.store(kr, exponents(v128.load(kr, 48), bias), 48);
    }
  }
  if (jt < jt1) strip32Rows(rowBase, colBase, i0, rows, jt, jt1, B, C, outP + (<usize>(jt - jt0) << 5), outK + (<usize>(jt - jt0) << 5), width);
}
