import { describe, expect, it } from "vitest";
import { emptyAlertState, evaluateRules, type Observations } from "../../src/judge/alert-rules.ts";
import { testClock } from "../../src/judge/clock.ts";
import { decisionTreeSchema, defaultJudgeConfig } from "../../src/judge/config.ts";
import { decide, type CheckResult, type DecisionAlert } from "../../src/judge/decide.ts";

const config = defaultJudgeConfig();
const tree = config.decisionTree;
const rule = (id: string) => config.alertRules.find((r) => r.id === id)!;
const alert = (id: string, extra: Partial<DecisionAlert> = {}): DecisionAlert => {
  const r = rule(id);
  return { ruleId: r.id, decisionSeverity: r.decisionSeverity, action: r.action, runbook: r.runbook, ...(r.rollback ? { rollback: r.rollback } : {}), ...extra };
};
const pass = (...ids: string[]): CheckResult[] => ids.map((id) => ({ id, verdict: "PASS" }));

describe("decide: the checklist's decision tree", () => {
  it.each<[string, DecisionAlert[], CheckResult[], string, "now" | "recommended" | "no", RegExp]>([
    ["nothing wrong", [], pass("latency", "audit"), "NONE", "no", /continue monitoring/],
    ["error rate > 5 %", [alert("error-rate-critical")], [], "CRITICAL", "now", /rollback now/],
    ["audit trail lost", [alert("audit-trail-failure")], [], "CRITICAL", "now", /rollback now/],
    ["data quality: rollback only if corrupted", [alert("data-quality-issue")], [], "CRITICAL", "recommended", /halt new processing.*rollback recommended/],
    ["latency > 500 ms", [alert("latency-critical")], [], "HIGH", "no", /page and investigate/],
    ["latency > 500 ms for 15 min", [alert("latency-critical", { rollbackRecommended: true })], [], "HIGH", "recommended", /page and investigate; rollback recommended/],
    ["memory leak", [alert("memory-critical")], [], "HIGH", "no", /page, prepare rollback/],
    ["latency 100-500 ms", [alert("latency-warning")], [], "MEDIUM", "no", /monitor and document/],
    ["CPU 50-80 %", [alert("cpu-warning")], [], "LOW", "no", /document and continue/],
    ["the worst alert wins", [alert("cpu-warning"), alert("error-rate-critical"), alert("latency-critical")], [], "CRITICAL", "now", /rollback now/],
    ["a FAIL check with no rule", [], [{ id: "validation_report", verdict: "FAIL" }], "HIGH", "no", /failing checks/],
    ["a WARN check with no rule", [], [{ id: "logs", verdict: "WARN" }], "LOW", "no", /warning checks/],
    ["an ERROR check alone never rolls back", [], [{ id: "validation_report", verdict: "ERROR" }], "MEDIUM", "no", /inconclusive/],
  ])("%s", (_name, firing, checkResults, severity, rollback, action) => {
    const d = decide({ firing, checkResults, decisionTree: tree });
    expect(d.severity).toBe(severity);
    expect(d.rollback).toBe(rollback);
    expect(d.action).toMatch(action);
    expect(d.reason).not.toMatch(/\n/);
    expect(d.reason.startsWith(severity)).toBe(true);
  });

  it("an ERROR never rolls back, even if configured CRITICAL", () => {
    const strict = decisionTreeSchema.parse({ errorSeverity: "CRITICAL" });
    const d = decide({ firing: [], checkResults: [{ id: "report", verdict: "ERROR" }], decisionTree: strict });
    expect(d).toMatchObject({ severity: "CRITICAL", rollback: "no" });
    expect(d.reason).toMatch(/ERROR: report/);
  });

  it("an ERROR beside a firing alert is noted in the reason", () => {
    const d = decide({ firing: [alert("latency-critical")], checkResults: [{ id: "report", verdict: "ERROR" }], decisionTree: tree });
    expect(d.severity).toBe("HIGH");
    expect(d.reason).toMatch(/1 check\(s\) ERROR/);
  });

  it("the runbook lists the checklist's steps for the alert, plus the rollback procedure when rolling back", () => {
    const d = decide({ firing: [alert("error-rate-critical")], checkResults: [], decisionTree: tree });
    expect(d.runbook).toEqual(expect.arrayContaining([...rule("error-rate-critical").runbook, ...tree.CRITICAL.runbook, ...tree.rollbackProcedure]));
    const high = decide({ firing: [alert("latency-critical")], checkResults: [], decisionTree: tree });
    expect(high.runbook).toEqual(expect.arrayContaining(rule("latency-critical").runbook));
    expect(high.runbook).not.toContain(tree.rollbackProcedure[0]);
  });

  it("ignores resolve transitions and counts one alert per rule", () => {
    const d = decide({
      firing: [alert("error-rate-critical", { kind: "resolve" }), alert("cpu-warning", { kind: "trigger" }), alert("cpu-warning", { kind: "reminder" })],
      checkResults: [],
      decisionTree: tree,
    });
    expect(d).toMatchObject({ severity: "LOW", rollback: "no", alerts: ["cpu-warning"] });
  });

  it("checks judged by rules are not counted twice", () => {
    const d = decide({ firing: [], checkResults: [{ id: "audit_trail", verdict: "FAIL" }], decisionTree: tree, ruleCheckIds: ["audit_trail"] });
    expect(d.severity).toBe("NONE");
  });

  it("takes evaluateRules' firing list directly", () => {
    const observations: Observations = {
      error_rate_percent: { value: 7.5, verdict: "FAIL" },
      kpi_latency_ms: { value: 3, verdict: "PASS" },
    };
    const { firing } = evaluateRules({ rules: config.alertRules, observations, state: emptyAlertState(), clock: testClock(), checkpoint: "02:00" });
    const d = decide({ firing, checkResults: [{ id: "error_rate", verdict: "FAIL" }], decisionTree: tree });
    expect(d).toMatchObject({ severity: "CRITICAL", rollback: "now", action: "rollback now" });
    expect(d.reason).toBe(
      "CRITICAL: error-rate-critical (error_rate_percent > 5 %, value 7.5) (+1 lower alert(s)) -> rollback now (ROLLBACK NOW)",
    );
  });
});
