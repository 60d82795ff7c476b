/**
 * The checklist's alert conditions, driven the way a checkpoint judges them: the catalogue's check
 * verdicts (CheckRecord, as assess() records them) -> observationsOf -> evaluateRules with the
 * default rules -> decide with the default decision tree. The end-to-end tests (test/checkpoint)
 * inject some of these into the live pipeline; this table covers every condition.
 */
import { describe, expect, it } from "vitest";
import { monitorConfigSchema as configSchema } from "../../src/config/resolve.js";
import type { CheckRecord } from "../../src/checkpoint/context.js";
import { checkById, checksOfPhase } from "../../src/catalogue/catalogue.js";
import { emptyAlertState, evaluateRules, type AlertState, type EvaluateRulesResult } from "../../src/judge/alert-rules.js";
import { MINUTE_MS, testClock, type TestClock } from "../../src/judge/clock.js";
import { decide, failsCheckpoint, type Decision } from "../../src/judge/decide.js";
import { observationsOf } from "../../src/judge/judge-checkpoint.js";
import type { Verdict } from "../../src/judge/verdict.js";

const config = configSchema.parse({});
const rollbackCommand = config.target.rollback.command.join(" ");
const T0 = Date.parse("2025-12-26T02:00:00.000Z");
const ruleOf = (id: string) => config.alerts.rules.find((r) => r.id === id)!;

/** One check's record as assess() makes it: catalogue title and section, and the rules it feeds. */
function record(id: string, verdict: Verdict, extra: Partial<CheckRecord> = {}): CheckRecord {
  const def = checkById(id);
  if (!def) throw new Error(`not a catalogue check: ${id}`);
  const rules = "rule" in def.alert ? [def.alert.rule, ...(def.alert.warnRule ? [def.alert.warnRule] : [])] : [];
  return {
    id,
    title: def.title,
    section: def.dashboard,
    verdict,
    measured: `${id} measured ${verdict}`,
    threshold: `${id} band`,
    ...(verdict === "PASS" ? {} : { advice: `look into ${id}` }),
    value: null,
    rules,
    judgedBecause: "phase",
    ...extra,
  };
}

/** A healthy stability checkpoint: every check the stability phase judges, PASS. */
const healthy = (): CheckRecord[] => checksOfPhase("stability").map((d) => record(d.id, "PASS"));

/** The healthy checkpoint with some checks replaced (or added when the phase does not judge them). */
function withChecks(changes: Record<string, [Verdict, Partial<CheckRecord>?]>, base: CheckRecord[] = healthy()): CheckRecord[] {
  const out = base.map((c) => (changes[c.id] ? record(c.id, changes[c.id]![0], changes[c.id]![1]) : c));
  for (const [id, [verdict, extra]] of Object.entries(changes)) if (!out.some((c) => c.id === id)) out.push(record(id, verdict, extra));
  return out;
}

interface Judged {
  rules: EvaluateRulesResult;
  decision: Decision;
}

/** One checkpoint: verdicts -> observations -> default rules -> decision tree (no silences). */
function judge(checks: CheckRecord[], clock: TestClock, state: AlertState = emptyAlertState(), label = "stability @ 02:00"): Judged {
  const observations = observationsOf(checks, `checkpoint ${label}`);
  const rules = evaluateRules({ rules: config.alerts.rules, observations, state, clock, checkpoint: label, staleAfterSeconds: config.alerts.staleAfterSeconds });
  const decision = decide({ firing: rules.firing, checks, decisionTree: config.decisionTree, rollbackCommand });
  return { rules, decision };
}

const firingOf = (r: EvaluateRulesResult) => r.firing.map((f) => `${f.ruleId}${f.muted ? ` (muted by ${f.muted.source})` : ""}`);

type Case = {
  condition: string;
  checks: Record<string, [Verdict, Partial<CheckRecord>?]>;
  rule: string;
  alertSeverity: "critical" | "warning";
  /** The warning on the same checks, firing but muted by the critical. */
  muted?: string;
  decision: "CRITICAL" | "HIGH" | "MEDIUM" | "LOW";
  rollback: "now" | "recommended" | "no";
};

