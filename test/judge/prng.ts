/** Deterministic pseudo-random numbers for synthetic series: the same mulberry32 the tape generator uses. */
export { mulberry32 as prng } from "../../pipeline/tape/generate.ts";

/** `n` values uniformly spread in center ± spread. */
export function noisy(rand: () => number, n: number, center: number, spread: number): number[] {
  return Array.from({ length: n }, () => center + (rand() * 2 - 1) * spread);
}
