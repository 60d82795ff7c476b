/**
 * record: the checklist's "Key Metrics to Track", read from a checkpoint's measurements, and the
 * pipeline status line. One name per metric: the record's field names.
 */
import type { Measurements } from "../probes/measurements.js";

export interface KeyMetrics {
  kpi_latency_ms: number | null;
  error_rate_percent: number | null;
  memory_mb: number | null;
  memory_growth_percent_per_hour: number | null;
  cpu_percent: number | null;
  audit_trail_events: number | null;
  validation_status: string | null;
  extra: Record<string, unknown>;
}

const r2 = (v: number) => Math.round(v * 100) / 100;

/** The checklist's "Key Metrics to Track", read from this checkpoint's measurements. */
export function keyMetrics(m: Measurements): KeyMetrics {
  const lat = m.latency?.ok ? m.latency.data : null;
  const er = m.errorRate?.ok ? m.errorRate.data : null;
  const res = m.resources?.ok && m.resources.data.samples.length ? m.resources.data : null;
  const audit = m.audit?.ok ? m.audit.data : null;
  return {
    kpi_latency_ms: lat?.endToEndMs ? r2(lat.endToEndMs.p95) : null,
    error_rate_percent: er ? Math.round(er.errorRatePercent * 10000) / 10000 : null,
    memory_mb: res ? r2(res.rssMbMax) : null,
    memory_growth_percent_per_hour: null,
    cpu_percent: res ? r2(res.cpuPercentMean) : null,
    audit_trail_events: audit ? audit.sinceLastCheckpoint.eventCount + audit.probeCalculation.eventCount : null,
    // N/A: the validation script is not reachable from where the monitor runs (validation.enabled: false).
    validation_status: m.validation?.ok ? m.validation.data.verdict : m.validation ? (m.validation.failure === "notApplicable" ? "N/A" : "FAIL") : null,
    extra: {
      kpi_latency_p50_ms: lat?.endToEndMs ? r2(lat.endToEndMs.p50) : null,
      kpi_server_p95_ms: lat?.serverMs ? r2(lat.serverMs.p95) : null,
      // Only a report this run wrote counts (an old one left behind could set the expected total).
      tests_total: m.testSuite?.ok && m.testSuite.data.junitFresh ? m.testSuite.data.total : undefined,
      tests_passed: m.testSuite?.ok && m.testSuite.data.junitFresh ? m.testSuite.data.passed : undefined,
      log_errors: m.logs?.ok ? m.logs.data.sinceLastCheckpoint.errors + m.logs.data.sinceLastCheckpoint.critical : null,
      log_warnings: m.logs?.ok ? m.logs.data.sinceLastCheckpoint.warnings : null,
      active_version: m.health?.ok ? m.health.data.version : null,
      error_rate_window: er?.window ?? null,
      error_rate_counters: er?.counters ?? null,
    },
  };
}

export function pipelineStatus(m: Measurements, rolledBack: boolean): string {
  if (rolledBack) return "rolled_back";
  if (!m.health) return "unknown";
  if (!m.health.ok) return m.health.failure === "target" ? "unreachable" : "unknown";
  return m.health.data.statusOk ? "operational" : (m.health.data.status ?? "degraded");
}