const CASES: Case[] = [
  { condition: "Error Rate > 5%", checks: { "error-rate": ["FAIL", { value: 18.75 }] }, rule: "error-rate-critical", alertSeverity: "critical", muted: "error-rate-warning", decision: "CRITICAL", rollback: "now" },
  { condition: "Audit Trail Failure", checks: { "audit-events": ["FAIL", { value: 0 }] }, rule: "audit-trail-failure", alertSeverity: "critical", decision: "CRITICAL", rollback: "now" },
  { condition: "Data Quality Issue Detected", checks: { "data-quality": ["FAIL"] }, rule: "data-quality-issue", alertSeverity: "critical", decision: "CRITICAL", rollback: "recommended" },
  { condition: "Latency > 500ms", checks: { "kpi-latency": ["FAIL", { value: 712 }] }, rule: "latency-critical", alertSeverity: "critical", muted: "latency-warning", decision: "HIGH", rollback: "no" },
  { condition: "Memory > 500 MB", checks: { memory: ["FAIL", { value: 540 }] }, rule: "memory-critical", alertSeverity: "critical", muted: "memory-warning", decision: "HIGH", rollback: "no" },
  { condition: "Memory Growing > 20% per hour", checks: { "memory-growth": ["FAIL", { value: 30 }] }, rule: "memory-critical", alertSeverity: "critical", decision: "HIGH", rollback: "no" },
  { condition: "CPU > 80%", checks: { cpu: ["FAIL", { value: 93 }] }, rule: "cpu-critical", alertSeverity: "critical", muted: "cpu-warning", decision: "HIGH", rollback: "no" },
  { condition: "Pipeline down", checks: { "pipeline-up": ["FAIL", { value: 3 }] }, rule: "pipeline-down", alertSeverity: "critical", decision: "HIGH", rollback: "no" },
  { condition: "Pipeline restarted twice within the hour", checks: { "pipeline-restart": ["FAIL", { value: 2 }] }, rule: "pipeline-restarted", alertSeverity: "critical", muted: "pipeline-restart-warning", decision: "HIGH", rollback: "no" },
  { condition: "Latency 100-500ms", checks: { "kpi-latency": ["WARN", { value: 312 }] }, rule: "latency-warning", alertSeverity: "warning", decision: "MEDIUM", rollback: "no" },
  { condition: "Error Rate 0.1-5%", checks: { "error-rate": ["WARN", { value: 1.2 }] }, rule: "error-rate-warning", alertSeverity: "warning", decision: "MEDIUM", rollback: "no" },
  { condition: "CPU Utilization 50-80%", checks: { cpu: ["WARN", { value: 63 }] }, rule: "cpu-warning", alertSeverity: "warning", decision: "LOW", rollback: "no" },
  { condition: "Memory 200-500 MB", checks: { memory: ["WARN", { value: 260 }] }, rule: "memory-warning", alertSeverity: "warning", decision: "LOW", rollback: "no" },
  { condition: "Pipeline restarted once", checks: { "pipeline-restart": ["WARN", { value: 1 }] }, rule: "pipeline-restart-warning", alertSeverity: "warning", decision: "LOW", rollback: "no" },
];

