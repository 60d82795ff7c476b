/**
 * KPI engine V2: one pass over the tape's Float64Array columns, then docs/DESIGN.md's formulas
 * (./common.ts). With an audit sink it emits the calculation's 6 events, in order, in one call:
 *   calculate_all/started, kpi_calculated/success x3 (PAR30, PAR90, CollectionRate),
 *   composite_kpi_calculated/success (PortfolioHealth), calculate_all/completed.
 * An exception thrown by the sink propagates: a calculation whose audit trail could not be
 * written is not reported as done.
 */
import { kpisFromSums } from "./common.ts";
import type { AuditEvent, AuditSink, KpiName, KpiResult, LoanTape } from "./types.ts";

export interface CalculateOptions {
  audit?: AuditSink;
  /** Carried by every audit event of this calculation (a POST /kpis request). */
  requestId?: string;
  /** Carried by every audit event of this calculation (a pipeline run). */
  runId?: string;
  /** Audit actor; default DEFAULT_ACTOR. */
  actor?: string;
}

export const DEFAULT_ACTOR = "kpi_engine_v2";
export const AUDIT_EVENTS_PER_CALCULATION = 6;

export function calculateKpisV2(tape: LoanTape, opts: CalculateOptions = {}): KpiResult {
  const startedAt = opts.audit ? new Date().toISOString() : "";
  const t0 = opts.audit ? performance.now() : 0;

  const n = tape.rows;
  const c = tape.columns;
  const rec = c.total_receivable_usd;
  const d30 = c.dpd_30_60_usd;
  const d60 = c.dpd_60_90_usd;
  const d90 = c.dpd_90_plus_usd;
  const cash = c.cash_available_usd;
  const elig = c.total_eligible_usd;
  let par30Num = 0;
  let par90Num = 0;
  let receivable = 0;
  let cashSum = 0;
  let eligible = 0;
  for (let i = 0; i < n; i++) {
    const x90 = d90[i];
    par30Num += d30[i] + d60[i] + x90;
    par90Num += x90;
    receivable += rec[i];
    cashSum += cash[i];
    eligible += elig[i];
  }
  const result = kpisFromSums({ rows: n, par30Num, par90Num, receivable, cash: cashSum, eligible });

  if (opts.audit) {
    const durationMs = performance.now() - t0;
    opts.audit(auditEvents(result, n, startedAt, durationMs, opts));
  }
  return result;
}

function auditEvents(
  r: KpiResult,
  rows: number,
  startedAt: string,
  durationMs: number,
  opts: CalculateOptions,
): AuditEvent[] {
  const actor = opts.actor ?? DEFAULT_ACTOR;
  const ids: Pick<AuditEvent, "request_id" | "run_id"> = {};
  if (opts.requestId !== undefined) ids.request_id = opts.requestId;
  if (opts.runId !== undefined) ids.run_id = opts.runId;
  const now = new Date().toISOString();
  const kpiDetails = (kpi: KpiName) => {
    const d: Record<string, unknown> = { kpi, value: r[kpi].value, status: r[kpi].status };
    if (r[kpi].reason !== undefined) d.reason = r[kpi].reason;
    return d;
  };
  const kpiEvent = (kpi: "PAR30" | "PAR90" | "CollectionRate"): AuditEvent => ({
    timestamp: now,
    event: "kpi_calculated",
    status: "success",
    actor,
    action: `calculate_${kpi}`,
    details: kpiDetails(kpi),
    ...ids,
  });
  return [
    {
      timestamp: startedAt,
      event: "calculate_all",
      status: "started",
      actor,
      action: "calculate_all_kpis",
      details: { engine: "v2", rows },
      ...ids,
    },
    kpiEvent("PAR30"),
    kpiEvent("PAR90"),
    kpiEvent("CollectionRate"),
    {
      timestamp: now,
      event: "composite_kpi_calculated",
      status: "success",
      actor,
      action: "calculate_PortfolioHealth",
      details: { ...kpiDetails("PortfolioHealth"), inputs: { PAR30: r.PAR30.value, CollectionRate: r.CollectionRate.value } },
      ...ids,
    },
    {
      timestamp: now,
      event: "calculate_all",
      status: "completed",
      actor,
      action: "calculate_all_kpis",
      details: {
        engine: "v2",
        rows,
        duration_ms: durationMs,
        kpis: { PAR30: r.PAR30.value, PAR90: r.PAR90.value, CollectionRate: r.CollectionRate.value, PortfolioHealth: r.PortfolioHealth.value },
      },
      ...ids,
    },
  ];
}
