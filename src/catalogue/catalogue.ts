/**
 * The check catalogue: every check the monitor judges, declared once. Read it as a table:
 * id | what it judges | checklist lines | phases | probes | evaluator | alert rule (or why none) | dashboard.
 *
 * Thresholds are not here: each evaluator reads its band from the config, so a threshold change
 * moves the check's verdict, and the alert rule fires on that verdict.
 */
import type { PhaseName } from "../config/schedule.js";
import type { ProbeName } from "../probes/probe.js";
import type { CheckDef } from "./check.js";
import * as metrics from "../checks/metrics.js";
import * as pipeline from "../checks/pipeline.js";
import * as readiness from "../checks/readiness.js";
import * as criteria from "../checks/criteria.js";
import * as outputs from "../checks/outputs.js";

const AFTER_CUTOVER: PhaseName[] = ["hour1", "stability", "extended", "day", "final"];
const MEASURED: PhaseName[] = ["pre-cutover", ...AFTER_CUTOVER];
const EVERY: PhaseName[] = ["pre-cutover", "hour0", ...AFTER_CUTOVER];

/** Why a check has no alert rule of its own (each reason is shown in docs and tests). */
const NO_ALERT = {
  attestation: "a person's act, not a technical criterion: missing is a WARN 'awaiting', never an alert",
  cutover: "hour0 is run and watched by the operator; a FAIL fails the checkpoint (exit 1) with the cutover's own output",
  validation: "the pipeline's own report; a FAIL fails the checkpoint and names the failing checks, while the monitor's independent checks (golden KPIs, data quality, audit trail) carry the alerts",
  history: "a summary of earlier checkpoints, each of which alerted at its own time; a FAIL fails the checkpoint",
  readiness: "pre-cutover readiness: a FAIL fails the pre-cutover checkpoint before anything is at risk",
  logs: "log lines are evidence for the error-rate alert (ERROR lines of failed requests take its band); a FAIL fails the checkpoint with sample lines",
  baseline: "drift against the hour-1 baseline is documented (WARN); the absolute bands of latency, error rate, memory and CPU alert",
  business: "KPI values outside their business ranges describe the portfolio, not the pipeline's health; shown and documented",
  version: "the active version is the cutover's own state; a wrong version fails the checkpoint and the cutover/rollback record explains it",
  channels: "alert channels that fail cannot carry their own alert; the pre-cutover checkpoint fails (exit 1)",
  tests: "the pipeline's own test suite; a failing test fails the checkpoint with its names",
  outliers: "outliers among the latency samples are documented (WARN); the p95 band of kpi-latency carries the latency alerts",
  health: "an unreachable endpoint is pipeline-up's fact (the pipeline-down alert); a reachable pipeline reporting itself degraded summarises failures that the error-rate and log checks measure and alert on",
  uptime: "a summary of the watch's samples: each outage alerted in real time as pipeline-down; a FAIL (or an unmeasured WARN) is the 24-hour criterion's verdict",
} as const;