describe("the checklist's alert conditions: check verdicts -> alert rules -> decision", () => {
  it.each(CASES)("$condition -> $rule ($alertSeverity), decision $decision, rollback $rollback", (c) => {
    const clock = testClock(T0);
    const checks = withChecks(c.checks);
    const { rules: r, decision: d } = judge(checks, clock);

    // The rule that fires, and no other (a critical's own warning fires muted by it).
    expect(r.notices.map((n) => `${n.kind}:${n.ruleId}`)).toEqual([`trigger:${c.rule}`]);
    expect(firingOf(r)).toEqual([c.rule, ...(c.muted ? [`${c.muted} (muted by ${c.rule})`] : [])]);
    const notice = r.notices[0]!;
    expect(notice).toMatchObject({ alertSeverity: c.alertSeverity, decisionSeverity: ruleOf(c.rule).decisionSeverity, checkpoint: "stability @ 02:00", runbook: ruleOf(c.rule).runbook });
    const [checkId, [verdict, extra]] = Object.entries(c.checks)[0]!;
    expect(notice.evidence[checkId]).toMatchObject({ verdict, measured: true, source: "checkpoint stability @ 02:00" });
    expect(notice.value).toBe(extra?.value ?? null);
    expect(r.firing[0]!.checks).toEqual([checkId]);

    // The decision: this rule decides, nothing is left unexplained.
    expect(d).toMatchObject({ severity: c.decision, rollback: c.rollback, unexplained: [], stale: [] });
    expect(d.alerts[0]).toBe(c.rule);
    expect(d.reason.startsWith(`${c.decision}: ${c.rule} (`)).toBe(true);
    expect(d.runbook.slice(0, ruleOf(c.rule).runbook.length)).toEqual(ruleOf(c.rule).runbook);
    if (c.rollback === "no") expect(d.runbook.filter((s) => s.startsWith("Execute the rollback"))).toEqual([]);
    else expect(d.runbook).toContain(`Execute the rollback: ${rollbackCommand}`);
    expect(failsCheckpoint(d.severity)).toBe(c.decision === "CRITICAL" || c.decision === "HIGH");
  });

  it("a healthy checkpoint raises nothing and decides NONE", () => {
    const { rules: r, decision: d } = judge(healthy(), testClock(T0));
    expect(r.notices).toEqual([]);
    expect(r.firing).toEqual([]);
    expect(d).toMatchObject({ severity: "NONE", rollback: "no", runbook: [], alerts: [], unexplained: [] });
  });

  it("a missing sign-off (a person's act, no alert rule) is LOW: no alert, no rollback", () => {
    const signoff = record("attest.signoff-data-quality", "WARN", { advice: "the Data Quality Lead signs off" });
    expect(signoff.rules).toEqual([]);
    const { rules: r, decision: d } = judge([...healthy(), signoff], testClock(T0));
    expect(r.notices).toEqual([]);
    expect(r.firing).toEqual([]);
    expect(d).toMatchObject({ severity: "LOW", rollback: "no", alerts: [], unexplained: ["attest.signoff-data-quality"] });
    expect(d.runbook).toEqual(["attest.signoff-data-quality: the Data Quality Lead signs off"]);
  });

  it("pipeline down: a not-measured error-rate FAIL stays silent; pipeline-down explains it and decides HIGH, not CRITICAL", () => {
    const unreachable = { notMeasured: true, value: null, advice: "the pipeline did not answer" } satisfies Partial<CheckRecord>;
    const checks = withChecks({
      "pipeline-up": ["FAIL", { value: 3 }],
      "error-rate": ["FAIL", unreachable],
      "kpi-latency": ["FAIL", unreachable],
      memory: ["FAIL", unreachable],
      cpu: ["FAIL", unreachable],
    });
    const { rules: r, decision: d } = judge(checks, testClock(T0));
    expect(r.notices.map((n) => `${n.kind}:${n.ruleId}`)).toEqual(["trigger:pipeline-down"]);
    expect(firingOf(r)).toEqual(["pipeline-down"]);
    expect(r.state.alerts["error-rate-critical"]).toMatchObject({ status: "inactive", lastMeasuredAt: null });
    expect(d).toMatchObject({ severity: "HIGH", rollback: "no", alerts: ["pipeline-down"], unexplained: [] });
    expect(d.reason.startsWith("HIGH: pipeline-down (")).toBe(true);
  });

  it("an open alert whose checks are not observed stays firing, then goes stale: LOW, not HIGH", () => {
    const clock = testClock(T0);
    const first = judge(withChecks({ "kpi-latency": ["FAIL", { value: 712 }] }), clock);
    expect(first.decision.severity).toBe("HIGH");
    const notLatency = healthy().filter((c) => !ruleOf("latency-critical").condition.failOf.includes(c.id));

    clock.advance(5 * MINUTE_MS);
    const soon = judge(notLatency, clock, first.rules.state, "stability @ 02:05");
    expect(soon.rules.notices.filter((n) => n.ruleId.startsWith("latency"))).toEqual([]);
    expect(soon.rules.firing.find((f) => f.ruleId === "latency-critical")).toMatchObject({ stale: null, value: 712 });
    expect(soon.decision).toMatchObject({ severity: "HIGH", alerts: ["latency-critical", "latency-warning"], stale: [] });

    clock.set(T0 + config.alerts.staleAfterSeconds * 1000);
    const later = judge(notLatency, clock, soon.rules.state, "stability @ 02:30");
    expect(later.rules.state.alerts["latency-critical"]!.status).toBe("firing");
    expect(later.rules.firing.find((f) => f.ruleId === "latency-critical")).toMatchObject({ stale: { since: "2025-12-26T02:00:00.000Z" } });
    expect(later.decision).toMatchObject({ severity: "LOW", rollback: "no", alerts: [], stale: ["latency-critical", "latency-warning"], unexplained: [] });
    expect(later.decision.reason).toMatch(/stale \(not re-measured\): latency-critical since 2025-12-26T02:00:00.000Z/);
    expect(failsCheckpoint(later.decision.severity)).toBe(false);
  });

  it("memory-critical resolves once memory is measured PASS, memory growth not observed (evidence of recovery)", () => {
    const clock = testClock(T0);
    const fired = judge(withChecks({ memory: ["FAIL", { value: 540 }] }), clock);
    expect(firingOf(fired.rules)).toEqual(["memory-critical", "memory-warning (muted by memory-critical)"]);

    clock.advance(30 * MINUTE_MS);
    const checks = healthy()
      .filter((c) => c.id !== "memory-growth")
      .map((c) => (c.id === "memory" ? record("memory", "PASS", { value: 150 }) : c));
    const { rules: r, decision: d } = judge(checks, clock, fired.rules.state, "stability @ 02:30");
    expect(r.notices.map((n) => `${n.kind}:${n.ruleId}`)).toEqual(["resolve:memory-critical"]);
    expect(r.notices[0]).toMatchObject({ value: 150, incidentId: fired.rules.notices[0]!.incidentId });
    expect(r.state.alerts["memory-critical"]!.status).toBe("resolved");
    expect(r.state.alerts["memory-warning"]!.status).toBe("resolved");
    expect(r.firing).toEqual([]);
    expect(d.severity).toBe("NONE");
  });

  it("pipeline down for 15 minutes: rollback recommended, with the rollback procedure", () => {
    const clock = testClock(T0);
    const down = withChecks({ "pipeline-up": ["FAIL", { value: 3 }] });
    const first = judge(down, clock);
    clock.advance(15 * MINUTE_MS);
    const { rules: r, decision: d } = judge(down, clock, first.rules.state, "stability @ 02:15");
    expect(r.notices).toMatchObject([{ kind: "escalation", ruleId: "pipeline-down", action: "rollback recommended" }]);
    expect(d).toMatchObject({ severity: "HIGH", rollback: "recommended" });
    expect(d.runbook).toContain(`Execute the rollback: ${rollbackCommand}`);
  });
});

describe("observationsOf", () => {
  it("keys each judged check by its id, measured unless not measured or ERROR, with its evidence and source", () => {
    const obs = observationsOf(
      [
        record("kpi-latency", "WARN", { value: 312, threshold: "PASS < 100 ms", measured: "p95 312 ms", evidence: { window: "30 min" } }),
        record("error-rate", "FAIL", { notMeasured: true }),
        record("cpu", "ERROR", { evidence: { window: { from: "a", to: "b" } } }),
      ],
      "checkpoint stability @ 02:00",
    );
    expect(obs).toEqual({
      "kpi-latency": { verdict: "WARN", measured: true, value: 312, evidence: { threshold: "PASS < 100 ms", reason: "p95 312 ms", window: "30 min" }, source: "checkpoint stability @ 02:00" },
      "error-rate": { verdict: "FAIL", measured: false, value: null, evidence: { threshold: "error-rate band", reason: "error-rate measured FAIL", window: undefined }, source: "checkpoint stability @ 02:00" },
      cpu: { verdict: "ERROR", measured: false, value: null, evidence: { threshold: "cpu band", reason: "cpu measured ERROR", window: '{"from":"a","to":"b"}' }, source: "checkpoint stability @ 02:00" },
    });
  });
});
