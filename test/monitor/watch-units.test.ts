/**
 * The watch's pure parts, without a pipeline: the compressed clock, the config scaled for the
 * probes, scenarios, the plan (late, MISSED, never twice), uptime and its gaps, the uptime-24h
 * judge (PASS only when measured continuously), the heartbeat and the watchdog's verdicts, the
 * single-instance lock.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { monitorConfigSchema } from "../../src/config/resolve.js";
import { DEFAULT_SCHEDULE } from "../../src/config/schedule.js";
import { uptime24h } from "../../src/checks/criteria.js";
import { testClock } from "../../src/judge/clock.js";
import { compressConfig, pipelineIntervalFor } from "../../src/monitor/compress.js";
import { judgeHeartbeat, staleHeartbeatLine, type Heartbeat } from "../../src/monitor/heartbeat.js";
import { plan, slots } from "../../src/monitor/plan.js";
import { SAMPLE_CHECKS } from "../../src/monitor/samples.js";
import { activeFaults, dueOneShots, loadScenario, scaledSpec } from "../../src/monitor/scenario.js";
import { hhmm, watchTime } from "../../src/monitor/time.js";
import { computeUptime, type Observation, type UptimeEvidence } from "../../src/monitor/uptime.js";
import { acquireWatchLock, watchPaths } from "../../src/monitor/watch-state.js";
import { checkpointContext } from "../support/checkpoint-context.js";

const MIN = 60_000;
const T0 = Date.parse("2026-01-01T00:00:00.000Z");

describe("time under compression", () => {
  it("the monitor's clock runs N times faster from the cutover start; the target's stays real", () => {
    const real = testClock(T0 + 10_000);
    const t = watchTime(T0, 480, real);
    expect(t.clock.now()).toBe(T0 + 10_000 * 480);
    real.advance(7_500); // 7.5 real seconds: one simulated hour
    expect(t.clock.now() - T0).toBe((10_000 + 7_500) * 480);
    expect(t.toReal(t.toSim(T0 + 1234))).toBe(T0 + 1234);
    expect(t.realDuration(60 * MIN)).toBe(7_500);
    expect(hhmm(90 * MIN)).toBe("01:30");
  });

  it("stands still while a checkpoint holds it; a restarted watch given the holds computes the same time", () => {
    const real = testClock(T0 + 10_000);
    const t = watchTime(T0, 720, real);
    const release = t.hold();
    const at = t.clock.now();
    real.advance(34_000); // a checkpoint of 34 real seconds on a busy machine: 6.8 simulated hours without the hold
    expect(t.clock.now()).toBe(at);
    expect(t.toSim(T0 + 20_000)).toBe(at); // a reading taken during the hold goes at its start
    expect(release()).toEqual({ from: T0 + 10_000, ms: 34_000 });
    real.advance(5_000); // then the clock runs again: 5 real seconds are one simulated hour
    expect(t.clock.now() - at).toBe(5_000 * 720);
    expect(t.toSim(T0 + 5_000)).toBe(T0 + 5_000 * 720); // before the hold: unchanged
    expect(t.toReal(t.clock.now())).toBe(real.now());
    const again = watchTime(T0, 720, real, t.holds());
    expect(again.clock.now()).toBe(t.clock.now());
    // Real time is real: at speed 1 a hold changes nothing.
    const r1 = watchTime(T0, 1, real);
    const rel1 = r1.hold();
    real.advance(1000);
    expect(r1.clock.now()).toBe(real.now());
    expect(rel1()).toBeNull();
  });

  it("scales the durations the probes hold against real timestamps, with named floors", () => {
    const config = monitorConfigSchema.parse({});
    const { config: c, compression } = compressConfig(config, 600);
    expect(c.target.windows.minLookbackSeconds).toBe(1);
    expect(c.target.outputs.local.maxAgeSeconds).toBe(1); // 4 runs of 0.25 s: the floor
    expect(compression.floors.some((f) => /outputs.local.maxAgeSeconds/.test(f))).toBe(true);
    expect(c.target.process.cpuWindowMs).toBe(300);
    expect(pipelineIntervalFor(600)).toBe(0.25);
    expect(pipelineIntervalFor(2)).toBe(15);
    // The alert timers run on the simulated clock: unchanged.
    expect(c.alerts.rules).toEqual(config.alerts.rules);
    expect(config.target.windows.minLookbackSeconds).toBe(600);
  });

  it("samples judge the real-time checks only (those with an alert rule the sample's probes can measure)", () => {
    const ids = SAMPLE_CHECKS.map((c) => c.id);
    for (const id of ["pipeline-up", "kpi-latency", "error-rate", "memory", "memory-growth", "cpu", "pipeline-restart", "audit-own-calculation", "audit-events", "data-quality", "output-local"]) expect(ids).toContain(id);
    for (const id of ["validation-checks", "test-suite", "log-scan", "uptime-24h"]) expect(ids).not.toContain(id);
  });
});

describe("scenarios", () => {
  it("faults come and go at their times; rates per simulated minute become real; a crash fires once", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "scenario-"));
    const file = path.join(dir, "s.ts");
    fs.writeFileSync(file, `import type { Scenario } from "../whatever.js";\nexport default { name: "t", faults: [{ at: "03:00", fault: "latency:700", clear: "03:40" }, { at: "10:00", fault: "leak:2" }, { at: "15:30", fault: "crash" }] } satisfies Scenario;\n`);
    const s = await loadScenario(file);
    expect(activeFaults(s, 3 * 60 * MIN).map((a) => a.fault.fault)).toEqual(["latency:700"]);
    expect(activeFaults(s, 3 * 60 * MIN + 40 * MIN)).toEqual([]);
    expect(activeFaults(s, 11 * 60 * MIN).map((a) => scaledSpec(a.fault.fault, 480))).toEqual(["leak:960"]);
    expect(dueOneShots(s, 16 * 60 * MIN, [])).toEqual([2]);
    expect(dueOneShots(s, 16 * 60 * MIN, [2])).toEqual([]);
    expect(scaledSpec("crash", 480)).toBe("restart");
    fs.writeFileSync(path.join(dir, "bad.json"), JSON.stringify({ name: "b", faults: [{ at: "25:00", fault: "gremlins" }] }));
    await expect(loadScenario(path.join(dir, "bad.json"))).rejects.toThrow(/^--scenario .*bad\.json: faults\.0\.at: .*$/);
    await expect(loadScenario(path.join(dir, "none.ts"))).rejects.toThrow(/file not found/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe("the plan: what runs now", () => {
  const all = slots(DEFAULT_SCHEDULE);
  const at = (hh: number, mm = 0) => (hh * 60 + mm) * MIN;
  const none = new Set<string>();

  it("runs the due slot; nothing twice", () => {
    const p = plan(all, new Set(["hour0@00:00"]), none, at(1, 2));
    expect(p.due?.key).toBe("hour1@01:00");
    expect(p.lateMs).toBe(2 * MIN);
    expect(plan(all, new Set(["hour0@00:00", "hour1@01:00"]), none, at(1, 10)).due).toBeNull();
  });

  it("after an outage: the latest due slot runs (late), the earlier ones are MISSED", () => {
    const done = new Set(["hour0@00:00", "hour1@01:00"]);
    const p = plan(all, done, none, at(3, 10), at(3, 5));
    expect(p.due?.key).toBe("stability@03:00");
    expect(p.missed.map((s) => s.key)).toEqual(["stability@01:30", "stability@02:00", "stability@02:30"]);
  });

  it("slots that came due while the watch was busy run in order, late, never skipped", () => {
    const done = new Set(["hour0@00:00"]);
    const p = plan(all, done, none, at(2, 5), 0);
    expect(p.due?.key).toBe("hour1@01:00");
    expect(p.missed).toEqual([]);
  });

  it("is complete once the last slot ran", () => {
    const done = new Set(all.map((s) => s.key));
    expect(plan(all, done, none, at(24, 30)).complete).toBe(true);
  });
});

describe("uptime", () => {
  const obs = (min: number, up: boolean | null, session = 1, end?: number): Observation => ({ t: T0 + min * MIN, ...(end ? { end: T0 + end * MIN } : {}), up, session, what: `at ${min}` });

  it("up / (up + down); a down observation opens an incident the next up one closes", () => {
    const u = computeUptime([obs(0, true, 1, 5), obs(10, true), obs(20, false), obs(30, false), obs(40, true), obs(50, true)], T0, T0 + 60 * MIN, 30 * MIN);
    expect(u.downMinutes).toBe(20);
    expect(u.upMinutes).toBe(40);
    expect(u.uptimePercent).toBeCloseTo(66.667, 2);
    expect(u.incidents).toEqual([{ start: new Date(T0 + 20 * MIN).toISOString(), end: new Date(T0 + 40 * MIN).toISOString(), minutes: 20, detectedBy: "at 20", resolvedBy: "at 40" }]);
    expect(u.gaps).toEqual([]);
    expect(u.coveragePercent).toBe(100);
  });

  it("time the watch was not running is a gap, never uptime", () => {
    const u = computeUptime([obs(0, true), obs(10, true), obs(30, true, 2), obs(40, true, 2)], T0, T0 + 50 * MIN, 30 * MIN);
    expect(u.uptimePercent).toBe(100);
    expect(u.gapMinutes).toBe(20);
    expect(u.gaps[0]).toMatchObject({ minutes: 20, reason: "the watch was not running (restarted)" });
    expect(u.coveragePercent).toBe(60);
  });

  it("measured nothing: no uptime, all gap", () => {
    const u = computeUptime([], T0, T0 + 60 * MIN, 30 * MIN);
    expect(u.uptimePercent).toBeNull();
    expect(u.gapMinutes).toBe(60);
  });
});

describe("the uptime-24h criterion", () => {
  const health = { health: { ok: true, durationMs: 1, data: { url: "http://x/health", httpStatus: 200, extraEndpoints: [] } } };
  const evidence = (u: ReturnType<typeof computeUptime>, source: "watch" | "checkpoints" = "watch"): UptimeEvidence => ({ summary: { ...u, source }, sampleEverySeconds: source === "watch" ? 15 : null, speed: 1 });
  const ctx = (e: UptimeEvidence | undefined) => Object.assign(checkpointContext(health), { uptime: e });
  const o = (min: number, up: boolean, session = 1): Observation => ({ t: T0 + min * MIN, up, session, what: `m${min}` });

  it("PASS at 100 % measured continuously by the watch", () => {
    const j = uptime24h(ctx(evidence(computeUptime([o(0, true), o(10, true), o(20, true)], T0, T0 + 25 * MIN, 30 * MIN))));
    expect(j.verdict).toBe("PASS");
    expect(j.value).toBe(100);
  });

  it("FAIL below 100 %", () => {
    const j = uptime24h(ctx(evidence(computeUptime([o(0, true), o(10, false), o(20, true)], T0, T0 + 25 * MIN, 30 * MIN))));
    expect(j.verdict).toBe("FAIL");
    expect(j.measured).toMatch(/1 incident/);
  });

  it("WARN when the watch had gaps: a gap is not uptime", () => {
    const j = uptime24h(ctx(evidence(computeUptime([o(0, true), o(10, true), o(40, true, 2)], T0, T0 + 45 * MIN, 15 * MIN))));
    expect(j.verdict).toBe("WARN");
    expect(j.measured).toMatch(/monitoring gap/);
  });

  it("checkpoints only: WARN 'not continuously measured', never a PASS", () => {
    const j = uptime24h(ctx(evidence(computeUptime([{ ...o(0, true), end: T0 + MIN }, { ...o(60, true), end: T0 + 61 * MIN }], T0, T0 + 62 * MIN, 0, "checkpoints"), "checkpoints")));
    expect(j.verdict).toBe("WARN");
    expect(j.measured).toMatch(/^not continuously measured/);
  });

  it("measured nothing fails", () => {
    expect(uptime24h(ctx(undefined)).verdict).toBe("FAIL");
  });
});

describe("the dead-man switch", () => {
  const hb = (over: Partial<Heartbeat>): Heartbeat => ({ version: 1, pid: process.pid, host: os.hostname(), status: "running", at: new Date(T0).toISOString(), sim: "", speed: 1, session: 1, cutoverStartedAt: "c", phase: "stability", next: null, lastSample: null, openAlerts: [], graceSeconds: 120, ...over });

  it("alive within the grace; down past it, when the process is gone, or when it stopped", () => {
    expect(judgeHeartbeat(hb({}), T0 + 60_000, 120, "f").alive).toBe(true);
    const stale = judgeHeartbeat(hb({}), T0 + 121_000, 120, "f");
    expect(stale.alive).toBe(false);
    expect(stale.line).toMatch(/^MONITOR DOWN: last heartbeat 121 s ago/);
    expect(judgeHeartbeat(hb({ pid: 2 ** 22 + 12345 }), T0 + 1000, 120, "f").line).toMatch(/process is gone/);
    expect(judgeHeartbeat(hb({ status: "stopped", ended: { reason: "stopped by SIGINT", exit: 130 } }), T0, 120, "f").alive).toBe(false);
    expect(judgeHeartbeat(hb({ status: "finished", ended: { reason: "finished", exit: 0, verdict: "GO" } }), T0 + 9e9, 120, "f").alive).toBe(true);
    expect(judgeHeartbeat(null, T0, 120, "f").line).toMatch(/no heartbeat/);
  });

  it("npm run checkpoint flags a stale heartbeat of its own cutover only", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hb-"));
    const file = path.join(dir, "hb.json");
    fs.writeFileSync(file, JSON.stringify(hb({ cutoverStartedAt: "A" })));
    expect(staleHeartbeatLine(file, "A", T0 + 600_000)).toMatch(/^warning: MONITOR DOWN/);
    expect(staleHeartbeatLine(file, "B", T0 + 600_000)).toBeNull();
    expect(staleHeartbeatLine(file, "A", T0 + 1000)).toBeNull();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("one watch per reports dir; a lock left by a dead watch is taken over", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lock-"));
    const p = watchPaths(dir);
    const release = acquireWatchLock(p);
    fs.writeFileSync(p.lock, JSON.stringify({ pid: process.ppid, host: os.hostname(), startedAt: "x" }));
    expect(() => acquireWatchLock(p)).toThrow(/another watch is running .* \(pid \d+/);
    fs.writeFileSync(p.lock, JSON.stringify({ pid: 2 ** 22 + 12345, host: os.hostname(), startedAt: "x" }));
    const again = acquireWatchLock(p);
    again();
    release();
    expect(fs.existsSync(p.lock)).toBe(false);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
