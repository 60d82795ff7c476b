/** The probes against the REAL reference pipeline (test/support/pipeline-harness.ts). */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { targetSchema, type TargetConfig } from "../../src/config/target.js";
import { collect } from "../../src/probes/collect.js";
import { probeCutover } from "../../src/probes/cutover.js";
import { probeErrorRate } from "../../src/probes/error-rate.js";
import { probeHealth } from "../../src/probes/health.js";
import { probeKpiLatency } from "../../src/probes/kpi-latency.js";
import { probeResources } from "../../src/probes/resources.js";
import type { Measurements } from "../../src/probes/measurements.js";
import type { ProbeResult } from "../../src/probes/probe.js";
import { alive, freePort, startPipeline, type StartedPipeline } from "../support/pipeline-harness.js";
import { probesOfPhase } from "../../src/catalogue/catalogue.js";

function ok<T>(r: ProbeResult<T> | undefined): T {
  if (!r) throw new Error("probe did not run");
  if (!r.ok) throw new Error(`${r.failure}: ${r.message}`);
  return r.data;
}

const targetOf = (p: StartedPipeline, extra: Record<string, unknown> = {}): TargetConfig =>
  targetSchema.parse({ stateDir: p.dir, baseUrl: p.url, ...extra });

describe("probes against a healthy V2 reference pipeline (measured once)", () => {
  let p: StartedPipeline;
  let m: Measurements;
  let second: Measurements;
  const lines: string[] = [];

  beforeAll(async () => {
    p = await startPipeline({ version: "v2", interval: 0.5 });
    m = await collect("final", targetOf(p, { testSuite: { expectedTotal: 29 } }), { now: Date.now, onLine: (_s, l) => lines.push(l) }, probesOfPhase("final"));
    second = await collect("stability", targetOf(p), { now: Date.now, previous: m.state }, probesOfPhase("stability"));
  }, 120_000);
  afterAll(async () => p?.stop());

  it("health: status ok, V2 active, uptime and last run", () => {
    const h = ok(m.health);
    expect(h).toMatchObject({ status: "ok", statusOk: true, version: "v2", postCutoverVersionActive: true, pid: p.pid });
    expect(h.uptimeSeconds).toBeGreaterThan(0);
    expect(h.lastRun?.result).toBe("success");
  });

  it("latency: 30 samples, distributions end to end and server side, KPIs equal the golden values", () => {
    const l = ok(m.latency);
    expect(l.samples).toHaveLength(30);
    expect(l.okCount).toBe(30);
    expect(l.statusCounts).toEqual({ "200": 30 });
    expect(l.endToEndMs!.p95).toBeGreaterThanOrEqual(l.endToEndMs!.p50);
    expect(l.serverMs!.count).toBe(30);
    expect(l.kpis.map((k) => k.name).sort()).toEqual(["CollectionRate", "PAR30", "PAR90", "PortfolioHealth"]);
    expect(l.kpisMatch).toBe(true);
    expect(new Set(l.samples.map((s) => s.requestId)).size).toBe(30);
  });

  it("error rate: read after the latency burst, window non-empty, 0 %; back to back the window still covers the minimum lookback", () => {
    const e = ok(m.errorRate);
    expect(e.source).toBe("metrics");
    expect(e.sources).toEqual({ requests: "metrics", runs: "metrics" });
    expect(e.window.requests).toBeGreaterThanOrEqual(30);
    expect(e.errorRatePercent).toBe(0);
    expect(e.failures).toBe(0);
    expect(e.upperBound95Percent).toBeCloseTo((1 - 0.05 ** (1 / e.denominator)) * 100, 9);
    expect(e.counters.processStartTimeSeconds).toBeGreaterThan(0);
    const e2 = ok(second.errorRate);
    expect(e2).toMatchObject({ firstReading: false, restarted: false });
    // Seconds after the first: no reading is as old as the window start (600 s back), and the
    // pipeline started inside the window: everything since its start is counted.
    expect(e2.window.required).toMatchObject({ reason: "minimum lookback", previousMs: e.counters.at });
    expect(e2.window).toMatchObject({ countedFrom: "process start" });
    expect(e2.window.requests).toBe(e2.counters.requests);
    expect(e2.window.requests).toBeGreaterThanOrEqual(e.window.requests + 30);
    expect(e2.counters.earlier?.map((r) => r.at)).toEqual([e.counters.at]);
  });

  it("resources: RSS and CPU of the pidfile's process over the window", () => {
    const r = ok(m.resources);
    expect(r.pid).toBe(p.pid);
    expect(r.samples).toHaveLength(5);
    expect(r.rssMbMax).toBeGreaterThan(10);
    expect(r.cpuPercentMean).toBeGreaterThanOrEqual(0);
  });

  it("logs: lines of the window, no errors; the second checkpoint's window reaches back over the first's lines, its totals do not", () => {
    const l = ok(m.logs);
    expect(l.linesScanned).toBeGreaterThan(0);
    expect(l.sinceLastCheckpoint.errors).toBe(0);
    expect(l.sinceLastCheckpoint.startFoundBy).toBe("file start"); // the pipeline started seconds ago
    expect(l.lastLineAt).toMatch(/^\d{4}-/);
    expect(l.lastLineAgeSeconds).toBeGreaterThanOrEqual(0);
    const l2 = ok(second.logs);
    expect(l2.newSincePreviousCheckpoint.fromOffset).toBe(l.state.offset);
    expect(l2.sinceLastCheckpoint.window).toMatchObject({ reason: "minimum lookback", previousMs: l.state.at });
    expect(l2.sinceLastCheckpoint.fromOffset).toBeLessThan(l.state.offset);
    expect(l2.linesScanned).toBeGreaterThan(l2.newSincePreviousCheckpoint.linesScanned);
    expect(l2.sinceCutover.linesScanned).toBe(l.newSincePreviousCheckpoint.linesScanned + l2.newSincePreviousCheckpoint.linesScanned);
  });

  it("audit: the probe's own calculation wrote exactly 6 events; runs in the window complete", () => {
    const a = ok(m.audit);
    expect(a.probeCalculation).toMatchObject({ eventCount: 6, complete: true, missingEvents: [] });
    expect(a.sinceLastCheckpoint.runs.length).toBeGreaterThan(0);
    expect(a.sinceLastCheckpoint.runsWithoutEvents).toEqual([]);
    const a2 = ok(second.audit);
    expect(a2.sinceLastCheckpoint.from).toEqual(a.watermark);
    expect(a2.sinceLastCheckpoint.window).toMatchObject({ reason: "minimum lookback", previousMs: a.watermark.at });
    expect(a2.watermark).toMatchObject({ column: "id", type: "number" });
    expect(Number(a2.watermark.position)).toBeGreaterThan(Number(a.watermark.position));
    // Back to back: the first checkpoint's runs are still in the window.
    expect(a2.sinceLastCheckpoint.runs.length).toBeGreaterThanOrEqual(a.sinceLastCheckpoint.runs.length);
  });

  it("validation: the command ran, its fresh report has 5 PASS checks", () => {
    const v = ok(m.validation);
    expect(v).toMatchObject({ exitCode: 0, status: "PASS", reportFresh: true, missingChecks: [] });
    expect(v.checks.map((c) => c.status)).toEqual(["PASS", "PASS", "PASS", "PASS", "PASS"]);
    expect(v.perRunReport).not.toBeNull();
  });

  it("data quality: rows match the input, no nulls or duplicates, outputs fresh", () => {
    const d = ok(m.dataQuality);
    expect(d).toMatchObject({ rowCount: 10000, inputRowCount: 10000, rowCountMatchesInput: true, totalNulls: 0, duplicateRows: 0, missingColumns: [], fresh: true });
    expect(d.kpiFile.readable).toBe(true);
  });

  it("test suite: passed/total from JUnit against the expected total", () => {
    const t = ok(m.testSuite);
    expect(t).toMatchObject({ total: 29, passed: 29, failed: 0, meetsExpected: true, junitFresh: true });
    expect(lines.length).toBeGreaterThan(0);
  });

  it("state to persist: counters, log state, audit watermark, totals", () => {
    expect(m.state.counters?.source).toBe("metrics");
    expect(m.state.logState?.offset).toBeGreaterThan(0);
    expect(m.state.auditWatermark?.source).toBe("sqlite");
    expect(JSON.parse(JSON.stringify(m))).toEqual(m);
  });
});

