/**
 * Error rate over a window of at least the minimum lookback, from the pipeline's own counters
 * (a stand-in /metrics served by this file) or its log lines, with a 95 % upper bound.
 * Times are injected through ctx.now; no sleeps.
 */
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CheckpointContext } from "../../src/checkpoint/context.js";
import { errorRate } from "../../src/checks/metrics.js";
import { ProbeUnavailable } from "../../src/checks/outcome.js";
import { targetSchema, type TargetConfigInput } from "../../src/config/target.js";
import { clopperPearsonUpper, probeErrorRate } from "../../src/probes/error-rate.js";
import type { ErrorRateMeasurement } from "../../src/probes/error-rate.js";
import type { ProbeResult } from "../../src/probes/probe.js";
import { checkpointContext } from "../support/checkpoint-context.js";

const T0 = Date.parse("2031-03-04T12:00:00.000Z");
const iso = (ms: number) => new Date(ms).toISOString();

function ok<T>(r: ProbeResult<T>): T {
  if (!r.ok) throw new Error(`${r.failure}: ${r.message}`);
  return r.data;
}

let server: http.Server;
let url: string;
let status = 200;
let body = "";
let dir: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    req.resume();
    res.writeHead(status, { "content-type": "text/plain; version=0.0.4" }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "probe-error-rate-"));
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The reference pipeline's counters (pipeline/CONTRACT.md), cumulative since the process start. */
function expose(c: { ok: number; failed: number; runsOk?: number; runsFailed?: number; startMs?: number }) {
  status = 200;
  body = [
    "# TYPE loan_pipeline_kpi_requests_total counter",
    `loan_pipeline_kpi_requests_total{code="200"} ${c.ok}`,
    `loan_pipeline_kpi_requests_total{code="500"} ${c.failed}`,
    `loan_pipeline_runs_total{result="success"} ${c.runsOk ?? 0}`,
    `loan_pipeline_runs_total{result="failure"} ${c.runsFailed ?? 0}`,
    `process_start_time_seconds ${(c.startMs ?? T0 - 300_000) / 1000}`,
    "",
  ].join("\n");
}

const target = (extra: Partial<TargetConfigInput> = {}) => targetSchema.parse({ stateDir: dir, baseUrl: url, requestTimeoutMs: 3000, ...extra });

function ctxWith(m: ProbeResult<ErrorRateMeasurement>): CheckpointContext {
  return checkpointContext({ errorRate: m });
}

describe("95 % upper bound of a failure rate (Clopper-Pearson, one-sided)", () => {
  it("zero failures out of n: 1 - 0.05^(1/n)", () => {
    for (const n of [1, 31, 100, 3000]) expect(clopperPearsonUpper(0, n)).toBeCloseTo(1 - 0.05 ** (1 / n), 12);
  });
  it("matches the exact beta quantile (scipy.stats.beta.ppf(0.95, x + 1, n - x))", () => {
    const ref: [number, number, number][] = [
      [1, 100, 0.046559811453538935],
      [5, 100, 0.1022533776432745],
      [10, 1051, 0.016085670898159914],
      [1, 31, 0.14409039131834475],
      [3, 3000, 0.0025825051382936544],
      [50, 20000, 0.003163302187965189],
    ];
    for (const [x, n, ub] of ref) expect(clopperPearsonUpper(x, n)).toBeCloseTo(ub, 9);
    expect(clopperPearsonUpper(7, 7)).toBe(1);
  });
});

