/**
 * Restart detection by the resources probe: the process identity (pid, start time) compared with
 * the one the previous checkpoint recorded (ProbeState.processIdentity, carried over by collect).
 * Unit cases on detectRestart, then a real supervised pipeline restarted by the `restart` fault.
 */
import fs from "node:fs";
import path from "node:path";
import pidusage from "pidusage";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { targetSchema, type TargetConfig } from "../../src/config/target.js";
import { collect } from "../../src/probes/collect.js";
import { detectRestart, probeResources, START_TIME_TOLERANCE_MS } from "../../src/probes/resources.js";
import type { Measurements } from "../../src/probes/measurements.js";
import type { ProbeResult, ProbeState } from "../../src/probes/probe.js";
import type { ResourcesMeasurement } from "../../src/probes/resources.js";
import { alive, readPidFile, startPipeline, waitFor, type StartedPipeline } from "../support/pipeline-harness.js";

function ok<T>(r: ProbeResult<T> | undefined): T {
  if (!r) throw new Error("probe did not run");
  if (!r.ok) throw new Error(`${r.failure}: ${r.message}`);
  return r.data;
}

describe("detectRestart (pure)", () => {
  const now = Date.parse("2026-01-01T12:00:00.000Z");
  const iso = (ms: number) => new Date(ms).toISOString();

  it("the first observation is not a restart", () => {
    const r = detectRestart(undefined, { pid: 10, startedAtMs: now - 5000 }, now);
    expect(r.restart).toEqual({ previous: null, restartedSincePrevious: false, restartsWithinHour: [] });
    expect(r.state).toEqual({ pid: 10, startedAtMs: now - 5000, restarts: [] });
  });

  it("same pid and start time (within the tolerance) -> no restart; earlier restarts within the hour kept", () => {
    const prev = { pid: 10, startedAtMs: now - 60_000, restarts: [iso(now - 30 * 60_000)] };
    const r = detectRestart(prev, { pid: 10, startedAtMs: now - 60_000 + START_TIME_TOLERANCE_MS }, now);
    expect(r.restart).toEqual({ previous: { pid: 10, startedAtMs: now - 60_000 }, restartedSincePrevious: false, restartsWithinHour: [iso(now - 30 * 60_000)] });
  });

  it("pid changed -> restart, recorded at the detection time", () => {
    const r = detectRestart({ pid: 10, startedAtMs: now - 60_000, restarts: [] }, { pid: 11, startedAtMs: now - 1000 }, now);
    expect(r.restart.restartedSincePrevious).toBe(true);
    expect(r.restart.restartsWithinHour).toEqual([iso(now)]);
    expect(r.state).toEqual({ pid: 11, startedAtMs: now - 1000, restarts: [iso(now)] });
  });

  it("same pid, another start time (pid reused) -> restart; unknown start times compare by pid only", () => {
    expect(detectRestart({ pid: 10, startedAtMs: now - 600_000, restarts: [] }, { pid: 10, startedAtMs: now - 1000 }, now).restart.restartedSincePrevious).toBe(true);
    expect(detectRestart({ pid: 10, startedAtMs: null, restarts: [] }, { pid: 10, startedAtMs: now - 1000 }, now).restart.restartedSincePrevious).toBe(false);
    expect(detectRestart({ pid: 10, startedAtMs: now, restarts: [] }, { pid: 10, startedAtMs: null }, now).restart.restartedSincePrevious).toBe(false);
  });

  it("restarts older than one hour drop out; a second restart within the hour makes two", () => {
    const prev = { pid: 10, startedAtMs: now - 60_000, restarts: [iso(now - 61 * 60_000), iso(now - 59 * 60_000), "garbage"] };
    const r = detectRestart(prev, { pid: 12, startedAtMs: now }, now);
    expect(r.restart.restartsWithinHour).toEqual([iso(now - 59 * 60_000), iso(now)]);
    const quiet = detectRestart({ ...prev, pid: 12, startedAtMs: now }, { pid: 12, startedAtMs: now }, now);
    expect(quiet.restart.restartsWithinHour).toEqual([iso(now - 59 * 60_000)]);
  });
});