/** The V1 -> V2 pipeline; its state dir is kept after its stop for "a stopped pipeline" below. */
let v1: StartedPipeline | undefined;
afterAll(() => {
  if (v1) fs.rmSync(v1.dir, { recursive: true, force: true });
});

describe("V1 -> V2: cutover probe, log-based error rate", () => {
  let p: StartedPipeline;
  beforeAll(async () => {
    p = v1 = await startPipeline({ version: "v1", interval: 0.5, keepDir: true });
  }, 60_000);
  afterAll(async () => p?.stop());

  it("V1 has no metrics: the error rate falls back to log lines", async () => {
    const t = targetOf(p);
    const lat = ok(await probeKpiLatency(t, { now: Date.now }));
    const e = ok(await probeErrorRate(t, { now: Date.now, requestsSentByMonitor: lat.samples.length }));
    expect(e.source).toBe("logs");
    expect(e.fallbackReason).toMatch(/404/);
    expect(e.window.runs).toBeGreaterThan(0);
    expect(e.window.requests).toBeGreaterThanOrEqual(30);
    expect(e.errorRatePercent).toBe(0);
  });

  it("runs the cutover, streams its output, parses the 5 phases; a second time it is skipped", async () => {
    const t = targetOf(p);
    const streamed: string[] = [];
    const c = ok(await probeCutover(t, { now: Date.now, onLine: (_s, l) => streamed.push(l) }));
    expect(c).toMatchObject({ skipped: false, versionBefore: "v1", exitCode: 0, logFresh: true });
    expect(c.log!.phases.map((x) => [x.name, x.result])).toEqual([
      ["preflight", "SUCCESS"],
      ["backup", "SUCCESS"],
      ["deploy", "SUCCESS"],
      ["activate", "SUCCESS"],
      ["verify", "SUCCESS"],
    ]);
    expect(c.log!.completed).toBe(true);
    expect(c.rollback).toMatchObject({ exists: true, checksumsPresent: true });
    expect(streamed.length).toBeGreaterThan(0);
    expect(path.basename(c.log!.path)).toMatch(/^cutover_\d{8}_\d{6}\.log$/);
    expect(ok(await probeHealth(t, { now: Date.now })).version).toBe("v2");

    const again = ok(await probeCutover(t, { now: Date.now }));
    expect(again).toMatchObject({ skipped: true, reason: "V2 already active" });
    expect(again.log?.path).toBe(c.log!.path);
  }, 120_000);
});

