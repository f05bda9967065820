/**
 * Simple augmentation for 28×28 images: a random shifted crop (pad by `pad` pixels with zeros, crop back at a
 * random offset) and a random horizontal flip. Pure function over flat NHWC Float32Arrays with a seeded RNG.
 */

/**
 * Writes the augmented copy of `n` images [n, h, w, 1] from `src` into `dst`. `random()` returns numbers in
 * [0, 1) (seeded by the caller so runs are reproducible).
 */
export function shiftCropFlip(src: Float32Array, dst: Float32Array, n: number, h: number, w: number, random: () => number, pad = 2): void {
  for (let i = 0; i < n; i++) {
    const dy = Math.floor(random() * (2 * pad + 1)) - pad;
    const dx = Math.floor(random() * (2 * pad + 1)) - pad;
    const flip = random() < 0.5;
    const o = i * h * w;
    for (let y = 0; y < h; y++) {
      const sy = y + dy;
      for (let x = 0; x < w; x++) {
        const sx0 = flip ? w - 1 - x : x;
        const sx = sx0 + dx;
        dst[o + y * w + x] = sy >= 0 && sy < h && sx >= 0 && sx < w ? src[o + sy * w + sx]! : 0;
      }
    }
  }
}
