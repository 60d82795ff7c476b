/** Watchable by configuration alone: a target with other names and formats than the reference pipeline. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { targetSchema } from "../../src/config/target.js";
import { collect } from "../../src/probes/collect.js";
import { probesOfPhase } from "../../src/catalogue/catalogue.js";
import type { Measurements } from "../../src/probes/measurements.js";
import type { ProbeResult } from "../../src/probes/probe.js";
import { startStandIn, type StandIn } from "../support/stand-in-target.js";

function ok<T>(r: ProbeResult<T> | undefined): T {
  if (!r) throw new Error("probe did not run");
  if (!r.ok) throw new Error(`${r.failure}: ${r.message}`);
  return r.data;
}

describe("a stand-in pipeline in another language, watched by configuration alone", () => {
  let s: StandIn;
  let hour0: Measurements;
  let m: Measurements;
  beforeAll(async () => {
    s = await startStandIn();
    const target = targetSchema.parse(s.config);
    hour0 = await collect("hour0", target, { now: Date.now }, probesOfPhase("hour0"));
    m = await collect("final", target, { now: Date.now, previous: hour0.state }, probesOfPhase("final"));
  }, 60_000);
  afterAll(async () => s?.stop());

  it("cutover: its own command, journal format, 3 phases, warnings, backup dir with checksums", () => {
    const c = ok(hour0.cutover);
    expect(c).toMatchObject({ skipped: false, versionBefore: "1.0", exitCode: 0, logFresh: true });
    expect(c.log).toMatchObject({ allPhasesSucceeded: true, completed: true, reportedDurationMs: 12, warnings: ["disk 80% full"] });
    expect(c.log!.phases.map((p) => p.name)).toEqual(["prepare", "switch", "check"]);
    expect(c.rollback).toMatchObject({ exists: true, checksumsPresent: true });
    expect(ok(hour0.health)).toMatchObject({ status: "UP", version: "2.0", postCutoverVersionActive: true });
  });

  it("health at /status with state/release fields and an extra endpoint", () => {
    const h = ok(m.health);
    expect(h).toMatchObject({ status: "UP", statusOk: true, version: "2.0", uptimeSeconds: 42, pid: process.pid });
    expect(h.lastRun).toMatchObject({ runId: "job-7", result: "ok" });
    expect(h.extraEndpoints).toEqual([expect.objectContaining({ name: "prom", ok: true, httpStatus: 200 })]);
  });

  it("KPIs at result.metrics.*, Server-Timing 'calc', correlation id header", () => {
    const l = ok(m.latency);
    expect(l.okCount).toBe(10);
    expect(l.serverMs?.count).toBe(10);
    expect(l.kpisMatch).toBe(true);
    expect(l.kpis.find((k) => k.name === "PAR30")?.path).toBe("result.metrics.par_30");
    expect(l.samples[0]!.requestId).toMatch(/^monitor-latency-/);
  });

  it("error rate from svc_http_requests_total{status_class} and svc_jobs_total{outcome}", () => {
    const e = ok(m.errorRate);
    expect(e.source).toBe("metrics");
    expect(e.window).toMatchObject({ runs: 11, failedRuns: 1, failedRequests: 0 });
    expect(e.window.requests).toBeGreaterThanOrEqual(10);
    expect(e.errorRatePercent).toBeCloseTo((1 / (e.window.requests + 11)) * 100, 6);
  });

  it("resources from its own pidfile", () => {
    const r = ok(m.resources);
    expect(r).toMatchObject({ pid: process.pid, windowMs: 400, intervalMs: 100 });
    expect(r.samples).toHaveLength(4);
  });

  it("JSON-lines logs: level from the lvl field by its own pattern", () => {
    const l = ok(m.logs);
    expect(l.sinceCutover).toMatchObject({ errors: 1, warnings: 1, critical: 0 });
    // Nothing new since hour0, but the window (10 min back) still holds hour0's lines.
    expect(l.newSincePreviousCheckpoint.countsByLevel).toEqual({});
    expect(l.sinceLastCheckpoint.countsByLevel).toEqual({ info: 1, warning: 1, error: 1 });
    expect(l.lastLineAt).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    const first = ok(hour0.logs);
    expect(first.sinceLastCheckpoint.countsByLevel).toEqual({ info: 1, warning: 1, error: 1 });
    expect(first.sinceLastCheckpoint.samples.error[0]!.line).toContain("upstream timeout");
  });

  it("audit trail in a JSONL file with other field names and 4 events per calculation", () => {
    const a = ok(m.audit);
    expect(a.source).toBe("jsonl");
    expect(a.probeCalculation).toMatchObject({ eventCount: 4, complete: true, missingEvents: [] });
    expect(a.sinceLastCheckpoint.requests).toBe(10);
    expect(a.sinceLastCheckpoint.eventCount).toBe(40);
  });

  it("validation report elsewhere, in another shape", () => {
    const v = ok(m.validation);
    expect(v).toMatchObject({ status: "OK", verdict: "PASS", reportFresh: true, missingChecks: [] });
    expect(v.checks).toEqual([
      { name: "calc", present: true, status: "OK", details: { n: 1000 } },
      { name: "integrity", present: true, status: "OK", details: {} },
    ]);
  });

  it("outputs: semicolon CSV keyed by id: nulls, duplicates, row count vs input", () => {
    const d = ok(m.dataQuality);
    expect(d).toMatchObject({
      rowCount: 4,
      inputRowCount: 4,
      rowCountMatchesInput: true,
      nullsByColumn: { id: 0, amount: 0, score: 1 },
      duplicateRows: 1,
      duplicateKeyExamples: ["C"],
      missingColumns: [],
      fresh: true,
    });
  });

  it("its own test suite's JUnit elsewhere", () => {
    expect(ok(m.testSuite)).toMatchObject({ total: 3, passed: 3, meetsExpected: true });
    expect([...m.probes].sort()).toEqual([...probesOfPhase("final")].sort());
  });
});