describe("error rate from the pipeline's counters over the window", () => {
  it("1 % of the pipeline's requests fail: a back-to-back checkpoint counts them (not 0/31 of its own requests)", async () => {
    const t = target();
    expose({ ok: 990, failed: 10, runsOk: 20 });
    const one = ok(await probeErrorRate(t, { now: () => T0 }));
    expect(one).toMatchObject({ failures: 10, denominator: 1020, firstReading: true });
    // 20 s later: the monitor's 31 requests, all successful, are all that happened since.
    expose({ ok: 1021, failed: 10, runsOk: 20 });
    const two = ok(await probeErrorRate(t, { now: () => T0 + 20_000, previous: { counters: one.counters } }));
    expect(two.window.required).toMatchObject({ reason: "minimum lookback", fromMs: T0 + 20_000 - 600_000, toMs: T0 + 20_000, previousMs: T0 });
    // No reading is as old as the window start; the process started inside it: counted from its start.
    expect(two.window).toMatchObject({ countedFrom: "process start", fromMs: T0 - 300_000, requests: 1031, failedRequests: 10, runs: 20, failedRuns: 0 });
    expect(two).toMatchObject({ failures: 10, denominator: 1051, sources: { requests: "metrics", runs: "metrics" } });
    expect(two.errorRatePercent).toBeCloseTo((10 / 1051) * 100, 6);
    expect(two.upperBound95Percent).toBeCloseTo(1.6085670898159914, 6);
    expect(two.tooSmallToTell).toBe(true);
    expect(two.confidence).toMatch(/10 failures in 1051/);
  });

  it("an earlier reading at or before the window start is subtracted; the previous one when it is older than the lookback", async () => {
    const t = target();
    const start = T0 - 3_600_000;
    expose({ ok: 100, failed: 0, startMs: start });
    const r1 = ok(await probeErrorRate(t, { now: () => T0 }));
    expose({ ok: 200, failed: 2, startMs: start });
    const r2 = ok(await probeErrorRate(t, { now: () => T0 + 400_000, previous: { counters: r1.counters } }));
    expect(r2.window).toMatchObject({ countedFrom: "process start", requests: 202 });
    expose({ ok: 300, failed: 3, startMs: start });
    const r3 = ok(await probeErrorRate(t, { now: () => T0 + 700_000, previous: { counters: r2.counters } }));
    // Window start T0 + 100 s: the newest reading at or before it is r1 (T0).
    expect(r3.window).toMatchObject({ countedFrom: "earlier reading", fromMs: T0, requests: 203, failedRequests: 3 });
    expect(r3.window.required).toMatchObject({ reason: "minimum lookback", fromMs: T0 + 100_000 });
    expect(r3.window.failedRequestsByLabel).toEqual({ "500": 3 });
    // An hour later: the previous checkpoint is older than the lookback, the window starts there.
    expose({ ok: 1300, failed: 3, startMs: start });
    const r4 = ok(await probeErrorRate(t, { now: () => T0 + 4_300_000, previous: { counters: r3.counters } }));
    expect(r4.window.required).toMatchObject({ reason: "since previous checkpoint", fromMs: T0 + 700_000 });
    expect(r4.window).toMatchObject({ countedFrom: "earlier reading", fromMs: T0 + 700_000, requests: 1000, failedRequests: 0 });
    expect(r4).toMatchObject({ failures: 0, denominator: 1000, tooSmallToTell: true });
    expect(r4.upperBound95Percent).toBeCloseTo((1 - 0.05 ** (1 / 1000)) * 100, 9);
    // Enough successes to tell 0.1 % from 0 (>= 2995 without a failure).
    expose({ ok: 4300, failed: 3, startMs: start });
    const r5 = ok(await probeErrorRate(t, { now: () => T0 + 7_900_000, previous: { counters: r4.counters } }));
    expect(r5).toMatchObject({ failures: 0, denominator: 3000, tooSmallToTell: false });
  });

  it("a restart inside the window: counted from the new process start", async () => {
    const t = target();
    expose({ ok: 500, failed: 5, startMs: T0 - 3_600_000 });
    const one = ok(await probeErrorRate(t, { now: () => T0 }));
    expose({ ok: 40, failed: 1, startMs: T0 + 100_000 });
    const two = ok(await probeErrorRate(t, { now: () => T0 + 200_000, previous: { counters: one.counters } }));
    expect(two).toMatchObject({ restarted: true, failures: 1, denominator: 41 });
    expect(two.window).toMatchObject({ countedFrom: "process start", fromMs: T0 + 100_000 });
  });

  it("a failure counter of its own beside a requests counter (metrics.requestsFailureCounter / runsFailureCounter)", async () => {
    const t = target({
      metrics: {
        requestsCounter: "abaco_pipeline_requests_total",
        requestsFailureCounter: "abaco_pipeline_failures_total",
        runsCounter: "abaco_pipeline_runs_total",
        runsFailureCounter: "abaco_pipeline_run_failures_total",
        processStartTime: "abaco_started_seconds",
      },
    });
    status = 200;
    body = [
      "abaco_pipeline_requests_total 400",
      'abaco_pipeline_failures_total{stage="calc"} 3',
      'abaco_pipeline_failures_total{stage="io"} 1',
      "abaco_pipeline_runs_total 20",
      "abaco_pipeline_run_failures_total 2",
      `abaco_started_seconds ${(T0 - 60_000) / 1000}`,
      "",
    ].join("\n");
    const m = ok(await probeErrorRate(t, { now: () => T0 }));
    expect(m.window).toMatchObject({ requests: 400, failedRequests: 4, runs: 20, failedRuns: 2 });
    expect(m).toMatchObject({ failures: 6, denominator: 420 });
  });

  it("the endpoint fails: a target failure, and the check says 'not measured', never 0 %", async () => {
    status = 503;
    body = "upstream down";
    const r = await probeErrorRate(target(), { now: () => T0 });
    expect(r).toMatchObject({ ok: false, failure: "target" });
    if (!r.ok) expect(r.message).toMatch(new RegExp(`metrics endpoint answered HTTP 503: GET ${url}/metrics`));
    expect(() => errorRate(ctxWith(r))).toThrow(ProbeUnavailable);
  });
});

