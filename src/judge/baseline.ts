import { z } from "zod";
import type { Direction } from "./bands.ts";
import { METRIC, type Thresholds } from "./config.ts";
import { mannWhitneyU, median } from "./stats.ts";

/**
 * "Within 5 % of baseline" compares distributions, not single numbers, the way
 * automated canary analysis does: this checkpoint's samples against the
 * baseline's samples with a one-sided Mann-Whitney U test in the "worse"
 * direction, plus the relative and absolute change of the median. Only a
 * change for the worse that is significant AND larger than the tolerance AND
 * larger than a minimum absolute effect warns. The absolute bands decide FAIL;
 * the only FAIL here is a comparison that cannot be made (no baseline, no
 * samples), because a missing baseline is never a PASS.
 */

export type BaselineVerdict = "PASS" | "WARN" | "FAIL";

export interface BaselineComparisonInput {
  current: readonly number[];
  baseline: readonly number[];
  direction: Direction;
  /** e.g. 5 for "within 5 %". */
  tolerancePercent: number;
  /** In the metric's unit; a smaller change for the worse is noise. */
  minAbsoluteEffect: number;
  /** One-sided significance level, e.g. 0.05. */
  alpha: number;
  /** For the reason text only. */
  metric?: string;
  unit?: string;
}

export interface BaselineComparison {
  verdict: BaselineVerdict;
  medianCurrent: number | null;
  medianBaseline: number | null;
  /** Change of the median in percent of the baseline median, positive = worse. Infinity when the baseline median is 0. */
  relativeChangePercent: number | null;
  /** Change of the median in the metric's unit, positive = worse. */
  absoluteChange: number | null;
  /** U statistic for "current is worse than baseline" (pairs where current is worse; ties half). */
  u: number | null;
  /** Normal-approximation z in the worse direction (continuity-corrected). */
  z: number | null;
  /** One-sided p-value that current is worse than baseline. */
  pValue: number | null;
  significant: boolean;
  samples: { current: number; baseline: number };
  reason: string;
}

const finite = (values: readonly number[]) => values.filter((v) => typeof v === "number" && Number.isFinite(v));

function fmt(n: number, digits = 3): string {
  if (!Number.isFinite(n)) return n > 0 ? "+inf" : n < 0 ? "-inf" : "NaN";
  return Number(n.toPrecision(digits)).toString();
}

function signed(n: number, digits = 3): string {
  return n > 0 ? `+${fmt(n, digits)}` : fmt(n, digits);
}

export function compareToBaseline(input: BaselineComparisonInput): BaselineComparison {
  const { direction, tolerancePercent, minAbsoluteEffect, alpha } = input;
  const label = input.metric ?? "metric";
  const unit = input.unit ? ` ${input.unit}` : "";
  const current = finite(input.current);
  const baseline = finite(input.baseline);
  const dropped = input.current.length - current.length + (input.baseline.length - baseline.length);
  const droppedNote = dropped > 0 ? `; ${dropped} non-numeric value(s) ignored` : "";
  const empty = (reason: string): BaselineComparison => ({
    verdict: "FAIL",
    medianCurrent: current.length ? median(current) : null,
    medianBaseline: baseline.length ? median(baseline) : null,
    relativeChangePercent: null,
    absoluteChange: null,
    u: null,
    z: null,
    pValue: null,
    significant: false,
    samples: { current: current.length, baseline: baseline.length },
    reason: `${label}: ${reason}${droppedNote}`,
  });
  if (baseline.length === 0) return empty("no baseline (a missing baseline is never a PASS)");
  if (current.length === 0) return empty("no samples (nothing measured)");

  const medianCurrent = median(current);
  const medianBaseline = median(baseline);
  const worseSign = direction === "higher_is_worse" ? 1 : -1;
  const absoluteChange = worseSign * (medianCurrent - medianBaseline);
  const relativeChangePercent =
    medianBaseline === 0
      ? absoluteChange === 0
        ? 0
        : Math.sign(absoluteChange) * Number.POSITIVE_INFINITY
      : (absoluteChange / Math.abs(medianBaseline)) * 100;

  const mw = mannWhitneyU(current, baseline);
  const nPairs = current.length * baseline.length;
  const u = direction === "higher_is_worse" ? mw.u : nPairs - mw.u;
  const z = direction === "higher_is_worse" ? mw.z : -mw.z;
  const pValue = direction === "higher_is_worse" ? mw.pGreater : mw.pLess;
  const significant = pValue < alpha;

  const worseThanTolerance = relativeChangePercent > tolerancePercent;
  const largerThanNoise = absoluteChange > minAbsoluteEffect;
  const verdict: BaselineVerdict = significant && worseThanTolerance && largerThanNoise ? "WARN" : "PASS";

  const why =
    verdict === "WARN"
      ? "worse beyond tolerance, significant and above the minimum effect"
      : absoluteChange <= 0
        ? "no change for the worse"
        : !significant
          ? `not significant at ${alpha}`
          : !worseThanTolerance
            ? `within ${tolerancePercent} %`
            : `below the minimum effect of ${minAbsoluteEffect}${unit}`;
  const reason =
    `${label}: median ${fmt(medianCurrent)}${unit} vs baseline ${fmt(medianBaseline)}${unit} ` +
    `(${signed(relativeChangePercent)} %, ${signed(absoluteChange)}${unit} worse-ward; n=${current.length}/${baseline.length}); ` +
    `Mann-Whitney U=${fmt(u, 6)}, z=${fmt(z)}, p=${fmt(pValue)} one-sided; ${verdict}: ${why}${droppedNote}`;

  return {
    verdict,
    medianCurrent,
    medianBaseline,
    relativeChangePercent,
    absoluteChange,
    u,
    z,
    pValue,
    significant,
    samples: { current: current.length, baseline: baseline.length },
    reason,
  };
}

