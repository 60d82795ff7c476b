/**
 * The judge's part of the product's config (configSchema in src/config/schema.ts): thresholds,
 * the week-3 baseline, the alert rules (defaults from src/judge/rules.ts, watching catalogue
 * checks), the stale limit and the decision tree. Defaults equal DESIGN.md's and the checklist's tables.
 */
import { describe, expect, it } from "vitest";
import { monitorConfigSchema as configSchema } from "../../src/config/resolve.ts";
import type { MonitorConfigInput } from "../../src/config/schema.ts";
import { checksFeeding } from "../../src/catalogue/catalogue.ts";
import { alertRuleListSchema, conditionSchema, decisionTreeSchema, thresholdsSchema, week3BaselineSchema, type AlertRuleInput } from "../../src/judge/config.ts";
import { alertRulesFor } from "../../src/judge/rules.ts";

const config = configSchema.parse({});
const byId = Object.fromEntries(config.alerts.rules.map((r) => [r.id, r]));
const issues = (input: MonitorConfigInput) => {
  const r = configSchema.safeParse(input);
  expect(r.success).toBe(false);
  return r.error!.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
};
const ruleInput = (over: Partial<AlertRuleInput> = {}): AlertRuleInput => ({
  id: "x",
  condition: { failOf: ["cpu"] },
  alertSeverity: "warning",
  decisionSeverity: "LOW",
  action: "a",
  ...over,
});

