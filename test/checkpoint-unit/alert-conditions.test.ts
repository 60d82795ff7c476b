/**
 * The checklist's 9 alert conditions, through the runner's own glue (src/checkpoint/act.ts):
 * checkpoint checks and metrics -> observations -> alert rules -> decision tree -> routing.
 * The end-to-end tests (test/checkpoint) inject some of them into the live pipeline; this table
 * covers all nine with the default configuration.
 */
import { describe, expect, it } from "vitest";
import { configSchema } from "../../src/config/schema.js";
import { observationsOf } from "../../src/checkpoint/act.js";
import type { CheckRecord, HistoryPoint } from "../../src/checkpoint/context.js";
import type { KeyMetrics } from "../../src/checkpoint/run-checkpoint.js";
import type { CheckpointContext } from "../../src/checkpoint/context.js";
import { memoryGrowthPercentPerHour } from "../../src/checks/metrics.js";
import type { Measurements } from "../../src/probes/types.js";
import { alertRulesFor } from "../../src/judge/config.js";
import { emptyAlertState, evaluateRules } from "../../src/judge/alert-rules.js";
import { decide } from "../../src/judge/decide.js";
import { testClock } from "../../src/judge/clock.js";

const config = configSchema.parse({});
const HOUR = 3_600_000;

function healthy(): { metrics: KeyMetrics; checks: CheckRecord[]; history: HistoryPoint[]; samplesMb: number[] } {
  return {
    metrics: { kpi_latency_ms: 8, error_rate_percent: 0, memory_mb: 110, memory_growth_percent_per_hour: null, cpu_percent: 5, audit_trail_events: 42, validation_status: "PASS", extra: {} },
    checks: ["stability.latency", "stability.error-rate", "stability.audit-events", "extended.data-quality"].map((id) => check(id, "PASS")),
    history: [],
    samplesMb: [110, 110, 111, 110],
  };
}

function check(id: string, verdict: CheckRecord["verdict"]): CheckRecord {
  return { id, title: id, section: "", verdict, measured: "", threshold: "", value: null };
}

function measurements(samplesMb: number[], now: number): Measurements {
  const ok = <T>(data: T) => ({ ok: true as const, data, durationMs: 1 });
  return {
    phase: "stability",
    checkpoint: "x",
    startedAt: "",
    finishedAt: "",
    probes: ["latency", "errorRate", "resources"],
    latency: ok({} as never),
    errorRate: ok({} as never),
    resources: ok({ samples: samplesMb.map((mb, i) => ({ at: now - (samplesMb.length - i) * 200, rssMb: mb, cpuPercent: 5 })) } as never),
    state: {},
  };
}

/** What the runner does: the growth rate from history + samples, then the observations. */
function observe(s: ReturnType<typeof healthy>, now: number) {
  const m = measurements(s.samplesMb, now);
  s.metrics.memory_growth_percent_per_hour = memoryGrowthPercentPerHour({ config, history: s.history, measurements: m } as unknown as CheckpointContext);
  return observationsOf(s.checks, s.metrics, m);
}

type Case = {
  condition: string;
  mutate: (s: ReturnType<typeof healthy>, now: number) => void;
  rule: string;
  alertSeverity: "critical" | "warning";
  decision: "CRITICAL" | "HIGH" | "MEDIUM" | "LOW";
  rollback: "now" | "recommended" | "no";
};

