/**
 * The checklist's decision tree over firing alerts and the checkpoint's checks, with the product's
 * default rules and tree (configSchema.parse({})). A FAIL/WARN check is explained by a firing rule
 * it feeds, or (not measured) by a firing rule that inhibits unmeasured checks; unexplained FAIL ->
 * HIGH, unexplained WARN or a stale alert -> LOW, ERROR -> MEDIUM and never a rollback.
 */
import { describe, expect, it } from "vitest";
import { describeCondition, emptyAlertState, evaluateRules, type Observations } from "../../src/judge/alert-rules.ts";
import { testClock } from "../../src/judge/clock.ts";
import { decisionTreeSchema } from "../../src/judge/config.ts";
import { decide, failsCheckpoint, type DecisionAlert, type DecisionCheck, type DecisionLevel } from "../../src/judge/decide.ts";
import { checkById } from "../../src/catalogue/catalogue.ts";
import { monitorConfigSchema as configSchema } from "../../src/config/resolve.ts";

const config = configSchema.parse({});
const tree = config.decisionTree;
const rule = (id: string) => {
  const r = config.alerts.rules.find((x) => x.id === id);
  if (!r) throw new Error(`no default rule ${id}`);
  return r;
};
/** A firing alert exactly as evaluateRules reports the default rule. */
const alert = (id: string, extra: Partial<DecisionAlert> = {}): DecisionAlert => {
  const r = rule(id);
  return {
    ruleId: r.id,
    decisionSeverity: r.decisionSeverity,
    action: r.action,
    runbook: r.runbook,
    threshold: describeCondition(r.condition),
    rollbackRecommended: false,
    inhibitsUnmeasured: r.inhibitsUnmeasured,
    stale: null,
    ...(r.rollback ? { rollback: r.rollback } : {}),
    ...extra,
  };
};
/** A check with the rules the catalogue says it feeds (as assess() records them). */
const check = (id: string, verdict: DecisionCheck["verdict"], extra: Partial<DecisionCheck> = {}): DecisionCheck => {
  const def = checkById(id);
  if (!def) throw new Error(`no catalogue check ${id}`);
  const rules = "rule" in def.alert ? [def.alert.rule, ...(def.alert.warnRule ? [def.alert.warnRule] : [])] : [];
  return { id, verdict, rules, ...extra };
};
const pass = (...ids: string[]) => ids.map((id) => check(id, "PASS"));
const ROLLBACK = ["Execute the rollback: ./rollback.sh --to v1", "Expected completion time: < 5 minutes", "Success criteria: V1 operational, data intact"];

