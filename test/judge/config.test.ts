import { describe, expect, it } from "vitest";
import {
  alertRulesSchema,
  decisionTreeSchema,
  defaultJudgeConfig,
  judgeConfigSchema,
  thresholdsSchema,
  week3BaselineSchema,
} from "../../src/judge/config.ts";

describe("judge config defaults equal DESIGN.md's and the checklist's tables", () => {
  const config = defaultJudgeConfig();

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
    expect(config.week3Baseline).toEqual({
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
    ["latency-critical", "critical", "HIGH"],
    ["memory-critical", "critical", "HIGH"],
    ["cpu-critical", "critical", "HIGH"],
    ["latency-warning", "warning", "MEDIUM"],
    ["error-rate-warning", "warning", "MEDIUM"],
    ["cpu-warning", "warning", "LOW"],
    ["memory-warning", "warning", "LOW"],
  ])("alert rule %s is %s / %s with a runbook", (id, alertSeverity, decisionSeverity) => {
    const rule = config.alertRules.find((r) => r.id === id);
    expect(rule).toMatchObject({ alertSeverity, decisionSeverity, repeatIntervalSeconds: 3600 });
    expect(rule!.runbook.length).toBeGreaterThanOrEqual(3);
  });

  it("latency escalates at 10 and 15 minutes; memory at the next checkpoint; warnings yield to criticals", () => {
    const byId = Object.fromEntries(config.alertRules.map((r) => [r.id, r]));
    expect(byId["latency-critical"]!.escalations).toEqual([
      { afterSeconds: 600, action: "alert engineering", rollbackRecommended: false },
      { afterSeconds: 900, action: "rollback recommended", rollbackRecommended: true },
    ]);
    expect(byId["memory-critical"]!.escalations).toEqual([{ atNextCheckpoint: true, action: "rollback recommended", rollbackRecommended: true }]);
    expect(byId["latency-warning"]!.suppressedBy).toEqual(["latency-critical"]);
    expect(byId["memory-warning"]!.suppressedBy).toEqual(["memory-critical"]);
    expect(alertRulesSchema.parse(undefined)).toEqual(config.alertRules);
  });

  it("decision tree", () => {
    const tree = config.decisionTree;
    expect(tree.CRITICAL).toMatchObject({ action: "rollback now", rollback: true });
    expect(tree.HIGH.rollback).toBe(false);
    expect(tree.MEDIUM.action).toBe("monitor and document");
    expect(tree.LOW.action).toBe("document and continue");
    expect(decisionTreeSchema.parse({ HIGH: { action: "page" } }).HIGH).toMatchObject({ action: "page", rollback: false });
  });

  it("overriding one threshold keeps the rest and moves the default rules with it", () => {
    const c = judgeConfigSchema.parse({ thresholds: { kpiLatencyP95Ms: { failAt: 400 } } });
    expect(c.thresholds.kpiLatencyP95Ms).toMatchObject({ warnAt: 100, failAt: 400, unit: "ms" });
    expect(c.thresholds.cpuPercent.failAt).toBe(80);
    const rule = c.alertRules.find((r) => r.id === "latency-critical")!;
    expect(rule.condition).toMatchObject({ metric: "kpi_latency_ms", operator: ">", threshold: 400 });
  });

  it.each([
    ["an inverted band", { cpuPercent: { warnAt: 90 } }, /warnAt \(90\) must not exceed failAt \(80\)/],
    ["a bad alpha", { significanceAlpha: 1.5 }, /./],
  ])("rejects %s", (_name, input, message) => {
    const r = thresholdsSchema.safeParse(input);
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.message).toMatch(message);
  });

  it("rejects duplicate rule ids, unknown suppressors and ambiguous escalations", () => {
    const rule = { id: "x", condition: { metric: "m", operator: ">", threshold: 1 }, alertSeverity: "warning", decisionSeverity: "LOW", action: "a" };
    expect(alertRulesSchema.safeParse([rule, rule]).error?.issues[0]?.message).toMatch(/duplicate/);
    expect(alertRulesSchema.safeParse([{ ...rule, suppressedBy: ["nope"] }]).error?.issues[0]?.message).toMatch(/unknown rule "nope"/);
    expect(alertRulesSchema.safeParse([{ ...rule, escalations: [{ action: "x" }] }]).error?.issues[0]?.message).toMatch(/exactly one/);
  });

  it("check conditions can never watch for ERROR", () => {
    const rule = { id: "x", condition: { check: "c", verdicts: ["ERROR"] }, alertSeverity: "critical", decisionSeverity: "CRITICAL", action: "a" };
    expect(alertRulesSchema.safeParse([rule]).success).toBe(false);
  });

  it("returns fresh objects", () => {
    const a = defaultJudgeConfig();
    a.alertRules[0]!.runbook.push("mutated");
    a.decisionTree.rollbackProcedure.push("mutated");
    const b = defaultJudgeConfig();
    expect(b.alertRules[0]!.runbook).not.toContain("mutated");
    expect(b.decisionTree.rollbackProcedure).not.toContain("mutated");
  });
});
