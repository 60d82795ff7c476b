import { describe, expect, it } from "vitest";
import {
  alertStateSchema,
  emptyAlertState,
  evaluateRules,
  type AlertState,
  type EvaluateRulesResult,
  type Observations,
} from "../../src/judge/alert-rules.ts";
import { judgeBand } from "../../src/judge/bands.ts";
import { MINUTE_MS, SECOND_MS, testClock, type TestClock } from "../../src/judge/clock.ts";
import { alertRuleSchema, defaultJudgeConfig, type AlertRule } from "../../src/judge/config.ts";
import { createSilence, type Silence } from "../../src/judge/silences.ts";
import type { Verdict } from "../../src/judge/verdict.ts";

const config = defaultJudgeConfig();
const rules = config.alertRules;
const t = config.thresholds;

interface Metrics {
  latency?: number | null;
  errorRate?: number | null;
  memory?: number | null;
  growth?: number | null;
  cpu?: number | null;
  audit?: Verdict;
  dataQuality?: Verdict;
}

/** A healthy checkpoint unless told otherwise; verdicts come from the real bands. */
function observe(m: Metrics = {}): Observations {
  const band = (value: number | null, b: typeof t.kpiLatencyP95Ms) => {
    const j = judgeBand(value, b);
    return { value: j.value, verdict: j.verdict, evidence: { threshold: j.threshold, reason: j.reason, window: "30 min", baseline: "1.09 ms (week 3)" } };
  };
  const obs: Observations = {
    kpi_latency_ms: band(m.latency === undefined ? 1.2 : m.latency, t.kpiLatencyP95Ms),
    error_rate_percent: band(m.errorRate === undefined ? 0 : m.errorRate, t.errorRatePercent),
    memory_mb: band(m.memory === undefined ? 110 : m.memory, t.memoryMb),
    cpu_percent: band(m.cpu === undefined ? 12 : m.cpu, t.cpuPercent),
    audit_trail: { verdict: m.audit ?? "PASS", value: 6 },
    data_quality: { verdict: m.dataQuality ?? "PASS" },
  };
  if (m.growth !== undefined) {
    obs.memory_growth_percent_per_hour = {
      value: m.growth,
      verdict: m.growth === null ? "FAIL" : m.growth > 20 ? "FAIL" : "PASS",
    };
  }
  return obs;
}

/** Runs checkpoints one after another, carrying the state like separate processes would (through JSON). */
function monitor(options: { rules?: AlertRule[]; silences?: Silence[] } = {}) {
  const clock: TestClock = testClock(Date.parse("2025-12-26T01:30:00Z"));
  let state: AlertState = emptyAlertState();
  let n = 0;
  return {
    clock,
    get state() {
      return state;
    },
    run(m: Metrics, checkpoint = `cp${++n}`, silences = options.silences): EvaluateRulesResult {
      const result = evaluateRules({ rules: options.rules ?? rules, observations: observe(m), state, clock, checkpoint, silences });
      state = alertStateSchema.parse(JSON.parse(JSON.stringify(result.state)));
      return result;
    },
  };
}

const kinds = (r: EvaluateRulesResult) => r.notices.map((n) => `${n.kind}:${n.ruleId}`);

