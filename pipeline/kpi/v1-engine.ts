/**
 * KPI engine V1: the legacy engine. Row objects, one `reduce`, no audit trail, no metrics.
 * Same answers as V2 on valid data (it adds per row in the same order, so the sums are
 * bit-identical); the KPI definitions, thresholds and rounding are shared in ./common.ts.
 */
import { kpisFromSums, type KpiSums } from "./common.ts";
import type { KpiResult, LoanRow } from "./types.ts";

export function calculateKpisV1(rows: LoanRow[]): KpiResult {
  const sums = rows.reduce<KpiSums>(
    (acc, r) => {
      acc.rows += 1;
      acc.par30Num += r.dpd_30_60_usd + r.dpd_60_90_usd + r.dpd_90_plus_usd;
      acc.par90Num += r.dpd_90_plus_usd;
      acc.receivable += r.total_receivable_usd;
      acc.cash += r.cash_available_usd;
      acc.eligible += r.total_eligible_usd;
      return acc;
    },
    { rows: 0, par30Num: 0, par90Num: 0, receivable: 0, cash: 0, eligible: 0 },
  );
  return kpisFromSums(sums);
}
