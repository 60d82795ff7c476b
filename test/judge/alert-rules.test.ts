/**
 * Alert rules over check verdicts (keyed by the catalogue's check ids), with the product's default
 * rules (configSchema.parse({}).alerts.rules). A condition holds on a measured FAIL (failOf) or a
 * measured WARN/FAIL (warnOf); it is false once a watched check was measured and none holds; it is
 * unknown otherwise, and unknown keeps the state (a firing alert stays firing, and goes stale).
 */
import { describe, expect, it } from "vitest";
import {
  alertStateSchema,
  describeCondition,
  emptyAlertState,
  evaluateRules,
  type AlertState,
  type EvaluateRulesResult,
  type Observation,
  type Observations,
} from "../../src/judge/alert-rules.ts";
import { judgeBand, type Band } from "../../src/judge/bands.ts";
import { MINUTE_MS, SECOND_MS, testClock, type TestClock } from "../../src/judge/clock.ts";
import { alertRuleSchema, type AlertRule } from "../../src/judge/config.ts";
import { conditionKeys, createSilence, type Silence } from "../../src/judge/silences.ts";
import type { Verdict } from "../../src/judge/verdict.ts";
import { monitorConfigSchema as configSchema } from "../../src/config/resolve.ts";

const config = configSchema.parse({});
const rules = config.alerts.rules;
const t = config.thresholds;
const START = Date.parse("2025-12-26T01:30:00Z");

interface Metrics {
  latency?: number;
  errorRate?: number;
  memory?: number;
  cpu?: number;
  /** Verdicts of the checks that are not a single banded number, by check id. */
  checks?: Record<string, Verdict>;
}

/** Checks with no band of their own in this helper, PASS unless told otherwise. */
const VERDICT_CHECKS = ["pipeline-up", "health", "pipeline-restart", "kpi-latency-consistent", "memory-growth", "audit-own-calculation", "audit-events", "kpi-golden", "data-quality", "output-local"];

/** A healthy, fully measured checkpoint unless told otherwise; banded verdicts come from the real bands. */
function observe(m: Metrics = {}): Observations {
  const band = (value: number, b: Band): Observation => {
    const j = judgeBand(value, b);
    return { value: j.value, verdict: j.verdict, measured: true, evidence: { threshold: j.threshold, reason: j.reason, window: "30 min", baseline: "1.09 ms (week 3)" } };
  };
  const obs: Observations = {
    "kpi-latency": band(m.latency ?? 1.2, t.kpiLatencyP95Ms),
    "error-rate": band(m.errorRate ?? 0, t.errorRatePercent),
    memory: band(m.memory ?? 110, t.memoryMb),
    cpu: band(m.cpu ?? 12, t.cpuPercent),
  };
  for (const id of VERDICT_CHECKS) obs[id] = { verdict: m.checks?.[id] ?? "PASS", measured: true };
  return obs;
}

/** Runs checkpoints one after another, carrying the state like separate processes would (through JSON). */
function monitor(options: { rules?: AlertRule[]; silences?: Silence[]; staleAfterSeconds?: number } = {}) {
  const clock: TestClock = testClock(START);
  let state: AlertState = emptyAlertState();
  let n = 0;
  const step = (observations: Observations, checkpoint = `cp${++n}`, silences = options.silences): EvaluateRulesResult => {
    const result = evaluateRules({ rules: options.rules ?? rules, observations, state, clock, checkpoint, silences, staleAfterSeconds: options.staleAfterSeconds });
    state = alertStateSchema.parse(JSON.parse(JSON.stringify(result.state)));
    return result;
  };
  return {
    clock,
    get state() {
      return state;
    },
    run: (m: Metrics, checkpoint?: string, silences?: Silence[]) => step(observe(m), checkpoint, silences),
    step,
  };
}

const kinds = (r: EvaluateRulesResult) => r.notices.map((n) => `${n.kind}:${n.ruleId}`);
const firingOf = (r: EvaluateRulesResult) => r.firing.map((f) => `${f.ruleId}${f.muted ? ` (${f.muted.by}: ${f.muted.source})` : ""}`);