describe("the judge's config defaults equal DESIGN.md's and the checklist's tables", () => {
  it("thresholds", () => {
    const t = config.thresholds;
    expect([t.kpiLatencyP95Ms.warnAt, t.kpiLatencyP95Ms.failAt]).toEqual([100, 500]);
    expect([t.errorRatePercent.warnAt, t.errorRatePercent.failAt]).toEqual([0.1, 5]);
    expect([t.memoryMb.warnAt, t.memoryMb.failAt]).toEqual([200, 500]);
    expect([t.cpuPercent.warnAt, t.cpuPercent.failAt]).toEqual([50, 80]);
    expect(t.memoryGrowthPercentPerHour.failAt).toBe(20);
    expect(t.memoryStableWithinPercent).toBe(10);
    expect(t.baselineTolerancePercent).toBe(5);
    expect(t.baselineMinimumAbsoluteEffect).toEqual({ kpiLatencyMs: 2, errorRatePercent: 0.1, memoryMb: 10, cpuPercent: 10 });
    expect(t.significanceAlpha).toBe(0.05);
  });

  it("week-3 baseline", () => {
    expect(config.baseline.week3).toEqual({
      kpi_latency_ms: 1.09,
      error_rate_percent: 0,
      memory_peak_mb: 105.5,
      cpu_percent_below: 50,
      audit_trail_events_min: 6,
    });
    expect(week3BaselineSchema.parse({ memory_peak_mb: 120 }).kpi_latency_ms).toBe(1.09);
  });

  it.each([
    ["error-rate-critical", "critical", "CRITICAL"],
    ["audit-trail-failure", "critical", "CRITICAL"],
    ["data-quality-issue", "critical", "CRITICAL"],
    ["pipeline-down", "critical", "HIGH"],
    ["latency-critical", "critical", "HIGH"],
    ["memory-critical", "critical", "HIGH"],
    ["cpu-critical", "critical", "HIGH"],
    ["pipeline-restarted", "critical", "HIGH"],
    ["output-channel-down", "critical", "HIGH"],
    ["latency-warning", "warning", "MEDIUM"],
    ["error-rate-warning", "warning", "MEDIUM"],
    ["cpu-warning", "warning", "LOW"],
    ["memory-warning", "warning", "LOW"],
    ["pipeline-restart-warning", "warning", "LOW"],
  ])("alert rule %s is %s / %s, watches the checks that feed it, with a runbook", (id, alertSeverity, decisionSeverity) => {
    const rule = byId[id]!;
    expect(rule).toMatchObject({ alertSeverity, decisionSeverity, repeatIntervalSeconds: 3600, forSeconds: 0 });
    expect(rule.runbook.length).toBeGreaterThanOrEqual(2);
    // A critical watches the checks whose FAIL feeds it; a warning those whose WARN feeds it.
    const feeding = checksFeeding(id);
    expect(rule.condition).toEqual(alertSeverity === "critical" ? { failOf: feeding.fail, warnOf: [] } : { failOf: [], warnOf: feeding.warn });
    expect([...rule.condition.failOf, ...rule.condition.warnOf].length).toBeGreaterThan(0);
  });

  it("exactly the checklist's alert table, in order", () => {
    expect(config.alerts.rules.map((r) => r.id)).toEqual([
      "error-rate-critical",
      "audit-trail-failure",
      "data-quality-issue",
      "pipeline-down",
      "latency-critical",
      "memory-critical",
      "cpu-critical",
      "pipeline-restarted",
      "output-channel-down",
      "latency-warning",
      "error-rate-warning",
      "cpu-warning",
      "memory-warning",
      "pipeline-restart-warning",
    ]);
  });

  it("escalations, suppression, rollback overrides and inhibition", () => {
    expect(byId["latency-critical"]!.escalations).toEqual([
      { afterSeconds: 600, action: "alert engineering", rollbackRecommended: false },
      { afterSeconds: 900, action: "rollback recommended", rollbackRecommended: true },
    ]);
    expect(byId["memory-critical"]!.escalations).toEqual([{ atNextCheckpoint: true, action: "rollback recommended", rollbackRecommended: true }]);
    expect(byId["pipeline-down"]!.escalations).toEqual([{ afterSeconds: 900, action: "rollback recommended", rollbackRecommended: true }]);
    expect(Object.fromEntries(config.alerts.rules.filter((r) => r.suppressedBy.length).map((r) => [r.id, r.suppressedBy]))).toEqual({
      "latency-warning": ["latency-critical"],
      "error-rate-warning": ["error-rate-critical"],
      "cpu-warning": ["cpu-critical"],
      "memory-warning": ["memory-critical"],
      "pipeline-restart-warning": ["pipeline-restarted"],
    });
    expect(config.alerts.rules.filter((r) => r.rollback).map((r) => [r.id, r.rollback])).toEqual([["data-quality-issue", "recommended"]]);
    expect(config.alerts.rules.filter((r) => r.inhibitsUnmeasured).map((r) => r.id)).toEqual(["pipeline-down"]);
    // The defaults are a valid configured rule list too.
    expect(alertRuleListSchema.parse(config.alerts.rules)).toEqual(config.alerts.rules);
  });

  it("a stale limit of 30 minutes", () => {
    expect(config.alerts.staleAfterSeconds).toBe(1800);
    expect(configSchema.parse({ alerts: { staleAfterSeconds: 600 } }).alerts.staleAfterSeconds).toBe(600);
    expect(issues({ alerts: { staleAfterSeconds: 0 } })[0]).toMatch(/^alerts\.staleAfterSeconds: /);
  });

  it("decision tree", () => {
    const tree = config.decisionTree;
    expect(tree.CRITICAL).toEqual({ action: "rollback now", rollback: true, runbook: [] });
    expect(tree.HIGH).toMatchObject({ rollback: false, runbook: [] });
    expect(tree.MEDIUM).toEqual({ action: "monitor and document", rollback: false, runbook: [] });
    expect(tree.LOW).toEqual({ action: "document and continue", rollback: false, runbook: [] });
    expect(tree.NONE.action).toBe("continue monitoring");
    expect(tree).toMatchObject({ unmatchedFailSeverity: "HIGH", unmatchedWarnSeverity: "LOW", errorSeverity: "MEDIUM" });
    expect(tree.rollbackProcedure[0]).toBe("Execute the rollback: {rollbackCommand}");
    expect(decisionTreeSchema.parse({ HIGH: { action: "page" } }).HIGH).toEqual({ action: "page", rollback: false, runbook: [] });
  });
});

