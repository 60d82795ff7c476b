/**
 * Definitions shared by both KPI engines (V1 legacy, V2 current): thresholds as data,
 * the status rule, the rounding rule and the reasons for values that are 0 by definition.
 * The engines differ in how they aggregate (V1 row objects + reduce, V2 one columnar pass);
 * they must agree on what a KPI *means*, so the meaning lives here once.
 */
import type { KpiName, KpiResult, KpiStatus, KpiValue } from "./types.ts";

export type ThresholdDirection = "higher_is_worse" | "lower_is_worse";

export interface KpiThreshold {
  /** higher_is_worse: warning when value >= warning, critical when value >= critical.
   *  lower_is_worse: warning when value < warning, critical when value < critical. */
  direction: ThresholdDirection;
  warning: number;
  critical: number;
}

/**
 * PortfolioHealth = round2(clamp(0..10, max(0, 10 - PAR30/10) x CollectionRate/10)).
 * Its rule (lower is worse) is derived from the component thresholds: the score of a
 * portfolio sitting exactly on the PAR30 and CollectionRate limits.
 *   warning  below health(PAR30 = 5, CollectionRate = 1.5) = 9.5 x 0.15 = 1.425
 *   critical below health(PAR30 = 8, CollectionRate = 1.0) = 9.2 x 0.10 = 0.92
 * (test/pipeline/kpi.test.ts checks this derivation.)
 */
export const KPI_THRESHOLDS = {
  PAR30: { direction: "higher_is_worse", warning: 5, critical: 8 },
  PAR90: { direction: "higher_is_worse", warning: 3, critical: 5 },
  CollectionRate: { direction: "lower_is_worse", warning: 1.5, critical: 1.0 },
  PortfolioHealth: { direction: "lower_is_worse", warning: 1.425, critical: 0.92 },
} as const satisfies Record<KpiName, KpiThreshold>;

export const KPI_NAMES = ["PAR30", "PAR90", "CollectionRate", "PortfolioHealth"] as const satisfies readonly KpiName[];

/** Status of a value by its KPI's thresholds. A value that is 0 by definition (with a reason)
 *  is judged like any other 0: PAR 0 -> ok, CollectionRate/PortfolioHealth 0 -> critical. */
export function statusOf(kpi: KpiName, value: number): KpiStatus {
  const t: KpiThreshold = KPI_THRESHOLDS[kpi];
  if (t.direction === "higher_is_worse") {
    if (value >= t.critical) return "critical";
    if (value >= t.warning) return "warning";
    return "ok";
  }
  if (value < t.critical) return "critical";
  if (value < t.warning) return "warning";
  return "ok";
}

/**
 * Round to 2 decimal places, correctly, on the exact binary value (Number.prototype.toFixed:
 * "pick n with n/100 - x closest to zero, the larger n on an exact tie"). So 1.005, which is
 * 1.00499999999999989... as a double, gives 1.00, and the exact tie 2.125 gives 2.13; SQLite's
 * ROUND(x, 2) (3.43+) agrees, which the oracle relies on. Not Math.round(x * 100) / 100, whose
 * multiplication can itself round across the boundary.
 */
export function round2(x: number): number {
  return Number(x.toFixed(2));
}

export function clamp(lo: number, hi: number, x: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/** PortfolioHealth from the (unrounded) PAR30 and the (rounded) CollectionRate. */
export function portfolioHealth(par30: number, collectionRate: number): number {
  return round2(clamp(0, 10, (Math.max(0, 10 - par30 / 10) * collectionRate) / 10));
}

export const REASONS = {
  empty: "empty input: 0 rows",
  zeroReceivable: "zero denominator: sum(total_receivable_usd) = 0",
  zeroEligible: "zero denominator: sum(total_eligible_usd) = 0",
  /** PortfolioHealth is 0 when either of its inputs is undefined (0 with a reason). */
  healthUndefined: (inputReason: string) => `undefined input: ${inputReason}`,
} as const;

/** The aggregates both engines compute; the KPIs follow from them by `kpisFromSums`. */
export interface KpiSums {
  rows: number;
  /** sum over rows of (dpd_30_60 + dpd_60_90 + dpd_90_plus), added per row in that order */
  par30Num: number;
  par90Num: number;
  receivable: number;
  cash: number;
  eligible: number;
}

/** docs/DESIGN.md's formulas on the aggregates; zero denominators and empty input give 0 with a reason. */
export function kpisFromSums(s: KpiSums): KpiResult {
  let par30 = 0;
  let par90 = 0;
  let cr = 0;
  let parReason: string | undefined;
  let crReason: string | undefined;
  if (s.rows === 0) {
    parReason = crReason = REASONS.empty;
  } else {
    if (s.receivable === 0) parReason = REASONS.zeroReceivable;
    else {
      par30 = (s.par30Num / s.receivable) * 100;
      par90 = (s.par90Num / s.receivable) * 100;
    }
    if (s.eligible === 0) crReason = REASONS.zeroEligible;
    else cr = round2((s.cash / s.eligible) * 100);
  }
  const healthReason = parReason ?? crReason;
  const health = healthReason === undefined ? portfolioHealth(par30, cr) : 0;
  return {
    PAR30: kpiValue("PAR30", par30, parReason),
    PAR90: kpiValue("PAR90", par90, parReason),
    CollectionRate: kpiValue("CollectionRate", cr, crReason),
    PortfolioHealth: kpiValue(
      "PortfolioHealth",
      health,
      healthReason === undefined ? undefined : s.rows === 0 ? REASONS.empty : REASONS.healthUndefined(healthReason),
    ),
  };
}

function kpiValue(kpi: KpiName, value: number, reason: string | undefined): KpiValue {
  const v: KpiValue = { value, status: statusOf(kpi, value) };
  if (reason !== undefined) v.reason = reason;
  return v;
}