describe("evaluateRules", () => {
  it("a healthy pipeline over many checkpoints raises nothing, and every rule is measured", () => {
    const m = monitor();
    for (let i = 0; i < 10; i++) {
      const r = m.run({});
      expect(r.notices).toEqual([]);
      expect(r.muted).toEqual([]);
      expect(r.firing).toEqual([]);
      m.clock.advance(30 * MINUTE_MS);
    }
    expect(Object.keys(m.state.alerts).sort()).toEqual(rules.map((r) => r.id).sort());
    for (const inst of Object.values(m.state.alerts)) expect(inst).toMatchObject({ status: "inactive", lastMeasuredAt: "2025-12-26T06:00:00.000Z" });
  });

  it.each<[string, string, "critical" | "warning", string, Metrics, string[]]>([
    ["error rate > 5 %", "error-rate-critical", "critical", "CRITICAL", { errorRate: 7 }, ["error-rate-warning"]],
    ["audit events missing", "audit-trail-failure", "critical", "CRITICAL", { checks: { "audit-events": "FAIL" } }, []],
    ["the monitor's own calculation leaves no audit event", "audit-trail-failure", "critical", "CRITICAL", { checks: { "audit-own-calculation": "FAIL" } }, []],
    ["data quality issue", "data-quality-issue", "critical", "CRITICAL", { checks: { "data-quality": "FAIL" } }, []],
    ["golden KPI values wrong", "data-quality-issue", "critical", "CRITICAL", { checks: { "kpi-golden": "FAIL" } }, []],
    ["pipeline unreachable", "pipeline-down", "critical", "HIGH", { checks: { "pipeline-up": "FAIL" } }, []],
    ["latency > 500 ms", "latency-critical", "critical", "HIGH", { latency: 650 }, ["latency-warning"]],
    ["memory > 500 MB", "memory-critical", "critical", "HIGH", { memory: 520 }, ["memory-warning"]],
    ["memory growth > 20 %/h", "memory-critical", "critical", "HIGH", { checks: { "memory-growth": "FAIL" } }, []],
    ["CPU > 80 %", "cpu-critical", "critical", "HIGH", { cpu: 93 }, ["cpu-warning"]],
    ["pipeline restarted twice", "pipeline-restarted", "critical", "HIGH", { checks: { "pipeline-restart": "FAIL" } }, ["pipeline-restart-warning"]],
    ["local output channel down", "output-channel-down", "critical", "HIGH", { checks: { "output-local": "FAIL" } }, []],
    ["latency 100-500 ms (edge)", "latency-warning", "warning", "MEDIUM", { latency: 100 }, []],
    ["error rate 0.1-5 % (edge)", "error-rate-warning", "warning", "MEDIUM", { errorRate: 0.1 }, []],
    ["CPU 50-80 % (edge)", "cpu-warning", "warning", "LOW", { cpu: 80 }, []],
    ["memory 200-500 MB (edge)", "memory-warning", "warning", "LOW", { memory: 500 }, []],
    ["pipeline restarted once", "pipeline-restart-warning", "warning", "LOW", { checks: { "pipeline-restart": "WARN" } }, []],
  ])("%s triggers %s (%s, %s) alone", (_name, ruleId, alertSeverity, decisionSeverity, metrics, suppressed) => {
    const r = monitor().run(metrics, "02:00");
    expect(kinds(r)).toEqual([`trigger:${ruleId}`]);
    expect(r.notices[0]).toMatchObject({ alertSeverity, decisionSeverity, checkpoint: "02:00", at: "2025-12-26T01:30:00.000Z" });
    // A critical also holds its warning's condition (warnOf takes FAIL): that warning fires muted.
    expect(firingOf(r)).toEqual([ruleId, ...suppressed.map((w) => `${w} (suppression: ${ruleId})`)]);
    expect(r.muted.map((x) => `${x.notice.kind}:${x.notice.ruleId}`)).toEqual(suppressed.map((w) => `trigger:${w}`));
  });

  it("every firing carries value, condition, baseline, window, checkpoint, runbook and evidence", () => {
    const r = monitor().run({ latency: 612.5 }, "03:00");
    expect(r.notices[0]).toMatchObject({
      kind: "trigger",
      ruleId: "latency-critical",
      value: 612.5,
      threshold: "kpi-latency is FAIL",
      baseline: "1.09 ms (week 3)",
      window: "30 min",
      checkpoint: "03:00",
      runbook: ["Check resource usage (CPU, memory)", "Review active queries/processes", "Investigate root cause", "If unresolved after 10 min: Alert engineering"],
    });
    expect(Object.keys(r.notices[0]!.evidence)).toEqual(["kpi-latency"]);
    expect(r.notices[0]!.evidence["kpi-latency"]).toMatchObject({ verdict: "FAIL", measured: true, value: 612.5 });
    expect(r.firing[0]).toMatchObject({ ruleId: "latency-critical", checks: ["kpi-latency"], stale: null, inhibitsUnmeasured: false });
  });

  it("firing.checks names every check that holds the condition; only pipeline-down inhibits unmeasured checks", () => {
    const r = monitor().run({ memory: 650, checks: { "memory-growth": "FAIL", "pipeline-up": "FAIL" } });
    expect(r.firing.map((f) => [f.ruleId, f.checks, f.inhibitsUnmeasured])).toEqual([
      ["pipeline-down", ["pipeline-up"], true],
      ["memory-critical", ["memory", "memory-growth"], false],
      ["memory-warning", ["memory"], false],
    ]);
  });

  it("describeCondition and conditionKeys read the check ids", () => {
    expect(describeCondition({ failOf: ["kpi-latency"], warnOf: [] })).toBe("kpi-latency is FAIL");
    expect(describeCondition({ failOf: [], warnOf: ["cpu", "memory"] })).toBe("cpu or memory is WARN or FAIL");
    expect(describeCondition({ failOf: ["health"], warnOf: ["cpu"] })).toBe("health is FAIL; or cpu is WARN or FAIL");
    expect(conditionKeys({ failOf: ["memory", "memory-growth"], warnOf: ["cpu"] })).toEqual(["memory", "memory-growth", "cpu"]);
  });

  describe("conditions: evidence or nothing", () => {
    it.each<[string, Observation]>([
      ["not measured (target down)", { verdict: "FAIL", measured: false, value: null }],
      ["the monitor's own ERROR", { verdict: "ERROR", measured: true, value: null }],
      ["an unmeasured ERROR", { verdict: "ERROR", measured: false }],
    ])("a check that is %s never fires its rule and is not a measurement", (_name, obs) => {
      const r = evaluateRules({ rules, observations: { ...observe(), "error-rate": obs }, state: emptyAlertState(), clock: testClock(START), checkpoint: "x" });
      expect(r.notices).toEqual([]);
      expect(r.firing).toEqual([]);
      expect(r.state.alerts["error-rate-critical"]).toMatchObject({ status: "inactive", lastMeasuredAt: null, lastEvaluatedAt: "2025-12-26T01:30:00.000Z" });
      expect(r.state.alerts["latency-critical"]!.lastMeasuredAt).toBe("2025-12-26T01:30:00.000Z");
    });

    it("no observation at all leaves every rule unmeasured", () => {
      const r = evaluateRules({ rules, observations: {}, state: emptyAlertState(), clock: testClock(START), checkpoint: "x" });
      expect(r.notices).toEqual([]);
      for (const inst of Object.values(r.state.alerts)) expect(inst).toMatchObject({ status: "inactive", lastMeasuredAt: null });
    });

    it("one measured FAIL holds the condition even when the other watched check passes or is unknown", () => {
      const r = monitor().step({ memory: { verdict: "PASS", measured: true, value: 120 }, "memory-growth": { verdict: "FAIL", measured: true, value: 42 } });
      expect(kinds(r)).toEqual(["trigger:memory-critical"]);
      expect(r.notices[0]!.value).toBe(42);
      const unknownBeside = monitor().step({ memory: { verdict: "FAIL", measured: true, value: 600 }, "memory-growth": { verdict: "ERROR", measured: false } });
      expect(kinds(unknownBeside)).toEqual(["trigger:memory-critical"]);
    });

    it.each<[string, Observations]>([
      ["absent", {}],
      ["not measured", { "error-rate": { verdict: "FAIL", measured: false, value: null } }],
      ["ERROR", { "error-rate": { verdict: "ERROR", measured: false, value: null } }],
    ])("an %s observation keeps a firing alert firing (no evidence of recovery)", (_name, next) => {
      const m = monitor();
      m.run({ errorRate: 9 });
      m.clock.advance(5 * MINUTE_MS);
      const r = m.step(next, "next");
      expect(r.notices).toEqual([]);
      expect(firingOf(r)).toEqual(["error-rate-critical", "error-rate-warning (suppression: error-rate-critical)"]);
      expect(r.firing[0]).toMatchObject({ value: 9, stale: null });
      // Not re-measured: the last measurement stays the one that fired it.
      expect(m.state.alerts["error-rate-critical"]).toMatchObject({ status: "firing", lastMeasuredAt: "2025-12-26T01:30:00.000Z", lastEvaluatedAt: "2025-12-26T01:35:00.000Z" });
    });

    it("a measured PASS of the watched check resolves", () => {
      const m = monitor();
      m.run({ errorRate: 9 });
      m.clock.advance(5 * MINUTE_MS);
      const r = m.step({ "error-rate": { verdict: "PASS", measured: true, value: 0 } });
      expect(kinds(r)).toEqual(["resolve:error-rate-critical"]);
      expect(r.firing).toEqual([]);
      expect(m.state.alerts["error-rate-warning"]!.status).toBe("resolved");
    });
  });

  describe("stale alerts (not re-measured for staleAfterSeconds)", () => {
    it("stay firing, and are reported stale from the limit on (default 1800 s)", () => {
      const m = monitor();
      m.run({ latency: 800 });
      m.clock.advance(30 * MINUTE_MS - SECOND_MS);
      let r = m.step({}, "b");
      expect(r.firing.find((f) => f.ruleId === "latency-critical")).toMatchObject({ stale: null });
      m.clock.advance(SECOND_MS);
      r = m.step({}, "c");
      const alert = r.firing.find((f) => f.ruleId === "latency-critical")!;
      expect(alert).toMatchObject({ stale: { since: "2025-12-26T01:30:00.000Z" }, value: 800 });
      expect(m.state.alerts["latency-critical"]!.status).toBe("firing");
      expect(r.notices.filter((n) => n.kind === "resolve")).toEqual([]);
    });

    it("an observed but unmeasured check does not refresh the measurement", () => {
      const m = monitor({ staleAfterSeconds: 600 });
      m.run({ cpu: 95 });
      m.clock.advance(10 * MINUTE_MS);
      const r = m.step({ cpu: { verdict: "FAIL", measured: false, value: null } });
      expect(r.firing.find((f) => f.ruleId === "cpu-critical")).toMatchObject({ stale: { since: "2025-12-26T01:30:00.000Z" }, checks: ["cpu"] });
    });

    it("a new measurement clears the stale mark", () => {
      const m = monitor({ staleAfterSeconds: 600 });
      m.run({ cpu: 95 });
      m.clock.advance(20 * MINUTE_MS);
      expect(m.step({}).firing.find((f) => f.ruleId === "cpu-critical")!.stale).not.toBeNull();
      const r = m.run({ cpu: 91 });
      expect(r.firing.find((f) => f.ruleId === "cpu-critical")).toMatchObject({ stale: null, value: 91 });
      expect(m.state.alerts["cpu-critical"]!.lastMeasuredAt).toBe("2025-12-26T01:50:00.000Z");
    });

    it("a measured check that holds is never stale, however old the incident", () => {
      const m = monitor({ staleAfterSeconds: 60 });
      m.run({ memory: 300 });
      for (let i = 0; i < 4; i++) {
        m.clock.advance(30 * MINUTE_MS);
        expect(m.run({ memory: 300 }).firing.map((f) => f.stale)).toEqual([null]);
      }
    });
  });

  it("does not mutate the input state", () => {
    const m = monitor();
    m.run({ latency: 700 });
    const before = JSON.stringify(m.state);
    m.clock.advance(MINUTE_MS);
    evaluateRules({ rules, observations: observe({}), state: m.state, clock: m.clock, checkpoint: "x" });
    expect(JSON.stringify(m.state)).toBe(before);
  });

  describe("hold time (forSeconds)", () => {
    const held = alertRuleSchema.parse({
      id: "cpu-held",
      condition: { failOf: ["cpu"] },
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
      const seen: string[] = [];
      const triggers: number[] = [];
      minutes.forEach((min, i) => {
        m.clock.set(START + min * MINUTE_MS);
        const r = m.run({ cpu: hot[i] ? 95 : 10 });
        seen.push(m.state.alerts["cpu-held"]!.status);
        if (r.notices.some((n) => n.kind === "trigger")) triggers.push(min);
      });
      expect(seen).toEqual(statuses);
      expect(triggers).toEqual(statuses.includes("firing") ? [5] : []);
    });

    it("an unknown checkpoint keeps a pending alert pending", () => {
      const m = monitor({ rules: [held] });
      m.run({ cpu: 95 });
      m.clock.advance(2 * MINUTE_MS);
      m.step({});
      expect(m.state.alerts["cpu-held"]).toMatchObject({ status: "pending", pendingSince: "2025-12-26T01:30:00.000Z" });
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

    it("pipeline down for 15 minutes -> rollback recommended", () => {
      const m = monitor();
      m.run({ checks: { "pipeline-up": "FAIL" } });
      m.clock.advance(15 * MINUTE_MS);
      const r = m.run({ checks: { "pipeline-up": "FAIL" } });
      expect(r.notices).toMatchObject([{ kind: "escalation", ruleId: "pipeline-down", action: "rollback recommended", rollbackRecommended: true }]);
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

  it("a critical alert suppresses the warning on the same check; the warning speaks once the critical resolves", () => {
    const m = monitor();
    let r = m.run({ latency: 900 });
    expect(kinds(r)).toEqual(["trigger:latency-critical"]);
    expect(r.muted).toMatchObject([{ by: "suppression", source: "latency-critical", notice: { kind: "trigger", ruleId: "latency-warning" } }]);
    expect(r.firing.find((f) => f.ruleId === "latency-warning")!.muted).toEqual({ by: "suppression", source: "latency-critical" });

    m.clock.advance(5 * MINUTE_MS);
    r = m.run({ latency: 250 });
    expect(kinds(r)).toEqual(["resolve:latency-critical", "trigger:latency-warning"]);
    expect(r.firing.map((f) => [f.ruleId, f.muted])).toEqual([["latency-warning", null]]);
  });

  it("memory growth (critical) suppresses memory 200-500 MB (warning)", () => {
    const r = monitor().run({ memory: 320, checks: { "memory-growth": "FAIL" } });
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
      const silence = createSilence({ matcher: { metric: "cpu" }, forMinutes: 60, by: "ops", reason: "load test" }, m.clock);
      const fired = m.run({ cpu: 95 }, "a", [silence]);
      expect(fired.muted.map((x) => x.notice.ruleId)).toEqual(["cpu-critical", "cpu-warning"]);
      m.clock.advance(10 * MINUTE_MS);
      const r = m.run({ cpu: 10 }, "b", [silence]);
      expect(r.notices).toEqual([]);
      expect(m.state.alerts["cpu-critical"]!.status).toBe("resolved");
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

    it("a check-id matcher only matches rules watching that check", () => {
      const m = monitor();
      const silence = createSilence({ matcher: { metric: "memory" }, forMinutes: 60, by: "ops", reason: "x" }, m.clock);
      const r = m.run({ cpu: 95, memory: 600 }, "a", [silence]);
      expect(kinds(r)).toEqual(["trigger:cpu-critical"]);
      expect(r.muted.filter((x) => x.by === "silence").map((x) => x.notice.ruleId)).toEqual(["memory-critical", "memory-warning"]);
    });

    it("an old metric-name matcher matches nothing", () => {
      const m = monitor();
      const silence = createSilence({ matcher: { metric: "cpu_percent" }, forMinutes: 60, by: "ops", reason: "x" }, m.clock);
      expect(kinds(m.run({ cpu: 95 }, "a", [silence]))).toEqual(["trigger:cpu-critical"]);
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
    expect(m.state.alerts["latency-critical"]).toMatchObject({ status: "firing", lastMeasuredAt: "2025-12-26T01:30:00.000Z" });
  });
});