describe("configuring the judge", () => {
  it("overriding one threshold keeps the rest; the default rules keep watching the same checks and quote the new band", () => {
    const c = configSchema.parse({ thresholds: { kpiLatencyP95Ms: { failAt: 400 } } });
    expect(c.thresholds.kpiLatencyP95Ms).toMatchObject({ warnAt: 100, failAt: 400, unit: "ms" });
    expect(c.thresholds.cpuPercent.failAt).toBe(80);
    const rule = c.alerts.rules.find((r) => r.id === "latency-critical")!;
    expect(rule.condition).toEqual(byId["latency-critical"]!.condition);
    expect(rule.description).toBe("Latency > 400ms");
    expect(c.alerts.rules.find((r) => r.id === "latency-warning")!.description).toBe("Latency 100-400ms");
    expect(alertRulesFor(c.thresholds)).toEqual(c.alerts.rules);
  });

  it("configured rules replace the defaults", () => {
    const c = configSchema.parse({ alerts: { rules: [ruleInput({ id: "cpu-only", condition: { warnOf: ["cpu"] } })] } });
    expect(c.alerts.rules).toEqual([
      {
        id: "cpu-only",
        description: "",
        condition: { failOf: [], warnOf: ["cpu"] },
        alertSeverity: "warning",
        decisionSeverity: "LOW",
        action: "a",
        runbook: [],
        forSeconds: 0,
        escalations: [],
        repeatIntervalSeconds: 3600,
        suppressedBy: [],
        inhibitsUnmeasured: false,
      },
    ]);
  });

  it.each([
    ["failOf", { failOf: ["cpu", "latency"] }, "alerts.rules.1.condition.failOf.1", "latency"],
    ["warnOf", { warnOf: ["kpi_latency_ms"] }, "alerts.rules.1.condition.warnOf.0", "kpi_latency_ms"],
  ])("a configured rule naming an unknown check in %s is refused with the field's path", (_field, condition, path, id) => {
    const found = issues({ alerts: { rules: [ruleInput({ id: "ok" }), ruleInput({ id: "bad", condition })] } });
    expect(found).toEqual([`${path}: unknown check "${id}" (see docs/CHECKS.md for the catalogue's ids)`]);
  });

  it.each<[string, unknown]>([
    ["an empty condition", {}],
    ["the old metric condition", { metric: "kpi_latency_ms", operator: ">", threshold: 500 }],
    ["the old check condition", { check: "kpi-latency", verdicts: ["FAIL"] }],
    ["the old anyOf condition", { anyOf: [{ metric: "memory_mb", operator: ">", threshold: 500 }] }],
  ])("%s watches no check and is refused", (_name, condition) => {
    const r = conditionSchema.safeParse(condition);
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.message).toBe("a rule watches at least one check (failOf or warnOf)");
    expect(issues({ alerts: { rules: [ruleInput({ condition: condition as never })] } })).toEqual(["alerts.rules.0.condition: a rule watches at least one check (failOf or warnOf)"]);
  });

  it.each([
    ["an inverted band", { cpuPercent: { warnAt: 90 } }, /warnAt \(90\) must not exceed failAt \(80\)/],
    ["a bad alpha", { significanceAlpha: 1.5 }, /expected number to be <1|too big/i],
    // A negative edge judged every value WARN (or FAIL) for good, while the decision said nothing failed.
    ["a negative warnAt", { kpiLatencyP95Ms: { warnAt: -100 } }, /expected number to be >=0/],
    ["a negative failAt", { memoryMb: { warnAt: 0, failAt: -1 } }, /expected number to be >=0/],
  ])("thresholds reject %s", (_name, input, message) => {
    const r = thresholdsSchema.safeParse(input);
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.message).toMatch(message);
  });

  it("a negative band edge is refused naming its field", () => {
    expect(issues({ thresholds: { cpuPercent: { warnAt: -5, failAt: 80 } } })).toEqual(["thresholds.cpuPercent.warnAt: Too small: expected number to be >=0"]);
  });

  it("rejects duplicate rule ids, unknown suppressors, ambiguous escalations and bad ids", () => {
    const rule = ruleInput();
    expect(alertRuleListSchema.safeParse([rule, rule]).error?.issues[0]?.message).toMatch(/duplicate rule id "x"/);
    expect(alertRuleListSchema.safeParse([{ ...rule, suppressedBy: ["nope"] }]).error?.issues[0]?.message).toMatch(/unknown rule "nope"/);
    expect(alertRuleListSchema.safeParse([{ ...rule, escalations: [{ action: "x" }] }]).error?.issues[0]?.message).toMatch(/exactly one/);
    expect(alertRuleListSchema.safeParse([{ ...rule, escalations: [{ action: "x", afterSeconds: 60, atNextCheckpoint: true }] }]).error?.issues[0]?.message).toMatch(/exactly one/);
    expect(alertRuleListSchema.safeParse([{ ...rule, id: "Not An Id" }]).success).toBe(false);
    expect(issues({ alerts: { rules: [rule, rule] } })).toEqual(['alerts.rules.1.id: duplicate rule id "x"']);
  });

  it("every parse returns fresh rule and tree objects", () => {
    const a = configSchema.parse({});
    a.alerts.rules[0]!.runbook.push("mutated");
    a.decisionTree.rollbackProcedure.push("mutated");
    const b = configSchema.parse({});
    expect(b.alerts.rules[0]!.runbook).not.toContain("mutated");
    expect(b.decisionTree.rollbackProcedure).not.toContain("mutated");
  });
});