export const CATALOGUE: readonly CheckDef[] = [
  // ------------------------------------------------------------------ liveness
  { id: "pipeline-up", title: "Pipeline up: health, KPI and metrics endpoints and the process answer", lines: ["System responding normally", "24-hour Uptime"], phases: EVERY, probes: ["health"], judge: criteria.pipelineUp, alert: { rule: "pipeline-down" }, dashboard: "pipeline" },
  { id: "health", title: "Health check endpoints answer with an ok status", lines: ["Health check endpoints configured and tested", "System responding normally"], phases: MEASURED, probes: ["health"], judge: pipeline.healthEndpoints, alert: { none: NO_ALERT.health }, dashboard: "pipeline" },
  { id: "pipeline-restart", title: "Pipeline process not restarted", lines: ["System responding normally"], phases: ["stability", "extended", "day", "final"], probes: ["resources"], judge: criteria.pipelineRestarted, alert: { rule: "pipeline-restarted", warnRule: "pipeline-restart-warning" }, dashboard: "pipeline", unit: "restarts/h" },
  { id: "v1-active", title: "V1 up before the cutover", lines: ["Health check endpoints configured and tested"], phases: ["pre-cutover"], probes: ["health"], judge: pipeline.preCutoverVersionActive, alert: { none: NO_ALERT.version }, dashboard: "pipeline" },
  { id: "v2-active", title: "V2 configuration active", lines: ["Confirm V2 configuration activated", "Verify V2 is active"], phases: ["hour0", "hour1", "day", "final"], probes: ["health"], judge: pipeline.postCutoverVersionActive, alert: { none: NO_ALERT.version }, dashboard: "pipeline" },

  // ------------------------------------------------------------------ metrics
  { id: "kpi-latency", title: "KPI calculation latency p95 (1k rows)", lines: ["Check KPI calculation latency (target: <100ms)", "Avg Latency"], phases: MEASURED, probes: ["latency"], unit: "ms", judge: metrics.kpiLatency, alert: { rule: "latency-critical", warnRule: "latency-warning" }, dashboard: "performance" },
  { id: "kpi-latency-consistent", title: "Latency consistent (no outliers)", lines: ["Latency consistent (<100ms)"], phases: ["stability"], probes: ["latency"], unit: "ms", judge: metrics.kpiLatencyConsistent, alert: { none: NO_ALERT.outliers }, dashboard: "performance" },
  { id: "error-rate", title: "Error rate over the window", lines: ["Monitor error rate (target: <0.1%)", "Error Rate"], phases: MEASURED, probes: ["errorRate", "latency"], unit: "%", judge: metrics.errorRate, alert: { rule: "error-rate-critical", warnRule: "error-rate-warning" }, dashboard: "errors" },
  { id: "memory", title: "Memory (RSS of the pipeline process)", lines: ["Review memory usage (target: <200MB)", "Memory Peak"], phases: MEASURED, probes: ["resources"], unit: "MB", judge: metrics.memory, alert: { rule: "memory-critical", warnRule: "memory-warning" }, dashboard: "performance" },
  { id: "memory-growth", title: "Memory not growing (growth per hour)", lines: ["Memory stable and not growing", "Check for memory leaks", "No memory growth pattern detected", "Zero memory leaks detected"], phases: ["stability", "extended", "day", "final"], probes: ["resources"], unit: "%/h", judge: metrics.memoryGrowth, alert: { rule: "memory-critical" }, dashboard: "performance" },
  { id: "cpu", title: "CPU utilization (mean over the sampling window)", lines: ["Check CPU utilization (target: <50%)", "CPU < 50% utilization"], phases: MEASURED, probes: ["resources"], unit: "%", judge: metrics.cpu, alert: { rule: "cpu-critical", warnRule: "cpu-warning" }, dashboard: "performance" },
  { id: "vs-hour1-baseline", title: "Metrics within 5 % of the hour-1 baseline", lines: ["Compare metrics to Hour 1 baseline", "All metrics stable within 5% of baseline"], phases: ["extended", "day", "final"], probes: ["latency", "resources", "errorRate"], judge: metrics.againstHour1Baseline, alert: { none: NO_ALERT.baseline }, dashboard: "performance" },

  // ------------------------------------------------------------------ logs
  { id: "logs-streaming", title: "Pipeline log streaming (newest line younger than the max silence)", lines: ["Log aggregation system connected and streaming"], phases: ["pre-cutover"], probes: ["logs"], judge: pipeline.logsStreaming, alert: { none: NO_ALERT.readiness }, dashboard: "readiness" },
  { id: "log-scan", title: "Log scan over the window: no ERROR/CRITICAL (WARNING warns)", lines: ["Scan logs for warnings/errors", "Zero errors in logs", "Review application logs"], phases: ["stability", "day"], probes: ["logs", "errorRate"], judge: (c) => pipeline.logErrors(c, { window: "checkpoint", warnIsWarn: true }), alert: { none: NO_ALERT.logs }, dashboard: "errors" },
  { id: "log-errors-since-cutover", title: "No ERROR/CRITICAL log lines since the cutover", lines: ["Check for any errors in logs", "No errors in pipeline logs", "Review all logs since cutover", "Zero unplanned errors"], phases: ["hour1", "extended", "final"], probes: ["logs"], judge: (c) => pipeline.logErrors(c, { window: "cutover", warnIsWarn: true }), alert: { none: NO_ALERT.logs }, dashboard: "errors" },
  { id: "log-critical", title: "Zero CRITICAL log lines in the window", lines: ["Zero critical errors"], phases: ["extended"], probes: ["logs"], judge: (c) => pipeline.logErrors(c, { window: "checkpoint", criticalOnly: true }), alert: { none: NO_ALERT.logs }, dashboard: "errors" },

  // ------------------------------------------------------------------ audit trail
  { id: "audit-own-calculation", title: "Audit trail operational (the monitor's own calculation writes its events)", lines: ["Confirm audit trail operational", "Audit trail operational"], phases: AFTER_CUTOVER, probes: ["audit", "latency"], judge: pipeline.auditOwnCalculation, alert: { rule: "audit-trail-failure" }, dashboard: "audit" },
  { id: "audit-events", title: "Audit trail events generated by the pipeline's runs", lines: ["Verify audit trail events generated", "Audit trail generating events"], phases: AFTER_CUTOVER, probes: ["audit"], unit: "events", judge: pipeline.auditRunsGenerating, alert: { rule: "audit-trail-failure" }, dashboard: "audit" },

  // ------------------------------------------------------------------ data
  { id: "kpi-golden", title: "KPI calculations verified on golden data", lines: ["Verify KPI calculations on test data", "Verify all KPI calculations", "KPI Calculations: PASS"], phases: ["hour1", "day", "final"], probes: ["latency"], judge: pipeline.kpiGolden, alert: { rule: "data-quality-issue" }, dashboard: "kpi" },
  { id: "kpi-ranges", title: "KPI values in expected ranges", lines: ["KPI values in expected ranges", "All metrics within acceptable range"], phases: ["hour1", "day"], probes: ["latency"], judge: pipeline.kpiRanges, alert: { none: NO_ALERT.business }, dashboard: "kpi" },
  // Output channels: per channel one check of what it holds (data quality) and one of whether it
  // works (down or stale); the reconciliation judges only the channels right on their own.
  { id: "data-quality", title: "Output data quality, local channel: schema, nulls, duplicates, values, completeness, KPIs", lines: ["Verify data quality (null counts, duplicates)", "Check data integrity", "Data quality maintained", "Data Quality"], phases: AFTER_CUTOVER, probes: ["dataQuality"], unit: "%", judge: pipeline.dataQuality, alert: { rule: "data-quality-issue" }, dashboard: "integrity" },
  { id: "data-quality-azure", title: "Output data quality, Azure Blob Storage channel: schema, nulls, duplicates, values, completeness, KPIs", lines: ["Verify data quality (null counts, duplicates)", "Check data integrity", "Data quality maintained", "Data Quality"], phases: AFTER_CUTOVER, probes: ["dataQuality"], unit: "%", judge: (c) => outputs.channelDataQuality(c, "azure"), alert: { rule: "data-quality-issue" }, dashboard: "integrity" },
  { id: "data-quality-supabase", title: "Output data quality, Supabase channel: schema, nulls, duplicates, values, completeness, KPIs", lines: ["Verify data quality (null counts, duplicates)", "Check data integrity", "Data quality maintained", "Data Quality"], phases: AFTER_CUTOVER, probes: ["dataQuality"], unit: "%", judge: (c) => outputs.channelDataQuality(c, "supabase"), alert: { rule: "data-quality-issue" }, dashboard: "integrity" },
  { id: "output-reconciliation", title: "Output channels reconciled: the same run's rows, keys, column checksums and KPIs equal in every channel", lines: ["Test output channels (local, Azure, Supabase)", "Data quality maintained", "Data Quality"], phases: AFTER_CUTOVER, probes: ["dataQuality"], judge: outputs.outputReconciliation, alert: { rule: "data-quality-issue" }, dashboard: "integrity" },
  { id: "output-local", title: "Local output channel written recently and readable", lines: ["Test output channels (local, Azure, Supabase)", "All output channels functional"], phases: AFTER_CUTOVER, probes: ["dataQuality"], judge: pipeline.localOutputChannel, alert: { rule: "output-channel-down" }, dashboard: "integrity" },
  { id: "output-azure", title: "Azure Blob Storage output channel reachable, written recently and readable", lines: ["Test output channels (local, Azure, Supabase)", "All output channels functional"], phases: AFTER_CUTOVER, probes: ["dataQuality"], judge: (c) => outputs.outputChannel(c, "azure"), alert: { rule: "output-channel-down" }, dashboard: "integrity" },
  { id: "output-supabase", title: "Supabase output channel reachable, written recently and readable", lines: ["Test output channels (local, Azure, Supabase)", "All output channels functional"], phases: AFTER_CUTOVER, probes: ["dataQuality"], judge: (c) => outputs.outputChannel(c, "supabase"), alert: { rule: "output-channel-down" }, dashboard: "integrity" },

  // ------------------------------------------------------------------ validation and tests
  { id: "validation-ran", title: "Validation script ran", lines: ["Run production_validation.py"], phases: ["hour1", "extended"], probes: ["validation"], judge: pipeline.validationRan, alert: { none: NO_ALERT.validation }, dashboard: "validation" },
  { id: "validation-report", title: "Validation report read", lines: ["Review validation report (production_validation_report.json)"], phases: ["hour1"], probes: ["validation"], judge: pipeline.validationReportReviewed, alert: { none: NO_ALERT.validation }, dashboard: "validation" },
  { id: "validation-checks", title: "All validation checks PASS", lines: ["Check all 5 validation checks: PASS", "All validation checks: PASS"], phases: ["hour1", "extended", "day", "final"], probes: ["validation"], judge: pipeline.validationAllChecksPass, alert: { none: NO_ALERT.validation }, dashboard: "validation" },
  { id: "test-suite", title: "The pipeline's own test suite passes", lines: ["All Tests Passing"], phases: ["pre-cutover", "final"], probes: ["testSuite"], unit: "tests", judge: pipeline.testSuitePassing, alert: { none: NO_ALERT.tests }, dashboard: "validation" },

  // ------------------------------------------------------------------ cutover (hour 0)
  { id: "cutover-executed", title: "Cutover script executed", lines: ["Execute production_cutover.sh script"], phases: ["hour0"], probes: ["cutover"], judge: pipeline.cutoverExecuted, alert: { none: NO_ALERT.cutover }, dashboard: "cutover" },
  { id: "cutover-output", title: "Cutover output monitored in real time", lines: ["Monitor script output in real-time"], phases: ["hour0"], probes: ["cutover"], judge: pipeline.cutoverOutputMonitored, alert: { none: NO_ALERT.cutover }, dashboard: "cutover" },
  { id: "cutover-phases", title: "All cutover phases report success", lines: ["Verify all 5 phases complete successfully", "All 5 phases report success"], phases: ["hour0"], probes: ["cutover"], judge: pipeline.cutoverPhases, alert: { none: NO_ALERT.cutover }, dashboard: "cutover" },
  { id: "cutover-timing", title: "Cutover execution time and warnings recorded", lines: ["Record execution time and any warnings"], phases: ["hour0"], probes: ["cutover"], judge: pipeline.cutoverTimingAndWarnings, alert: { none: NO_ALERT.cutover }, dashboard: "cutover" },
  { id: "cutover-completed", title: "Cutover script completed without errors", lines: ["Cutover script completes without errors"], phases: ["hour0"], probes: ["cutover"], judge: pipeline.cutoverCompleted, alert: { none: NO_ALERT.cutover }, dashboard: "cutover" },
  { id: "cutover-log", title: "Cutover log file created", lines: ["Log file created in logs/"], phases: ["hour0"], probes: ["cutover"], judge: pipeline.cutoverLogCreated, alert: { none: NO_ALERT.cutover }, dashboard: "cutover" },
  { id: "rollback-prepared", title: "Rollback directory prepared", lines: ["Rollback directory prepared"], phases: ["hour0"], probes: ["cutover"], judge: pipeline.rollbackPrepared, alert: { none: NO_ALERT.cutover }, dashboard: "cutover" },

  // ------------------------------------------------------------------ readiness (pre-cutover)
  { id: "alert-channels", title: "Alert channels tested and active", lines: ["Alert channels (Slack, Email, PagerDuty) tested and active"], phases: ["pre-cutover"], probes: [], judge: readiness.alertChannelsTested, alert: { none: NO_ALERT.channels }, dashboard: "readiness" },
  { id: "week3-baseline", title: "Week-3 baseline recorded and within targets", lines: ["Baseline metrics established from Week 3 tests"], phases: ["pre-cutover"], probes: [], judge: readiness.week3BaselineEstablished, alert: { none: NO_ALERT.readiness }, dashboard: "readiness" },
  { id: "rollback-ready", title: "Rollback command configured and present", lines: ["Rollback procedures reviewed and team trained"], phases: ["pre-cutover"], probes: [], judge: readiness.rollbackReady, alert: { none: NO_ALERT.readiness }, dashboard: "readiness" },
  { id: "monitoring-configured", title: "Monitoring configured: every probe can read its source", lines: ["Monitoring systems configured"], phases: ["pre-cutover"], probes: [], judge: readiness.monitoringConfigured, alert: { none: NO_ALERT.readiness }, dashboard: "readiness" },

  // ------------------------------------------------------------------ 24-hour criteria (history)
  { id: "anomalies", title: "Anomalies documented", lines: ["Document any anomalies"], phases: ["final"], probes: [], judge: criteria.anomaliesDocumented, alert: { none: NO_ALERT.history }, dashboard: "criteria" },
  { id: "hour0-passed", title: "Cutover executed successfully (hour0 checkpoint)", lines: ["Cutover executed successfully"], phases: ["final"], probes: [], judge: criteria.hour0Passed, alert: { none: NO_ALERT.history }, dashboard: "criteria" },
  { id: "validations-passed-0-8", title: "All validation checks passing in hours 0-8", lines: ["All validation checks passing"], phases: ["final"], probes: [], judge: criteria.validationsPassedEarly, alert: { none: NO_ALERT.history }, dashboard: "criteria" },
  { id: "baseline-held-0-8", title: "Metrics within baseline in hours 0-8", lines: ["Metrics within baseline ±5%"], phases: ["final"], probes: [], judge: criteria.baselineHeldEarly, alert: { none: NO_ALERT.history }, dashboard: "criteria" },
  { id: "no-critical-0-8", title: "No critical errors in hours 0-8", lines: ["No critical errors detected"], phases: ["final"], probes: [], judge: criteria.noCriticalEarly, alert: { none: NO_ALERT.history }, dashboard: "criteria" },
  { id: "audit-0-8", title: "Audit trail operational in hours 0-8", lines: ["Audit trail operational"], phases: ["final"], probes: [], judge: criteria.auditEarly, alert: { none: NO_ALERT.history }, dashboard: "criteria" },
  { id: "stability-8-24", title: "Extended stability confirmed (16 hours)", lines: ["Extended stability confirmed (16 hours)"], phases: ["final"], probes: [], judge: criteria.stabilityLate, alert: { none: NO_ALERT.history }, dashboard: "criteria" },
  { id: "memory-stable", title: "Memory stable within ±10 % over the 24 hours", lines: ["All metrics stable and consistent", "Memory Stable"], phases: ["final"], probes: ["resources"], unit: "%", judge: metrics.memoryStable, alert: { none: NO_ALERT.history }, dashboard: "criteria" },
  { id: "error-rate-24h", title: "Error rate below target over the 24 hours", lines: ["Error Rate"], phases: ["final"], probes: ["errorRate", "latency"], unit: "%", judge: criteria.errorRate24h, alert: { none: NO_ALERT.history }, dashboard: "criteria" },
  { id: "avg-latency-24h", title: "Average latency below target over the 24 hours", lines: ["Avg Latency"], phases: ["final"], probes: ["latency"], unit: "ms", judge: criteria.avgLatency24h, alert: { none: NO_ALERT.history }, dashboard: "criteria" },
  { id: "audit-continuous", title: "Audit trail continuous over the 24 hours", lines: ["Audit Trail"], phases: ["final"], probes: ["audit"], judge: criteria.auditContinuous, alert: { none: NO_ALERT.history }, dashboard: "criteria" },
  { id: "uptime-24h", title: "Uptime 100 % over the 24 hours (the watch's samples)", lines: ["24-hour uptime achieved", "24-hour Uptime"], phases: ["final"], probes: ["health"], unit: "%", judge: criteria.uptime24h, alert: { none: NO_ALERT.uptime }, dashboard: "criteria" },

  // ------------------------------------------------------------------ people (attestations, sign-off)
  ...attestations(),
];