describe("evaluateRules", () => {
  it("a healthy pipeline over many checkpoints raises nothing", () => {
    const m = monitor();
    for (let i = 0; i < 10; i++) {
      const r = m.run({});
      expect(r.notices).toEqual([]);
      expect(r.muted).toEqual([]);
      expect(r.firing).toEqual([]);
      m.clock.advance(30 * MINUTE_MS);
    }
  });

  it.each<[string, Metrics, string, "critical" | "warning", string]>([
    ["error rate > 5 %", { errorRate: 7 }, "error-rate-critical", "critical", "CRITICAL"],
    ["audit trail failure", { audit: "FAIL" }, "audit-trail-failure", "critical", "CRITICAL"],
    ["data quality issue", { dataQuality: "FAIL" }, "data-quality-issue", "critical", "CRITICAL"],
    ["latency > 500 ms", { latency: 650 }, "latency-critical", "critical", "HIGH"],
    ["memory growth > 20 %/h", { growth: 35 }, "memory-critical", "critical", "HIGH"],
    ["memory > 500 MB", { memory: 520 }, "memory-critical", "critical", "HIGH"],
    ["CPU > 80 %", { cpu: 93 }, "cpu-critical", "critical", "HIGH"],
    ["latency 100-500 ms", { latency: 100 }, "latency-warning", "warning", "MEDIUM"],
    ["error rate 0.1-5 %", { errorRate: 0.1 }, "error-rate-warning", "warning", "MEDIUM"],
    ["CPU 50-80 %", { cpu: 80 }, "cpu-warning", "warning", "LOW"],
    ["memory 200-500 MB", { memory: 500 }, "memory-warning", "warning", "LOW"],
  ])("%s fires %s alone", (_name, metrics, ruleId, alertSeverity, decisionSeverity) => {
    const r = monitor().run(metrics, "02:00");
    expect(kinds(r)).toEqual([`trigger:${ruleId}`]);
    expect(r.notices[0]).toMatchObject({ alertSeverity, decisionSeverity, checkpoint: "02:00", at: "2025-12-26T01:30:00.000Z" });
    expect(r.firing.map((f) => f.ruleId)).toContain(ruleId);
  });

  it("every firing carries value, threshold, baseline, window, checkpoint and evidence", () => {
    const r = monitor().run({ latency: 612.5 }, "03:00");
    expect(r.notices[0]).toMatchObject({
      kind: "trigger",
      ruleId: "latency-critical",
      value: 612.5,
      threshold: "kpi_latency_ms > 500 ms",
      baseline: "1.09 ms (week 3)",
      window: "30 min",
      checkpoint: "03:00",
      runbook: ["Check resource usage (CPU, memory)", "Review active queries/processes", "Investigate root cause", "If unresolved after 10 min: Alert engineering"],
    });
    expect(r.notices[0]!.evidence.kpi_latency_ms!.verdict).toBe("FAIL");
  });

  it("measured nothing fires; a missing trend or an ERROR does not", () => {
    expect(kinds(monitor().run({ latency: null }))).toContain("trigger:latency-critical");
    expect(monitor().run({ growth: null }).notices).toEqual([]);
    const r = evaluateRules({
      rules,
      observations: { ...observe(), error_rate_percent: { value: null, verdict: "ERROR" }, audit_trail: { verdict: "ERROR" } },
      state: emptyAlertState(),
      clock: testClock(),
      checkpoint: "x",
    });
    expect(r.notices).toEqual([]);
  });

  it("an absent or ERROR observation keeps a firing alert firing (no evidence of recovery)", () => {
    const m = monitor();
    m.run({ errorRate: 9 });
    const r = evaluateRules({
      rules,
      observations: { ...observe(), error_rate_percent: { value: null, verdict: "ERROR" } },
      state: m.state,
      clock: m.clock,
      checkpoint: "next",
    });
    expect(r.notices).toEqual([]);
    expect(r.firing.map((f) => [f.ruleId, f.muted?.by ?? null])).toEqual([
      ["error-rate-critical", null],
      ["error-rate-warning", "suppression"],
    ]);
  });

  it("does not mutate the input state", () => {
    const m = monitor();
    m.run({ latency: 700 });
    const before = JSON.stringify(m.state);
    evaluateRules({ rules, observations: observe({}), state: m.state, clock: m.clock, checkpoint: "x" });
    expect(JSON.stringify(m.state)).toBe(before);
  });

  describe("hold time (forSeconds)", () => {
    const held = alertRuleSchema.parse({
      id: "cpu-held",
      condition: { metric: "cpu_percent", operator: ">", threshold: 80, unit: "%" },
      alertSeverity: "critical",
      decisionSeverity: "HIGH",
      action: "page",
      forSeconds: 300,
    });

    it.each<[string, number[], boolean[], string[]]>([
      ["fires only once held for 5 minutes", [0, 2, 5, 6], [true, true, true, true], ["pending", "pending", "firing", "firing"]],
      ["a blip shorter than the hold never fires", [0, 2, 4, 6], [true, true, false, true], ["pending", "pending", "inactive", "pending"]],
    ])("%s", (_name, minutes, hot, statuses) => {
      const m = monitor({ rules: [held] });
      const start = m.clock.now();
      const seen: string[] = [];
      const triggers: number[] = [];
      minutes.forEach((min, i) => {
        m.clock.set(start + min * MINUTE_MS);
        const r = m.run({ cpu: hot[i] ? 95 : 10 });
        seen.push(m.state.alerts["cpu-held"]!.status);
        if (r.notices.some((n) => n.kind === "trigger")) triggers.push(min);
      });
      expect(seen).toEqual(statuses);
      expect(triggers).toEqual(statuses.includes("firing") ? [5] : []);
    });
  });

  describe("escalation timers (latency: 10 min -> alert engineering, 15 min -> rollback recommended)", () => {
    it("each step fires once, measured from firedAt with the clock", () => {
      const m = monitor();
      const log: string[] = [];
      for (let minute = 0; minute <= 20; minute++) {
        const r = m.run({ latency: 800 });
        for (const n of r.notices) log.push(`${minute}:${n.kind}:${n.action}${n.rollbackRecommended ? ":rollback" : ""}`);
        m.clock.advance(MINUTE_MS);
      }
      expect(log).toEqual(["0:trigger:page and investigate", "10:escalation:alert engineering", "15:escalation:rollback recommended:rollback"]);
      expect(m.state.alerts["latency-critical"]!.escalationsReached).toEqual([0, 1]);
    });

    it("just before 10 minutes nothing escalates", () => {
      const m = monitor();
      m.run({ latency: 800 });
      m.clock.advance(10 * MINUTE_MS - SECOND_MS);
      expect(m.run({ latency: 800 }).notices).toEqual([]);
      m.clock.advance(SECOND_MS);
      expect(kinds(m.run({ latency: 800 }))).toEqual(["escalation:latency-critical"]);
    });

    it("a checkpoint 30 minutes later reaches both steps at once", () => {
      const m = monitor();
      m.run({ latency: 800 });
      m.clock.advance(30 * MINUTE_MS);
      const r = m.run({ latency: 800 });
      expect(r.notices.map((n) => n.escalation?.afterSeconds)).toEqual([600, 900]);
      expect(r.firing.find((f) => f.ruleId === "latency-critical")).toMatchObject({
        rollbackRecommended: true,
        escalationsReached: ["alert engineering", "rollback recommended"],
      });
    });

    it("a resolved incident does not escalate", () => {
      const m = monitor();
      m.run({ latency: 800 });
      m.clock.advance(5 * MINUTE_MS);
      expect(kinds(m.run({ latency: 20 }))).toEqual(["resolve:latency-critical"]);
      m.clock.advance(20 * MINUTE_MS);
      expect(m.run({ latency: 20 }).notices).toEqual([]);
    });
  });

  it("memory unresolved at the next checkpoint -> rollback recommended (a re-run of the same checkpoint does not count)", () => {
    const m = monitor();
    expect(kinds(m.run({ memory: 540 }, "02:00"))).toEqual(["trigger:memory-critical"]);
    m.clock.advance(2 * MINUTE_MS);
    expect(m.run({ memory: 545 }, "02:00").notices).toEqual([]);
    m.clock.advance(28 * MINUTE_MS);
    const r = m.run({ memory: 560 }, "02:30");
    expect(r.notices).toMatchObject([{ kind: "escalation", ruleId: "memory-critical", action: "rollback recommended", rollbackRecommended: true }]);
    m.clock.advance(30 * MINUTE_MS);
    expect(m.run({ memory: 560 }, "03:00").notices).toEqual([]);
  });

  it("a critical alert suppresses the warning on the same metric; the warning speaks once the critical resolves", () => {
    const m = monitor();
    let r = m.run({ latency: 900 });
    expect(kinds(r)).toEqual(["trigger:latency-critical"]);
    expect(r.muted).toMatchObject([{ by: "suppression", source: "latency-critical", notice: { kind: "trigger", ruleId: "latency-warning" } }]);
    expect(r.firing.find((f) => f.ruleId === "latency-warning")!.muted).toEqual({ by: "suppression", source: "latency-critical" });

    m.clock.advance(5 * MINUTE_MS);
    r = m.run({ latency: 250 });
    expect(kinds(r)).toEqual(["resolve:latency-critical", "trigger:latency-warning"]);
  });

  it("memory growth (critical) suppresses memory 200-500 MB (warning)", () => {
    const r = monitor().run({ memory: 320, growth: 45 });
    expect(kinds(r)).toEqual(["trigger:memory-critical"]);
    expect(r.muted.map((x) => x.notice.ruleId)).toEqual(["memory-warning"]);
  });

  it("reminders only after the repeat interval", () => {
    const m = monitor();
    const log: string[] = [];
    for (let minute = 0; minute <= 150; minute += 30) {
      for (const n of m.run({ cpu: 65 }).notices) log.push(`${minute}:${n.kind}`);
      m.clock.advance(30 * MINUTE_MS);
    }
    expect(log).toEqual(["0:trigger", "60:reminder", "120:reminder"]);
  });

  it("resolves after recovery with the same incidentId; a new firing is a new incident", () => {
    const m = monitor();
    const trigger = m.run({ errorRate: 12 }).notices[0]!;
    m.clock.advance(30 * MINUTE_MS);
    const resolve = m.run({ errorRate: 0 }).notices[0]!;
    expect(resolve).toMatchObject({ kind: "resolve", ruleId: "error-rate-critical", incidentId: trigger.incidentId, value: 0, firedAt: trigger.at });
    expect(m.state.alerts["error-rate-critical"]!.status).toBe("resolved");
    m.clock.advance(30 * MINUTE_MS);
    expect(m.run({ errorRate: 0 }).notices).toEqual([]);
    m.clock.advance(30 * MINUTE_MS);
    const again = m.run({ errorRate: 8 }).notices[0]!;
    expect(again.kind).toBe("trigger");
    expect(again.incidentId).not.toBe(trigger.incidentId);
  });

  describe("silences", () => {
    it("mute notifications until they expire; state is still tracked and the trigger goes out afterwards", () => {
      const m = monitor();
      const silence = createSilence({ ruleId: "latency-warning", forMinutes: 45, by: "ops@example.com", reason: "known slow upstream" }, m.clock);
      let r = m.run({ latency: 300 }, "a", [silence]);
      expect(r.notices).toEqual([]);
      expect(r.muted).toMatchObject([{ by: "silence", source: silence.id, notice: { kind: "trigger", ruleId: "latency-warning" } }]);
      expect(r.firing.map((f) => f.ruleId)).toEqual(["latency-warning"]);
      expect(m.state.alerts["latency-warning"]!.status).toBe("firing");

      m.clock.advance(30 * MINUTE_MS);
      r = m.run({ latency: 300 }, "b", [silence]);
      expect(r.notices).toEqual([]);

      m.clock.advance(30 * MINUTE_MS); // 60 min: the silence ended at 45
      r = m.run({ latency: 300 }, "c", [silence]);
      expect(kinds(r)).toEqual(["trigger:latency-warning"]);
    });

    it("an alert that recovers while silenced and was never notified sends no resolve", () => {
      const m = monitor();
      const silence = createSilence({ matcher: { metric: "cpu_percent" }, forMinutes: 60, by: "ops", reason: "load test" }, m.clock);
      m.run({ cpu: 95 }, "a", [silence]);
      m.clock.advance(10 * MINUTE_MS);
      const r = m.run({ cpu: 10 }, "b", [silence]);
      expect(r.notices).toEqual([]);
    });

    it("a silence set after the trigger mutes reminders but never the resolve", () => {
      const m = monitor();
      m.run({ cpu: 70 });
      const silence = createSilence({ matcher: { alertSeverity: "warning" }, forMinutes: 180, by: "ops", reason: "expected" }, m.clock);
      m.clock.advance(60 * MINUTE_MS);
      expect(m.run({ cpu: 70 }, "b", [silence]).muted.map((x) => x.notice.kind)).toEqual(["reminder"]);
      m.clock.advance(30 * MINUTE_MS);
      expect(kinds(m.run({ cpu: 20 }, "c", [silence]))).toEqual(["resolve:cpu-warning"]);
    });

    it("matchers only match what they name", () => {
      const m = monitor();
      const silence = createSilence({ matcher: { metric: "memory_mb" }, forMinutes: 60, by: "ops", reason: "x" }, m.clock);
      expect(kinds(m.run({ cpu: 95, memory: 600 }, "a", [silence]))).toEqual(["trigger:cpu-critical"]);
    });

    it.each([
      ["neither until nor forMinutes", { by: "a", reason: "b", ruleId: "x" }, /exactly one/],
      ["no target", { by: "a", reason: "b", forMinutes: 5 }, /ruleId or a matcher/],
      ["an end in the past", { by: "a", reason: "b", ruleId: "x", until: "2020-01-01T00:00:00Z" }, /not in the future/],
    ])("createSilence rejects %s", (_name, input, message) => {
      expect(() => createSilence(input, testClock())).toThrow(message);
    });
  });

  it("the state is plain JSON and survives a round trip between processes", () => {
    const m = monitor();
    m.run({ latency: 800, memory: 300 });
    const text = JSON.stringify(m.state);
    expect(alertStateSchema.parse(JSON.parse(text))).toEqual(m.state);
  });
});
