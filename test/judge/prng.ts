/** Deterministic pseudo-random numbers for synthetic series (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` values uniformly spread in center ± spread. */
export function noisy(rand: () => number, n: number, center: number, spread: number): number[] {
  return Array.from({ length: n }, () => center + (rand() * 2 - 1) * spread);
}