describe("error rate from log lines where the pipeline has no counters", () => {
  const logLine = (ms: number, level: string, msg: string) => `${iso(ms)} [${level}] api: ${msg}\n`;

  it("failures in the window are counted again back to back; the monitor's own requests of earlier checkpoints in the window count", async () => {
    const stateDir = fs.mkdtempSync(path.join(dir, "logs-"));
    fs.mkdirSync(path.join(stateDir, "logs"));
    const file = path.join(stateDir, "logs", "pipeline.log");
    fs.writeFileSync(
      file,
      logLine(T0 - 900_000, "ERROR", "POST /kpis failed code=500") +
        logLine(T0 - 300_000, "ERROR", "POST /kpis failed code=500") +
        logLine(T0 - 200_000, "INFO", "run finished run_id=r1") +
        logLine(T0 - 150_000, "INFO", "run finished run_id=r2") +
        logLine(T0 - 100_000, "ERROR", "run failed run_id=r3"),
    );
    const t = targetSchema.parse({ stateDir, baseUrl: url, metrics: { path: null } });
    const one = ok(await probeErrorRate(t, { now: () => T0, requestsSentByMonitor: 30 }));
    expect(one).toMatchObject({ source: "logs", sources: { requests: "monitor", runs: "logs" } });
    expect(one.window).toMatchObject({ countedFrom: "log timestamps", fromMs: T0 - 600_000, failedRequests: 1, requests: 31, runs: 3, failedRuns: 1 });
    const two = ok(await probeErrorRate(t, { now: () => T0 + 20_000, requestsSentByMonitor: 30, previous: { counters: one.counters } }));
    expect(two.window).toMatchObject({ failedRequests: 1, requests: 61, runs: 3, failedRuns: 1 });
    expect(two).toMatchObject({ failures: 2, denominator: 64 });
  });
});