describe("resources probe against a supervised reference pipeline restarted by the restart fault", () => {
  let pl: StartedPipeline;
  let t: TargetConfig;
  let startedBefore: number;
  const restartLines = () => fs.readFileSync(path.join(pl.dir, "logs", "pipeline.log"), "utf8").split("\n").filter((l) => / \[WARN\] supervisor: service restarted /.test(l));
  /** The resources probe alone through collect (so the state carry-over is the real one). */
  const checkpoint = (previous: ProbeState | undefined, now: () => number = Date.now): Promise<Measurements> =>
    collect("stability", t, { now, previous }, ["resources"]);
  const res = (m: Measurements): ResourcesMeasurement => ok(m.resources);

  /** `pipeline fault restart`, then wait for the pidfile to name a new pid that answers /health. */
  async function restart(): Promise<{ oldPid: number; newPid: number }> {
    const oldPid = readPidFile(pl.dir)!;
    const r = await pl.cli(["fault", "restart"]);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const newPid = await waitFor(
      async () => {
        const pid = readPidFile(pl.dir);
        return pid && pid !== oldPid && (await pl.health()).pid === pid ? pid : undefined;
      },
      45_000,
      `a restarted service (pid other than ${oldPid})`,
      100,
    );
    return { oldPid, newPid };
  }

  beforeAll(async () => {
    startedBefore = Date.now();
    pl = await startPipeline({ version: "v2", interval: 0.5, supervise: true });
    t = targetSchema.parse({ stateDir: pl.dir, baseUrl: pl.url, process: { cpuWindowMs: 400, cpuSampleIntervalMs: 100 } });
  });
  afterAll(async () => {
    await pl?.stop();
    pidusage.clear();
  });

  let s1: ProbeState;
  it("first checkpoint: process identity (pid, start time), no previous, no restart", async () => {
    const m = await checkpoint(undefined);
    const r = res(m);
    const h = await pl.health();
    expect(r.process.pid).toBe(pl.pid);
    expect(r.pid).toBe(pl.pid);
    // the process started before the service recorded started_at, and after the test began
    expect(r.process.startedAtMs).not.toBeNull();
    expect(r.process.startedAtMs!).toBeLessThanOrEqual(Date.parse(h.started_at) + START_TIME_TOLERANCE_MS);
    expect(r.process.startedAtMs!).toBeGreaterThanOrEqual(startedBefore - START_TIME_TOLERANCE_MS);
    // agrees with pidusage's timestamp - elapsed (the fallback off Linux)
    const u = await pidusage(pl.pid);
    expect(Math.abs(u.timestamp - u.elapsed - r.process.startedAtMs!)).toBeLessThanOrEqual(START_TIME_TOLERANCE_MS);
    expect(r.restart).toEqual({ previous: null, restartedSincePrevious: false, restartsWithinHour: [] });
    expect(m.state.processIdentity).toEqual({ pid: pl.pid, startedAtMs: r.process.startedAtMs, restarts: [] });
    s1 = m.state;
  });

  let s2: ProbeState;
  it("no restart between checkpoints -> restartedSincePrevious false, previous = the recorded identity", async () => {
    const m = await checkpoint(s1);
    const r = res(m);
    expect(r.restart).toEqual({ previous: { pid: s1.processIdentity!.pid, startedAtMs: s1.processIdentity!.startedAtMs }, restartedSincePrevious: false, restartsWithinHour: [] });
    expect(r.process).toEqual({ pid: s1.processIdentity!.pid, startedAtMs: s1.processIdentity!.startedAtMs });
    s2 = m.state;
  });

  let s3: ProbeState;
  it("one restart fault -> new pid, one WARN line, restartedSincePrevious and one restart within the hour", async () => {
    const { oldPid, newPid } = await restart();
    expect(alive(oldPid)).toBe(false);
    expect(restartLines()).toHaveLength(1);
    expect(restartLines()[0]).toMatch(new RegExp(` pid=${newPid} previous_pid=${oldPid} `));
    const m = await checkpoint(s2);
    const r = res(m);
    expect(r.process.pid).toBe(newPid);
    expect(r.process.startedAtMs!).toBeGreaterThan(s2.processIdentity!.startedAtMs!);
    expect(r.restart.previous).toEqual({ pid: oldPid, startedAtMs: s2.processIdentity!.startedAtMs });
    expect(r.restart.restartedSincePrevious).toBe(true);
    expect(r.restart.restartsWithinHour).toHaveLength(1);
    expect(Number.isNaN(Date.parse(r.restart.restartsWithinHour[0]!))).toBe(false);
    expect(m.state.processIdentity).toEqual({ pid: newPid, startedAtMs: r.process.startedAtMs, restarts: r.restart.restartsWithinHour });
    s3 = m.state;
  });

  let s4: ProbeState;
  it("a second restart fault -> two restarts within the hour", async () => {
    const { oldPid, newPid } = await restart();
    expect(restartLines()).toHaveLength(2);
    const m = await checkpoint(s3);
    const r = res(m);
    expect(r.process.pid).toBe(newPid);
    expect(r.restart.previous?.pid).toBe(oldPid);
    expect(r.restart.restartedSincePrevious).toBe(true);
    expect(r.restart.restartsWithinHour).toHaveLength(2);
    expect(r.restart.restartsWithinHour[0]).toBe(s3.processIdentity!.restarts[0]);
    s4 = m.state;
  });

  it("next checkpoint without a restart: not restarted since previous, still two within the hour; an hour later none", async () => {
    const m = await checkpoint(s4);
    const r = res(m);
    expect(r.restart.restartedSincePrevious).toBe(false);
    expect(r.restart.restartsWithinHour).toEqual(s4.processIdentity!.restarts);
    const later = await checkpoint(m.state, () => Date.now() + 61 * 60_000);
    expect(res(later).restart).toMatchObject({ restartedSincePrevious: false, restartsWithinHour: [] });
    expect(later.state.processIdentity?.restarts).toEqual([]);
  });

  it("a failed resources probe (process gone) keeps the recorded identity", async () => {
    // stop the pipeline: the probe fails, and collect carries the previous identity over
    const svc = readPidFile(pl.dir)!;
    const sup = pl.supervisorPid!;
    expect((await pl.cli(["stop"])).exitCode).toBe(0);
    expect(alive(svc)).toBe(false);
    expect(alive(sup)).toBe(false);
    fs.writeFileSync(path.join(pl.dir, "pipeline.pid"), `${svc}\n`);
    const m = await checkpoint(s4);
    expect(m.resources).toMatchObject({ ok: false, failure: "target" });
    expect(m.state.processIdentity).toEqual(s4.processIdentity);
  });
});