function attestations(): CheckDef[] {
  const one = (id: string, title: string, lines: string[], phases: PhaseName[], group: CheckDef["dashboard"]): CheckDef => ({
    id: `attest.${id}`,
    title,
    lines,
    phases,
    probes: [],
    judge: (c) => readiness.attestation(c, id),
    alert: { none: NO_ALERT.attestation },
    dashboard: group,
    personal: true,
  });
  return [
    one("monitoring-dashboard", "Monitoring dashboard access configured (attested)", ["Access to production monitoring dashboard configured"], ["pre-cutover"], "readiness"),
    one("on-call-briefed", "On-call team briefed and ready (attested)", ["On-call team briefed and ready"], ["pre-cutover"], "readiness"),
    one("rollback-trained", "Rollback procedures reviewed, team trained (attested)", ["Rollback procedures reviewed and team trained"], ["pre-cutover"], "readiness"),
    one("team-briefed", "Team briefed and trained (attested)", ["Team briefed and trained"], ["pre-cutover"], "readiness"),
    one("rollback-documented", "Rollback procedures documented (attested)", ["Rollback procedures documented"], ["pre-cutover"], "readiness"),
    one("on-call-schedule", "On-call schedule activated (attested)", ["On-call schedule activated"], ["pre-cutover"], "readiness"),
    one("signoff-engineering", "Sign-off: Engineering Lead", ["Engineering Lead: _________ Date: _____"], ["final"], "signoff"),
    one("signoff-operations", "Sign-off: Operations Lead", ["Operations Lead: _________ Date: _____"], ["final"], "signoff"),
    one("signoff-data-quality", "Sign-off: Data Quality Lead", ["Data Quality Lead: _________ Date: _____"], ["final"], "signoff"),
    {
      id: "attestations-recorded",
      title: "Person-only lines attested by the final check",
      lines: ["Team briefed and trained", "Rollback procedures documented", "On-call schedule activated"],
      phases: ["final"],
      probes: [],
      judge: criteria.attestationsRecorded,
      alert: { none: NO_ALERT.attestation },
      dashboard: "signoff",
      personal: true,
    },
  ];
}

