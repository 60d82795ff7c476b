/** Shared shapes of the reference pipeline's KPI engines (V1 legacy, V2 current). */

export const TAPE_COLUMNS = [
  "loan_id",
  "total_receivable_usd",
  "dpd_0_7_usd",
  "dpd_7_30_usd",
  "dpd_30_60_usd",
  "dpd_60_90_usd",
  "dpd_90_plus_usd",
  "cash_available_usd",
  "total_eligible_usd",
] as const;

export type TapeColumn = (typeof TAPE_COLUMNS)[number];
export type NumericColumn = Exclude<TapeColumn, "loan_id">;

/** Row-oriented loan record (what V1 iterates over, what JSON bodies carry). */
export type LoanRow = { loan_id: string } & Record<NumericColumn, number>;

/** Column-oriented tape (what V2 computes on): one Float64Array per numeric column. */
export interface LoanTape {
  rows: number;
  loanIds: string[];
  columns: Record<NumericColumn, Float64Array>;
}

export type KpiName = "PAR30" | "PAR90" | "CollectionRate" | "PortfolioHealth";
export type KpiStatus = "ok" | "warning" | "critical";

export interface KpiValue {
  value: number;
  status: KpiStatus;
  /** Why the value is 0 by definition (empty input, zero denominator). */
  reason?: string;
}

export type KpiResult = Record<KpiName, KpiValue>;

/** Audit sink for V2; one calculation emits exactly 6 events. */
export interface AuditEvent {
  timestamp: string;
  event: "calculate_all" | "kpi_calculated" | "composite_kpi_calculated";
  status: "started" | "success" | "completed" | "failed";
  actor: string;
  action: string;
  details: Record<string, unknown>;
  request_id?: string;
  run_id?: string;
}
export type AuditSink = (events: AuditEvent[]) => void;
