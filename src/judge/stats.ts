/** Small, dependency-free statistics used by baseline and trend judgements. */

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/**
 * Complementary error function, Numerical Recipes' erfcc (Chebyshev fit,
 * fractional error below 1.2e-7 everywhere): ample for p-values at alpha 0.05.
 */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** Standard normal cumulative distribution function. */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

export interface MannWhitneyResult {
  /** U of the first sample: the number of (x, y) pairs with x > y, ties counted one half. */
  u: number;
  /** Mean of U under the null hypothesis, n1 * n2 / 2. */
  meanU: number;
  /** Standard deviation of U under the null hypothesis, with the tie correction. */
  sdU: number;
  /** z with continuity correction, positive when x tends to be larger than y. */
  z: number;
  /** One-sided p-value of "x tends to be larger than y" (normal approximation). */
  pGreater: number;
  /** One-sided p-value of "x tends to be smaller than y" (normal approximation). */
  pLess: number;
}

/**
 * Mann-Whitney U test of x against y: mid-ranks for ties, normal approximation
 * with the tie-corrected variance and a continuity correction of 0.5 (the same
 * as scipy.stats.mannwhitneyu(x, y, method="asymptotic", use_continuity=True)).
 * Both samples must be non-empty.
 */
export function mannWhitneyU(x: readonly number[], y: readonly number[]): MannWhitneyResult {
  const n1 = x.length;
  const n2 = y.length;
  if (n1 === 0 || n2 === 0) throw new RangeError("mannWhitneyU: both samples must be non-empty");
  const n = n1 + n2;
  const all = [...x.map((v) => ({ v, first: true })), ...y.map((v) => ({ v, first: false }))].sort((a, b) => a.v - b.v);
  let rankSumX = 0;
  let tieTerm = 0; // sum of (t^3 - t) over groups of tied values
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && all[j + 1]!.v === all[i]!.v) j++;
    const midRank = (i + j + 2) / 2; // ranks are 1-based
    const t = j - i + 1;
    tieTerm += t * t * t - t;
    for (let k = i; k <= j; k++) if (all[k]!.first) rankSumX += midRank;
    i = j + 1;
  }
  const u = rankSumX - (n1 * (n1 + 1)) / 2;
  const meanU = (n1 * n2) / 2;
  const varU = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  const sdU = varU > 0 ? Math.sqrt(varU) : 0;
  if (sdU === 0) {
    // Every value is the same: no evidence of a difference in either direction.
    return { u, meanU, sdU, z: 0, pGreater: 1, pLess: 1 };
  }
  const zGreater = (u - meanU - 0.5) / sdU;
  const zLess = (u - meanU + 0.5) / sdU;
  const d = u - meanU;
  const z = d === 0 ? 0 : d > 0 ? Math.max(0, zGreater) : Math.min(0, zLess);
  return { u, meanU, sdU, z, pGreater: 1 - normalCdf(zGreater), pLess: normalCdf(zLess) };
}

export interface LinearFit {
  slope: number;
  intercept: number;
  r2: number;
}

/** Ordinary least squares y = intercept + slope * x. Needs 2+ points with distinct x. */
export function leastSquares(xs: readonly number[], ys: readonly number[]): LinearFit {
  const n = xs.length;
  const mx = mean(xs);
  const my = mean(ys);
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i]! - mx;
    const dy = ys[i]! - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  if (n < 2 || sxx === 0) throw new RangeError("leastSquares: needs at least 2 points with distinct x");
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  // r2 = explained / total variance; a perfectly flat series explains nothing because there is nothing.
  const r2 = syy === 0 ? 0 : (sxy * sxy) / (sxx * syy);
  return { slope, intercept, r2 };
}