export interface RatioComparisonInput {
  current: number | null | undefined;
  baseline: number | null | undefined;
  direction: Direction;
  tolerancePercent: number;
  minAbsoluteEffect: number;
  metric?: string;
  unit?: string;
}

export interface RatioComparison {
  verdict: BaselineVerdict;
  current: number | null;
  baseline: number | null;
  /** Positive = worse; Infinity when the baseline is 0 and current is worse. */
  relativeChangePercent: number | null;
  /** Positive = worse, in the metric's unit. */
  absoluteChange: number | null;
  reason: string;
}

/**
 * Plain ratio and absolute thresholds, for metrics that are mostly zero (error
 * rate) or whose baseline is a single number (the week-3 table). WARN when the
 * change for the worse exceeds the minimum absolute effect AND the tolerance
 * (a zero baseline has no ratio: any change beyond the minimum effect counts).
 */
export function compareRatio(input: RatioComparisonInput): RatioComparison {
  const label = input.metric ?? "metric";
  const unit = input.unit ? ` ${input.unit}` : "";
  const num = (v: number | null | undefined) => (typeof v === "number" && Number.isFinite(v) ? v : null);
  const current = num(input.current);
  const baseline = num(input.baseline);
  if (baseline === null) {
    return { verdict: "FAIL", current, baseline, relativeChangePercent: null, absoluteChange: null, reason: `${label}: no baseline (a missing baseline is never a PASS)` };
  }
  if (current === null) {
    return { verdict: "FAIL", current, baseline, relativeChangePercent: null, absoluteChange: null, reason: `${label}: no samples (nothing measured)` };
  }
  const worseSign = input.direction === "higher_is_worse" ? 1 : -1;
  const absoluteChange = worseSign * (current - baseline);
  const relativeChangePercent =
    baseline === 0 ? (absoluteChange === 0 ? 0 : Math.sign(absoluteChange) * Number.POSITIVE_INFINITY) : (absoluteChange / Math.abs(baseline)) * 100;
  const warn = absoluteChange > input.minAbsoluteEffect && relativeChangePercent > input.tolerancePercent;
  const why = warn
    ? "worse beyond tolerance and the minimum effect"
    : absoluteChange <= 0
      ? "no change for the worse"
      : absoluteChange <= input.minAbsoluteEffect
        ? `below the minimum effect of ${input.minAbsoluteEffect}${unit}`
        : `within ${input.tolerancePercent} %`;
  return {
    verdict: warn ? "WARN" : "PASS",
    current,
    baseline,
    relativeChangePercent,
    absoluteChange,
    reason: `${label}: ${fmt(current)}${unit} vs baseline ${fmt(baseline)}${unit} (${signed(relativeChangePercent)} %, ${signed(absoluteChange)}${unit} worse-ward); ${warn ? "WARN" : "PASS"}: ${why}`,
  };
}

/** A baseline recorded from a checkpoint's samples (the hour-1 baseline), kept in the judge state. */
export const baselineRecordSchema = z.object({
  /** "hour1", "week3", ... */
  source: z.string().min(1),
  checkpoint: z.string(),
  /** ISO time the samples were taken (clock time). */
  recordedAt: z.string(),
  /** Samples per metric id, e.g. { kpi_latency_ms: [...], memory_mb: [...] }. */
  samples: z.record(z.string(), z.array(z.number())),
});
export type BaselineRecord = z.infer<typeof baselineRecordSchema>;

/** Direction, tolerance, minimum effect and alpha for comparing one metric to its baseline. */
export type BaselineOptions = Omit<BaselineComparisonInput, "current" | "baseline">;

/**
 * The configured comparison for a metric id (kpi_latency_ms, error_rate_percent,
 * memory_mb, cpu_percent); undefined for a metric without a band.
 */
export function baselineOptionsFor(metric: string, thresholds: Thresholds): BaselineOptions | undefined {
  const t = thresholds;
  const pick = {
    [METRIC.kpiLatencyMs]: [t.kpiLatencyP95Ms, t.baselineMinimumAbsoluteEffect.kpiLatencyMs],
    [METRIC.errorRatePercent]: [t.errorRatePercent, t.baselineMinimumAbsoluteEffect.errorRatePercent],
    [METRIC.memoryMb]: [t.memoryMb, t.baselineMinimumAbsoluteEffect.memoryMb],
    [METRIC.cpuPercent]: [t.cpuPercent, t.baselineMinimumAbsoluteEffect.cpuPercent],
  } as const;
  const found = (pick as Record<string, readonly [Thresholds["memoryMb"], number]>)[metric];
  if (!found) return undefined;
  const [band, minAbsoluteEffect] = found;
  return {
    metric,
    unit: band.unit,
    direction: band.direction,
    tolerancePercent: t.baselineTolerancePercent,
    minAbsoluteEffect,
    alpha: t.significanceAlpha,
  };
}