describe("an unreachable pipeline", () => {
  it("every network probe fails fast as a target failure saying 'target unreachable'", async () => {
    const port = await freePort();
    const t = targetSchema.parse({ stateDir: "/nonexistent-state-dir", baseUrl: `http://127.0.0.1:${port}` });
    const t0 = Date.now();
    const m = await collect("stability", t, { now: Date.now }, probesOfPhase("stability"));
    expect(Date.now() - t0).toBeLessThan(10_000);
    for (const k of ["health", "latency", "errorRate"] as const) {
      const r = m[k]!;
      expect(r).toMatchObject({ ok: false, failure: "target" });
      if (!r.ok) expect(r.message).toMatch(/^target unreachable: (GET|POST) http:\/\/127\.0\.0\.1:\d+\/\S+: .*ECONNREFUSED/);
    }
    for (const k of ["resources", "logs", "audit"] as const) expect(m[k]).toMatchObject({ ok: false, failure: "target" });
    expect(m.state).toEqual({});
  });

  it("a stopped pipeline: the pidfile's process is gone", async () => {
    // The V1 -> V2 pipeline, stopped after its tests (its state dir kept; one of its own when this
    // test runs alone); its pidfile names its pid again.
    const p = v1 ?? (v1 = await startPipeline({ version: "v2", keepDir: true }));
    await p.stop();
    expect(alive(p.pid), "the pipeline is stopped").toBe(false);
    const t = targetOf(p);
    fs.writeFileSync(path.join(p.dir, "pipeline.pid"), String(p.pid));
    const r = await probeResources(t, { now: Date.now });
    expect(r).toMatchObject({ ok: false, failure: "target" });
    if (!r.ok) expect(r.message).toMatch(/process gone|pidfile missing/);
  }, 60_000);
});