const BY_ID = new Map(CATALOGUE.map((c) => [c.id, c]));

export function checkById(id: string): CheckDef | undefined {
  return BY_ID.get(id);
}

/**
 * The probes a checkpoint runs: those its checks need (`checks`, default the phase's), once each.
 * hour0 also reads the log, to start the since-cutover log totals.
 */
export function probesOfPhase(phase: PhaseName, checks: readonly CheckDef[] = checksOfPhase(phase)): ProbeName[] {
  const set = new Set<ProbeName>(checks.flatMap((d) => d.probes));
  if (phase === "hour0") set.add("logs");
  return [...set];
}

/** The checks a phase judges, in catalogue order. */
export function checksOfPhase(phase: PhaseName): CheckDef[] {
  return CATALOGUE.filter((c) => c.phases.includes(phase));
}

/** The check ids that feed a rule: FAIL through `rule`, WARN through `warnRule`. */
export function checksFeeding(ruleId: string): { fail: string[]; warn: string[] } {
  const fail: string[] = [];
  const warn: string[] = [];
  for (const c of CATALOGUE) {
    if (!("rule" in c.alert)) continue;
    if (c.alert.rule === ruleId) fail.push(c.id);
    if (c.alert.warnRule === ruleId) warn.push(c.id);
  }
  return { fail, warn };
}
