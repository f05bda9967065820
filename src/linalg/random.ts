/**
 * A small seeded pseudo-random generator (mulberry32 for uniforms, Box–Muller for normals): deterministic
 * start vectors for the eigen-solver and reproducible synthetic data. Not for cryptography.
 */

/** Returns a function giving uniform numbers in [0, 1) from a 32-bit seed. */
export function uniform(seed = 1): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Returns a function giving standard normal numbers from a 32-bit seed. */
export function normal(seed = 1): () => number {
  const u = uniform(seed);
  return () => {
    let a = u();
    while (a <= 0) a = u();
    return Math.sqrt(-2 * Math.log(a)) * Math.cos(2 * Math.PI * u());
  };
}
