import type { Verdict } from "./verdict.ts";

export type Direction = "higher_is_worse" | "lower_is_worse";

/**
 * A target band (PASS), a warning band (WARN) and a critical band (FAIL).
 *
 * Boundary convention (docs/DESIGN.md: "< 100 ms PASS, 100-500 WARN, > 500 FAIL"):
 * - higher_is_worse: value < warnAt is PASS; warnAt <= value <= failAt is WARN; value > failAt is FAIL.
 * - lower_is_worse (mirror): value > warnAt is PASS; failAt <= value <= warnAt is WARN; value < failAt is FAIL.
 * Both band edges therefore belong to the WARN band.
 */
export interface Band {
  /** Metric id, the checkpoint record's field name (e.g. "kpi_latency_ms"). */
  metric: string;
  unit: string;
  direction: Direction;
  warnAt: number;
  failAt: number;
}

export interface BandJudgement {
  verdict: Verdict;
  metric: string;
  /** The measured value; null when nothing was measured. */
  value: number | null;
  /** Human text of the band, e.g. "PASS < 100 ms, WARN 100-500 ms, FAIL > 500 ms". */
  threshold: string;
  reason: string;
}

function withUnit(n: number, unit: string): string {
  return unit ? `${n} ${unit}` : String(n);
}

/** A band's human text, e.g. "PASS < 100 ms, WARN 100-500 ms, FAIL > 500 ms". */
export function describeBand(band: Band): string {
  const { warnAt, failAt, unit } = band;
  if (band.direction === "higher_is_worse") {
    return `PASS < ${withUnit(warnAt, unit)}, WARN ${warnAt}-${withUnit(failAt, unit)}, FAIL > ${withUnit(failAt, unit)}`;
  }
  return `PASS > ${withUnit(warnAt, unit)}, WARN ${failAt}-${withUnit(warnAt, unit)}, FAIL < ${withUnit(failAt, unit)}`;
}

/** Why a band is unusable, or undefined when it is sound. */
export function bandProblem(band: Band): string | undefined {
  if (!Number.isFinite(band.warnAt) || !Number.isFinite(band.failAt)) {
    return `band for ${band.metric}: warnAt and failAt must be finite numbers`;
  }
  if (band.direction === "higher_is_worse" && band.warnAt > band.failAt) {
    return `band for ${band.metric}: warnAt (${band.warnAt}) must not exceed failAt (${band.failAt}) when higher is worse`;
  }
  if (band.direction === "lower_is_worse" && band.warnAt < band.failAt) {
    return `band for ${band.metric}: warnAt (${band.warnAt}) must not be below failAt (${band.failAt}) when lower is worse`;
  }
  return undefined;
}

/**
 * Judges one value against a band. A missing or NaN value (nothing was
 * measured) is a FAIL, never a PASS. An unusable band is the monitor's own
 * defect and gives ERROR.
 */
export function judgeBand(value: number | null | undefined, band: Band): BandJudgement {
  const threshold = describeBand(band);
  const problem = bandProblem(band);
  const measured = typeof value === "number" && !Number.isNaN(value) ? value : null;
  if (problem) {
    return { verdict: "ERROR", metric: band.metric, value: measured, threshold, reason: problem };
  }
  if (measured === null) {
    return {
      verdict: "FAIL",
      metric: band.metric,
      value: null,
      threshold,
      reason: `${band.metric}: nothing measured (${value === undefined ? "no value" : String(value)}); a missing measurement is a FAIL`,
    };
  }
  const { warnAt, failAt, unit } = band;
  const shown = withUnit(measured, unit);
  let verdict: Verdict;
  let where: string;
  if (band.direction === "higher_is_worse") {
    if (measured > failAt) [verdict, where] = ["FAIL", `above ${withUnit(failAt, unit)}`];
    else if (measured >= warnAt) [verdict, where] = ["WARN", `within ${warnAt}-${withUnit(failAt, unit)}`];
    else [verdict, where] = ["PASS", `below ${withUnit(warnAt, unit)}`];
  } else {
    if (measured < failAt) [verdict, where] = ["FAIL", `below ${withUnit(failAt, unit)}`];
    else if (measured <= warnAt) [verdict, where] = ["WARN", `within ${failAt}-${withUnit(warnAt, unit)}`];
    else [verdict, where] = ["PASS", `above ${withUnit(warnAt, unit)}`];
  }
  return { verdict, metric: band.metric, value: measured, threshold, reason: `${band.metric} ${shown} is ${where}: ${verdict}` };
}
