import { HOUR_MS, MINUTE_MS } from "./clock.ts";
import type { Thresholds } from "./config.ts";
import { leastSquares, mean } from "./stats.ts";
import type { Verdict } from "./verdict.ts";

/** One memory sample: `t` is the real sample time (epoch ms from the Clock), never a schedule label. */
export interface MemorySample {
  t: number;
  mb: number;
}

export interface MemoryTrendOk {
  status: "ok";
  /** Least-squares slope. */
  slopeMbPerHour: number;
  /** Slope relative to the fitted value at the first sample; null when that value is not positive. */
  growthPercentPerHour: number | null;
  r2: number;
  samples: number;
  windowMinutes: number;
  /** Largest deviation from the window's mean, in percent of the mean ("memory stable within ±10 %"). */
  stableWithinPercent: number;
  /** The same deviation in MB. */
  maxDeviationMb: number;
  /** Fitted values at the first and last sample. */
  fittedFirstMb: number;
  fittedLastMb: number;
  /** Fitted increase over the window (slope x window), MB. */
  fittedIncreaseMb: number;
  /** Projected hours from the last sample until the fitted line reaches the limit; 0 if it is already over, null if not growing. */
  hoursToLimit: number | null;
  /** The same projection to the 500 MB line of the checklist, whatever limitMb is. */
  hoursTo500Mb: number | null;
  limitMb: number;
}

export interface MemoryTrendInsufficient {
  status: "insufficient";
  samples: number;
  windowMinutes: number;
  reason: string;
}

export type MemoryTrend = MemoryTrendOk | MemoryTrendInsufficient;

/**
 * Memory growth from a least-squares slope over (time, MB) samples. Fewer than
 * two usable samples, or all at the same time, is "insufficient": never a PASS.
 */
export function memoryTrend(samples: readonly MemorySample[], options: { limitMb?: number } = {}): MemoryTrend {
  const limitMb = options.limitMb ?? 500;
  const usable = samples.filter((s) => Number.isFinite(s.t) && Number.isFinite(s.mb)).sort((a, b) => a.t - b.t);
  const windowMinutes = usable.length ? (usable[usable.length - 1]!.t - usable[0]!.t) / MINUTE_MS : 0;
  if (usable.length < 2) {
    return { status: "insufficient", samples: usable.length, windowMinutes, reason: `memory trend: ${usable.length} usable sample(s), need at least 2` };
  }
  if (windowMinutes === 0) {
    return { status: "insufficient", samples: usable.length, windowMinutes, reason: "memory trend: all samples were taken at the same time" };
  }
  const t0 = usable[0]!.t;
  const xs = usable.map((s) => (s.t - t0) / HOUR_MS);
  const ys = usable.map((s) => s.mb);
  const fit = leastSquares(xs, ys);
  const windowHours = xs[xs.length - 1]!;
  const fittedFirstMb = fit.intercept;
  const fittedLastMb = fit.intercept + fit.slope * windowHours;
  const m = mean(ys);
  const maxDeviationMb = Math.max(...ys.map((y) => Math.abs(y - m)));
  const stableWithinPercent = m > 0 ? (maxDeviationMb / m) * 100 : 0;
  const hoursTo = (line: number) => (fit.slope > 0 ? (fittedLastMb >= line ? 0 : (line - fittedLastMb) / fit.slope) : null);
  const hoursToLimit = hoursTo(limitMb);
  return {
    status: "ok",
    slopeMbPerHour: fit.slope,
    growthPercentPerHour: fittedFirstMb > 0 ? (fit.slope / fittedFirstMb) * 100 : null,
    r2: fit.r2,
    samples: usable.length,
    windowMinutes,
    stableWithinPercent,
    maxDeviationMb,
    fittedFirstMb,
    fittedLastMb,
    fittedIncreaseMb: fit.slope * windowHours,
    hoursToLimit,
    hoursTo500Mb: hoursTo(500),
    limitMb,
  };
}

export interface MemoryTrendJudgement {
  verdict: Verdict;
  /** growthPercentPerHour, or null when it could not be computed. */
  value: number | null;
  threshold: string;
  reason: string;
  trend: MemoryTrend;
}

/**
 * The leak check. FAIL when memory grows faster than the threshold (percent
 * per hour) and the fitted increase over the window is larger than the
 * minimum absolute effect (so two noisy samples a minute apart do not
 * extrapolate into a "leak"); WARN when it is not stable within ±N % (by more
 * than that minimum effect too); FAIL when there are too few samples (nothing
 * was judged).
 */
export function judgeMemoryTrend(
  trend: MemoryTrend,
  thresholds: Pick<Thresholds, "memoryGrowthPercentPerHour" | "memoryStableWithinPercent" | "baselineMinimumAbsoluteEffect">,
): MemoryTrendJudgement {
  const failAt = thresholds.memoryGrowthPercentPerHour.failAt;
  const stableWithin = thresholds.memoryStableWithinPercent;
  const minIncreaseMb = thresholds.baselineMinimumAbsoluteEffect.memoryMb;
  const threshold = `FAIL growth > ${failAt} %/h (fitted increase > ${minIncreaseMb} MB), WARN not stable within ±${stableWithin} %`;
  if (trend.status === "insufficient") {
    return { verdict: "FAIL", value: null, threshold, reason: `${trend.reason}: no trend, so no proof that memory is stable`, trend };
  }
  const g = trend.growthPercentPerHour;
  const growth = g === null ? "n/a" : `${g.toFixed(1)} %/h`;
  const projection = trend.hoursToLimit === null ? "not growing" : `${trend.hoursToLimit.toFixed(1)} h to ${trend.limitMb} MB`;
  const facts =
    `memory ${growth} (${trend.slopeMbPerHour.toFixed(1)} MB/h, r2 ${trend.r2.toFixed(2)}, ${trend.samples} samples over ${trend.windowMinutes.toFixed(0)} min), ` +
    `stable within ±${trend.stableWithinPercent.toFixed(1)} %, ${projection}`;
  const growing = g !== null && trend.fittedIncreaseMb > minIncreaseMb;
  if (growing && g > failAt) return { verdict: "FAIL", value: g, threshold, reason: `${facts}: growth above ${failAt} %/h`, trend };
  if (trend.stableWithinPercent > stableWithin && trend.maxDeviationMb > minIncreaseMb) {
    return { verdict: "WARN", value: g, threshold, reason: `${facts}: not stable within ±${stableWithin} %`, trend };
  }
  return { verdict: "PASS", value: g, threshold, reason: `${facts}: no growth pattern`, trend };
}