describe("decide: the checklist's decision tree", () => {
  it.each<[string, DecisionAlert[], DecisionCheck[], DecisionLevel, "now" | "recommended" | "no", RegExp]>([
    ["nothing wrong", [], pass("kpi-latency", "audit-events"), "NONE", "no", /^continue monitoring$/],
    ["error rate > 5 %", [alert("error-rate-critical")], [check("error-rate", "FAIL")], "CRITICAL", "now", /^rollback now$/],
    ["audit trail lost", [alert("audit-trail-failure")], [check("audit-events", "FAIL")], "CRITICAL", "now", /^rollback now$/],
    ["data quality: rollback only if corrupted", [alert("data-quality-issue")], [check("data-quality", "FAIL")], "CRITICAL", "recommended", /^halt new processing.*; rollback recommended$/],
    ["latency > 500 ms", [alert("latency-critical")], [check("kpi-latency", "FAIL")], "HIGH", "no", /^page and investigate$/],
    ["latency > 500 ms for 15 min", [alert("latency-critical", { rollbackRecommended: true })], [check("kpi-latency", "FAIL")], "HIGH", "recommended", /^page and investigate; rollback recommended$/],
    ["memory leak", [alert("memory-critical")], [check("memory-growth", "FAIL")], "HIGH", "no", /^page, prepare rollback$/],
    ["pipeline down", [alert("pipeline-down")], [check("pipeline-up", "FAIL")], "HIGH", "no", /^page on-call/],
    ["pipeline restarted twice", [alert("pipeline-restarted")], [check("pipeline-restart", "FAIL")], "HIGH", "no", /^page and investigate$/],
    ["latency 100-500 ms", [alert("latency-warning")], [check("kpi-latency", "WARN")], "MEDIUM", "no", /^monitor and document$/],
    ["CPU 50-80 %", [alert("cpu-warning")], [check("cpu", "WARN")], "LOW", "no", /^document and continue$/],
    ["the worst alert wins", [alert("cpu-warning"), alert("error-rate-critical"), alert("latency-critical")], [], "CRITICAL", "now", /^rollback now$/],
    ["a FAIL check with no rule", [], [check("validation-checks", "FAIL")], "HIGH", "no", /failing checks without a firing alert/],
    ["a FAIL check whose rule does not fire", [], [check("kpi-latency", "FAIL")], "HIGH", "no", /failing checks without a firing alert/],
    ["a WARN check with no rule", [], [check("log-scan", "WARN")], "LOW", "no", /warning checks without a firing alert/],
    ["a WARN check whose rule does not fire", [], [check("cpu", "WARN")], "LOW", "no", /warning checks without a firing alert/],
    ["an ERROR check alone never rolls back", [], [check("validation-checks", "ERROR")], "MEDIUM", "no", /^inconclusive/],
  ])("%s", (_name, firing, checks, severity, rollback, action) => {
    const d = decide({ firing, checks, decisionTree: tree, rollbackCommand: "./rollback.sh --to v1" });
    expect(d.severity).toBe(severity);
    expect(d.rollback).toBe(rollback);
    expect(d.action).toMatch(action);
    expect(d.reason).not.toMatch(/\n/);
    expect(d.reason.startsWith(`${severity}: `)).toBe(true);
    expect(failsCheckpoint(d.severity)).toBe(severity === "HIGH" || severity === "CRITICAL");
  });

  it.each<[DecisionLevel, boolean]>([
    ["CRITICAL", true],
    ["HIGH", true],
    ["MEDIUM", false],
    ["LOW", false],
    ["NONE", false],
  ])("failsCheckpoint(%s) is %s", (level, fails) => {
    expect(failsCheckpoint(level)).toBe(fails);
  });

  describe("explained and unexplained checks", () => {
    it("a FAIL check whose rule fires adds nothing of its own", () => {
      const d = decide({ firing: [alert("cpu-critical")], checks: [check("cpu", "FAIL", { advice: "look at CPU" })], decisionTree: tree });
      expect(d).toMatchObject({ severity: "HIGH", alerts: ["cpu-critical"], unexplained: [], stale: [] });
      expect(d.runbook).toEqual(rule("cpu-critical").runbook);
    });

    it("a WARN check is explained by its firing warnRule", () => {
      const d = decide({ firing: [alert("latency-warning")], checks: [check("kpi-latency", "WARN")], decisionTree: tree });
      expect(d).toMatchObject({ severity: "MEDIUM", unexplained: [] });
    });

    it("an unexplained FAIL beside a lower alert decides HIGH and brings its advice", () => {
      const d = decide({
        firing: [alert("cpu-warning")],
        checks: [check("cpu", "WARN"), check("validation-checks", "FAIL", { advice: "read the validation report" })],
        decisionTree: tree,
      });
      expect(d).toMatchObject({ severity: "HIGH", rollback: "no", alerts: ["cpu-warning"], unexplained: ["validation-checks"] });
      expect(d.reason).toBe("HIGH: check(s) FAIL: validation-checks -> page, investigate, escalate on the rule's timers (failing checks without a firing alert) (no rollback)");
      expect(d.runbook).toEqual(["validation-checks: read the validation report"]);
    });

    it("a not-measured check is explained only while a rule that inhibits unmeasured checks fires", () => {
      const unmeasured = check("error-rate", "FAIL", { notMeasured: true, advice: "the pipeline did not answer" });
      const down = decide({ firing: [alert("pipeline-down")], checks: [check("pipeline-up", "FAIL"), unmeasured], decisionTree: tree });
      expect(down).toMatchObject({ severity: "HIGH", rollback: "no", alerts: ["pipeline-down"], unexplained: [] });
      expect(down.runbook).toEqual(rule("pipeline-down").runbook);

      const alone = decide({ firing: [], checks: [unmeasured], decisionTree: tree });
      expect(alone).toMatchObject({ severity: "HIGH", unexplained: ["error-rate"] });
      expect(alone.runbook).toEqual(["error-rate: the pipeline did not answer"]);

      const notDown = decide({ firing: [alert("latency-critical")], checks: [check("kpi-latency", "FAIL"), unmeasured], decisionTree: tree });
      expect(notDown.unexplained).toEqual(["error-rate"]);
    });

    it("a measured FAIL is not explained by pipeline-down", () => {
      const d = decide({ firing: [alert("pipeline-down")], checks: [check("pipeline-up", "FAIL"), check("data-quality", "FAIL")], decisionTree: tree });
      expect(d).toMatchObject({ severity: "HIGH", unexplained: ["data-quality"] });
    });

    it("the unmatched severities are the tree's to configure", () => {
      const strict = decisionTreeSchema.parse({ unmatchedWarnSeverity: "MEDIUM", unmatchedFailSeverity: "CRITICAL" });
      expect(decide({ firing: [], checks: [check("log-scan", "WARN")], decisionTree: strict }).severity).toBe("MEDIUM");
      // An unexplained FAIL configured CRITICAL is still no rollback: only alert rules call for one.
      expect(decide({ firing: [], checks: [check("validation-checks", "FAIL")], decisionTree: strict })).toMatchObject({ severity: "CRITICAL", rollback: "no" });
    });

    it("a person's missing sign-off (WARN, no rule) is LOW: documented, no rollback", () => {
      const d = decide({ firing: [], checks: [check("attest.signoff-data-quality", "WARN", { advice: "record the sign-off" })], decisionTree: tree });
      expect(d).toMatchObject({ severity: "LOW", rollback: "no", alerts: [], unexplained: ["attest.signoff-data-quality"] });
      expect(d.runbook).toEqual(["attest.signoff-data-quality: record the sign-off"]);
    });
  });

  describe("stale alerts", () => {
    it("a stale alert is LOW, names itself, and calls for no rollback whatever its rule says", () => {
      const since = "2025-12-26T01:30:00.000Z";
      const d = decide({ firing: [alert("error-rate-critical", { stale: { since }, rollbackRecommended: true })], checks: [], decisionTree: tree, rollbackCommand: "x" });
      expect(d).toMatchObject({ severity: "LOW", rollback: "no", alerts: [], stale: ["error-rate-critical"], unexplained: [] });
      expect(d.reason).toBe(
        `LOW: stale alert(s): error-rate-critical -> document and continue (warning checks without a firing alert) (no rollback); stale (not re-measured): error-rate-critical since ${since}`,
      );
      expect(d.runbook).toEqual([`error-rate-critical: re-measure it (its checks could not be measured since ${since})`]);
    });

    it("a live alert beside a stale one decides; the stale one is noted", () => {
      const d = decide({ firing: [alert("latency-critical", { stale: { since: "2025-12-26T01:00:00.000Z" } }), alert("cpu-critical")], checks: [], decisionTree: tree });
      expect(d).toMatchObject({ severity: "HIGH", alerts: ["cpu-critical"], stale: ["latency-critical"] });
      expect(d.reason).toMatch(/^HIGH: cpu-critical .*; stale \(not re-measured\): latency-critical since 2025-12-26T01:00:00.000Z$/);
    });
  });

  describe("ERROR checks", () => {
    it("an ERROR never rolls back, even if configured CRITICAL", () => {
      const strict = decisionTreeSchema.parse({ errorSeverity: "CRITICAL" });
      const d = decide({ firing: [], checks: [check("validation-report", "ERROR", { advice: "fix the report path" })], decisionTree: strict });
      expect(d).toMatchObject({ severity: "CRITICAL", rollback: "no", unexplained: [] });
      expect(d.reason).toMatch(/ERROR: validation-report/);
      expect(d.runbook).toEqual(["validation-report: fix the report path"]);
    });

    it("an ERROR beside a firing alert is noted in the reason", () => {
      const d = decide({ firing: [alert("latency-critical")], checks: [check("kpi-latency", "FAIL"), check("validation-report", "ERROR")], decisionTree: tree });
      expect(d.severity).toBe("HIGH");
      expect(d.reason).toMatch(/; 1 check\(s\) ERROR \(inconclusive, never a rollback\): validation-report$/);
    });
  });

  describe("runbook", () => {
    it("is the deciding alert's steps plus the rollback procedure with the configured command", () => {
      const d = decide({ firing: [alert("error-rate-critical")], checks: [check("error-rate", "FAIL")], decisionTree: tree, rollbackCommand: "./rollback.sh --to v1" });
      expect(tree.CRITICAL.runbook).toEqual([]);
      expect(d.runbook).toEqual([...rule("error-rate-critical").runbook, ...ROLLBACK]);
    });

    it("has no rollback procedure when there is no rollback, and only the deciding (worst) alerts' steps", () => {
      const d = decide({ firing: [alert("cpu-warning"), alert("latency-critical")], checks: [], decisionTree: tree });
      expect(d.runbook).toEqual(rule("latency-critical").runbook);
      expect(d.reason).toMatch(/^HIGH: latency-critical \(kpi-latency.* is FAIL\) \(\+1 lower alert\(s\)\) -> page and investigate \(no rollback\)$/);
    });

    it("a recommended rollback names the placeholder when no command is configured", () => {
      const d = decide({ firing: [alert("data-quality-issue")], checks: [], decisionTree: tree });
      expect(d.runbook.slice(-3)).toEqual(["Execute the rollback: the configured rollback command", ROLLBACK[1], ROLLBACK[2]]);
    });

    it("the tree's configured steps come first, and lines are not repeated", () => {
      const custom = decisionTreeSchema.parse({ HIGH: { runbook: ["Open an incident channel", "Investigate root cause"] } });
      const d = decide({ firing: [alert("latency-critical"), alert("cpu-critical")], checks: [], decisionTree: custom });
      expect(d.runbook).toEqual(["Open an incident channel", "Investigate root cause", "Check resource usage (CPU, memory)", "Review active queries/processes", "If unresolved after 10 min: Alert engineering", "Check for resource contention"]);
    });
  });

  it("takes evaluateRules' firing list directly", () => {
    const observations: Observations = {
      "error-rate": { value: 7.5, verdict: "FAIL", measured: true },
      "kpi-latency": { value: 3, verdict: "PASS", measured: true },
    };
    const { firing } = evaluateRules({ rules: config.alerts.rules, observations, state: emptyAlertState(), clock: testClock(), checkpoint: "02:00" });
    const d = decide({ firing, checks: [check("error-rate", "FAIL"), check("kpi-latency", "PASS")], decisionTree: tree, rollbackCommand: "./rollback.sh --to v1" });
    expect(d).toMatchObject({ severity: "CRITICAL", rollback: "now", action: "rollback now", unexplained: [], stale: [] });
    // The warning on the same check fires muted by the critical and counts as a lower alert.
    expect(d.alerts).toEqual(["error-rate-critical", "error-rate-warning"]);
    expect(d.reason).toBe("CRITICAL: error-rate-critical (error-rate is FAIL, value 7.5) (+1 lower alert(s)) -> rollback now (ROLLBACK NOW)");
  });
});
