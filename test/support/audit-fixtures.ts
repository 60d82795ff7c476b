/** What the audit probe tests share: one KPI calculation's events, and a probe result's data. */
import type { ProbeResult } from "../../src/probes/probe.js";

/** The 6 events one KPI calculation writes (event, status). */
export const CALC_EVENTS: [string, string][] = [
  ["calculate_all", "started"],
  ["kpi_calculated", "success"],
  ["kpi_calculated", "success"],
  ["kpi_calculated", "success"],
  ["composite_kpi_calculated", "success"],
  ["calculate_all", "completed"],
];

/** The probe's data, or a thrown error with its failure kind. */
export function ok<T>(r: ProbeResult<T>): T {
  if (!r.ok) throw new Error(`${r.failure}: ${r.message}`);
  return r.data;
}