describe("mixed and degraded sources", () => {
  const logLine = (ms: number, level: string, msg: string) => `${iso(ms)} [${level}] api: ${msg}\n`;
  const stateWithLog = (text: string) => {
    const stateDir = fs.mkdtempSync(path.join(dir, "mixed-"));
    fs.mkdirSync(path.join(stateDir, "logs"));
    fs.writeFileSync(path.join(stateDir, "logs", "pipeline.log"), text);
    return stateDir;
  };

  it("no request counter (metrics.requestsCounter: null): requests from the log's request lines, runs from the counters", async () => {
    const stateDir = stateWithLog(
      logLine(T0 - 100_000, "INFO", "POST /kpis 200") + logLine(T0 - 90_000, "ERROR", "POST /kpis failed code=500") + logLine(T0 - 80_000, "INFO", "POST /kpis 200"),
    );
    const t = targetSchema.parse({
      stateDir,
      baseUrl: url,
      metrics: { requestsCounter: null, logFallback: { requestLine: "POST /kpis" } },
    });
    expose({ ok: 0, failed: 0, runsOk: 9, runsFailed: 1 });
    const m = ok(await probeErrorRate(t, { now: () => T0, requestsSentByMonitor: 30 }));
    expect(m).toMatchObject({ source: "metrics", sources: { requests: "logs", runs: "metrics" }, failures: 2, denominator: 13 });
    expect(m.window).toMatchObject({ requests: 3, failedRequests: 1, runs: 10, failedRuns: 1 });
    expect(m.notes?.join(" ")).toMatch(/requests counted from log lines/);
  });

  it("the monitor's failed requests are not counted twice (they are among the log's failed-request lines)", async () => {
    const stateDir = stateWithLog(logLine(T0 - 10_000, "ERROR", "POST /kpis failed code=500"));
    const t = targetSchema.parse({ stateDir, baseUrl: url, metrics: { path: null } });
    const m = ok(await probeErrorRate(t, { now: () => T0, requestsSentByMonitor: 30, requestsFailedByMonitor: 1 }));
    expect(m.window).toMatchObject({ requests: 30, failedRequests: 1 });
  });

  it("a log without readable timestamps: counted since the previous checkpoint's offset, and said so", async () => {
    const stateDir = stateWithLog("[ERROR] POST /kpis failed\n[INFO] run finished\n");
    const file = path.join(stateDir, "logs", "pipeline.log");
    const t = targetSchema.parse({ stateDir, baseUrl: url, metrics: { path: null }, logs: { linePattern: "^\\[(?<level>[A-Z]+)\\] " } });
    const one = ok(await probeErrorRate(t, { now: () => T0, requestsSentByMonitor: 30 }));
    expect(one.window).toMatchObject({ countedFrom: "log offset", fromMs: null, failedRequests: 1, runs: 1 });
    expect(one.notes?.join(" ")).toMatch(/no readable timestamps/);
    fs.appendFileSync(file, "[INFO] run finished\n");
    const two = ok(await probeErrorRate(t, { now: () => T0 + 20_000, requestsSentByMonitor: 30, previous: { counters: one.counters } }));
    expect(two.window).toMatchObject({ countedFrom: "log offset", fromMs: T0, failedRequests: 0, runs: 1, requests: 30 });
  });
});

describe("the errorRate evaluator", () => {
  it("shows count/denominator, the upper bound and the window; judges the point estimate (0/31 PASSes, 10/1051 WARNs)", async () => {
    const t = target();
    expose({ ok: 31, failed: 0, startMs: T0 - 30_000 });
    const zero = await probeErrorRate(t, { now: () => T0 });
    const r = errorRate(ctxWith(zero));
    expect(r.verdict, r.measured).toBe("PASS");
    expect(r.measured).toMatch(/0\/31\b/);
    expect(r.measured).toMatch(/95 % upper bound 9\.2\d* %/);
    expect(r.measured).toMatch(/too few to tell/);
    expect(r.measured).toContain(iso(T0 - 600_000));
    expect(r.evidence).toMatchObject({ failures: 0, denominator: 31, tooSmallToTell: true });
    expect((r.evidence as { window: { required: { reason: string } } }).window.required.reason).toBe("minimum lookback");

    expose({ ok: 1041, failed: 10, runsOk: 0 });
    const warn = errorRate(ctxWith(await probeErrorRate(t, { now: () => T0 })));
    expect(warn.verdict, warn.measured).toBe("WARN");
    expect(warn.measured).toMatch(/error rate 0\.95\d %: 10\/1051 KPI requests failed/);
  });
});