const CASES: Case[] = [
  { condition: "Error Rate > 5%", mutate: (s) => (s.metrics.error_rate_percent = 18.75), rule: "error-rate-critical", alertSeverity: "critical", decision: "CRITICAL", rollback: "now" },
  { condition: "Latency > 500ms", mutate: (s) => (s.metrics.kpi_latency_ms = 712), rule: "latency-critical", alertSeverity: "critical", decision: "HIGH", rollback: "no" },
  {
    condition: "Memory Growing > 20% per hour",
    mutate: (s, now) => {
      // Two hours of history growing 30 %/h from 120 MB: caught by its growth, below 500 MB.
      s.history = [0, 1, 2].map((h) => ({ timestamp: new Date(now - (2 - h) * HOUR).toISOString(), checkpointId: `c${h}`, phase: "stability", memory_mb: 120 * (1 + 0.3 * h), memorySamples: [{ t: now - (2 - h) * HOUR, mb: 120 * (1 + 0.3 * h) }], kpi_latency_ms: 8, error_rate_percent: 0, cpu_percent: 5, audit_trail_events: 42, validation_status: "PASS", verdict: "PASS", pipeline_status: "operational" }));
      s.samplesMb = [192, 192, 193, 192];
      s.metrics.memory_mb = 193;
    },
    rule: "memory-critical",
    alertSeverity: "critical",
    decision: "HIGH",
    rollback: "no",
  },
  { condition: "Data Quality Issue Detected", mutate: (s) => (s.checks = s.checks.map((c) => (c.id === "extended.data-quality" ? check(c.id, "FAIL") : c))), rule: "data-quality-issue", alertSeverity: "critical", decision: "CRITICAL", rollback: "recommended" },
  { condition: "Audit Trail Failure", mutate: (s) => (s.checks = s.checks.map((c) => (c.id === "stability.audit-events" ? check(c.id, "FAIL") : c))), rule: "audit-trail-failure", alertSeverity: "critical", decision: "CRITICAL", rollback: "now" },
  { condition: "Latency 100-500ms", mutate: (s) => (s.metrics.kpi_latency_ms = 312), rule: "latency-warning", alertSeverity: "warning", decision: "MEDIUM", rollback: "no" },
  { condition: "Error Rate 0.1-5%", mutate: (s) => (s.metrics.error_rate_percent = 1.2), rule: "error-rate-warning", alertSeverity: "warning", decision: "MEDIUM", rollback: "no" },
  { condition: "CPU Utilization 50-80%", mutate: (s) => (s.metrics.cpu_percent = 63), rule: "cpu-warning", alertSeverity: "warning", decision: "LOW", rollback: "no" },
  { condition: "Memory 200-500 MB", mutate: (s) => ((s.metrics.memory_mb = 260), (s.samplesMb = [260, 260, 260, 260])), rule: "memory-warning", alertSeverity: "warning", decision: "LOW", rollback: "no" },
];

describe("the checklist's alert conditions -> alert, decision, channels", () => {
  const rules = alertRulesFor(config.thresholds);
  const routing = config.alerts.channels.routing;

  it.each(CASES)("$condition -> $rule ($alertSeverity), $decision, rollback $rollback", (c) => {
    const clock = testClock();
    const now = clock.now();
    const s = healthy();
    c.mutate(s, now);
    const obs = observe(s, now);
    const r = evaluateRules({ rules, observations: obs, state: emptyAlertState(), clock, checkpoint: "stability @ 02:00" });
    const triggers = r.notices.filter((n) => n.kind === "trigger");
    expect(triggers.map((t) => t.ruleId)).toEqual([c.rule]);
    expect(triggers[0]!.alertSeverity).toBe(c.alertSeverity);
    expect(triggers[0]!.runbook.length).toBeGreaterThan(0);
    const d = decide({ firing: r.firing, checkResults: s.checks.map((x) => ({ id: x.id, verdict: x.verdict })), decisionTree: config.decisionTree, ruleCheckIds: s.checks.map((x) => x.id) });
    expect(d.severity).toBe(c.decision);
    expect(d.rollback).toBe(c.rollback);
    expect(d.reason).toContain(c.rule);
    // Routing: critical -> PagerDuty, Slack and email; warning -> Slack.
    if (c.alertSeverity === "critical") expect(routing.critical).toEqual(expect.arrayContaining(["pagerduty", "slack", "email"]));
    else expect(routing.warning).toContain("slack");
  });

  it("a healthy checkpoint raises nothing and decides NONE", () => {
    const clock = testClock();
    const s = healthy();
    const obs = observe(s, clock.now());
    const r = evaluateRules({ rules, observations: obs, state: emptyAlertState(), clock, checkpoint: "x" });
    expect(r.notices).toEqual([]);
    expect(decide({ firing: r.firing, checkResults: s.checks, decisionTree: config.decisionTree }).severity).toBe("NONE");
  });

  it("too short a memory history is unknown, never a growth alert on noise", () => {
    const clock = testClock();
    const s = healthy();
    s.samplesMb = [100, 140, 100, 140]; // wild swings inside one 1 s window
    const obs = observe(s, clock.now());
    expect(obs.memory_growth_percent_per_hour).toMatchObject({ value: null, verdict: "ERROR" });
    const r = evaluateRules({ rules, observations: obs, state: emptyAlertState(), clock, checkpoint: "x" });
    expect(r.notices).toEqual([]);
  });
});
