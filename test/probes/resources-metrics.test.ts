/**
 * Memory, CPU and restarts from the target's Prometheus process metrics, for a runner that sees
 * no pidfile (`process.pidFile: null`: a CI job away from the pipeline's host). Against a real
 * 127.0.0.1 HTTP server serving Prometheus text whose values the test sets (memory measured, a
 * leak judged, a restart, the endpoint down or answering wrongly), and against the real reference
 * pipeline (prom-client's default metrics) beside its own pidfile's reading.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { targetSchema, type TargetConfigInput } from "../../src/config/target.js";
import { probeResources, type ResourcesMeasurement } from "../../src/probes/resources.js";
import type { ProbeResult, ProbeState } from "../../src/probes/probe.js";
import { assess } from "../../src/catalogue/check.js";
import { CATALOGUE } from "../../src/catalogue/catalogue.js";
import type { HistoryPoint } from "../../src/checkpoint/context.js";
import { checkpointContext } from "../support/checkpoint-context.js";
import { startPipeline, waitFor, type StartedPipeline } from "../support/pipeline-harness.js";

const MB = 1024 * 1024;

function ok<T>(r: ProbeResult<T>): T {
  if (!r.ok) throw new Error(`${r.failure}: ${r.message}`);
  return r.data;
}

/** The checks of the catalogue with these ids, judged on the given resources measurement. */
function judge(ids: string[], resources: ProbeResult<ResourcesMeasurement>, extra: { history?: HistoryPoint[]; previous?: ProbeState } = {}) {
  const c = checkpointContext({ resources });
  if (extra.history) c.history = extra.history;
  const defs = CATALOGUE.filter((d) => ids.includes(d.id));
  expect(defs.map((d) => d.id).sort()).toEqual([...ids].sort());
  return Object.fromEntries(assess(c, defs, () => "phase").map((r) => [r.id, r]));
}

/** A Prometheus exposition the test controls: RSS, a CPU counter rising at `cores` of a core in real time, a start time. */
interface Served {
  rssBytes: number;
  cores: number;
  startTimeSeconds: number | null;
  status: number;
  body: string | null;
  omit: string[];
}

describe("process metrics from a 127.0.0.1 Prometheus endpoint (values set by the test)", () => {
  let server: http.Server;
  let baseUrl = "";
  const served: Served = { rssBytes: 0, cores: 0, startTimeSeconds: null, status: 200, body: null, omit: [] };
  let cpuBase = 0;
  let cpuSince = performance.now();
  /** Change the CPU rate from now on (the counter keeps its value: it never goes back). */
  const setCores = (cores: number) => {
    cpuBase += (served.cores * (performance.now() - cpuSince)) / 1000;
    cpuSince = performance.now();
    served.cores = cores;
  };
  const reset = (o: Partial<Served> = {}) => {
    Object.assign(served, { rssBytes: 100 * MB, startTimeSeconds: 1_767_225_600, status: 200, body: null, omit: [] }, o);
    setCores(o.cores ?? 0.25);
  };

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      if (req.url !== "/metrics") {
        res.writeHead(404).end("not found");
        return;
      }
      const cpu = cpuBase + (served.cores * (performance.now() - cpuSince)) / 1000;
      const lines = [
        "# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.",
        "# TYPE process_cpu_seconds_total counter",
        `process_cpu_seconds_total ${cpu}`,
        "# TYPE process_resident_memory_bytes gauge",
        `process_resident_memory_bytes ${served.rssBytes}`,
        ...(served.startTimeSeconds === null ? [] : ["# TYPE process_start_time_seconds gauge", `process_start_time_seconds ${served.startTimeSeconds}`]),
        'loan_pipeline_kpi_requests_total{code="200"} 10',
        // as prom-client writes NaN (nodejs_eventloop_lag_stddev_seconds before a lag sample)
        "nodejs_eventloop_lag_stddev_seconds Nan",
      ].filter((l) => !served.omit.some((name) => l.includes(name)));
      res.writeHead(served.status, { "content-type": "text/plain; version=0.0.4" }).end(served.body ?? lines.join("\n") + "\n");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const remote = (o: TargetConfigInput = {}) =>
    targetSchema.parse({ baseUrl, stateDir: "/nonexistent-state-dir", process: { pidFile: null, cpuWindowMs: 400, cpuSampleIntervalMs: 100 }, ...o });

  it("memory and CPU come from process_resident_memory_bytes and process_cpu_seconds_total; the evidence names that source", async () => {
    reset({ rssBytes: 123.5 * MB, cores: 0.25 });
    const r = await probeResources(remote({ process: { pidFile: null, cpuWindowMs: 800, cpuSampleIntervalMs: 200 } }), { now: Date.now });
    const m = ok(r);
    expect(m.source).toBe("metrics");
    expect(m.pid).toBeNull();
    expect(m.pidFile).toBeNull();
    expect(m.metrics).toEqual({ url: `${baseUrl}/metrics`, residentMemory: "process_resident_memory_bytes", cpuSeconds: "process_cpu_seconds_total", startTime: "process_start_time_seconds" });
    expect(m.samples).toHaveLength(4);
    expect(m.rssMbMax).toBe(123.5);
    // a counter rising at a quarter of a core: 25 % (the rate is read between scrapes on the monitor's clock)
    expect(m.cpuPercentMean).toBeGreaterThan(15);
    expect(m.cpuPercentMean).toBeLessThan(35);
    expect(m.process).toEqual({ pid: null, startedAtMs: 1_767_225_600_000 });
    // the exposition held a "Nan" (prom-client's spelling of NaN): read, not a parse error
    expect((await fetch(`${baseUrl}/metrics`).then((x) => x.text())).split("\n")).toContain("nodejs_eventloop_lag_stddev_seconds Nan");

    const checks = judge(["memory", "cpu", "pipeline-restart"], r);
    expect(checks.memory!.verdict).toBe("PASS");
    expect(checks.memory!.value).toBe(123.5);
    expect(checks.memory!.measured).toContain(`memory (RSS of the process metrics at ${baseUrl}/metrics (no pidfile here)) 123.5 MB max over 4 samples`);
    expect(checks.memory!.evidence).toMatchObject({ source: "metrics", pid: null });
    expect(checks.cpu!.verdict).toBe("PASS");
    expect(checks.cpu!.evidence).toMatchObject({ source: "metrics" });
    expect(checks["pipeline-restart"]!.verdict).toBe("PASS");
    expect(checks["pipeline-restart"]!.measured).toContain("process_start_time_seconds of");

    // the bands apply to what the metrics say: 80 % of a core and 300 MB
    reset({ rssBytes: 300 * MB, cores: 0.8 });
    const hot = judge(["memory", "cpu"], await probeResources(remote(), { now: Date.now }));
    expect(hot.memory!.verdict).toBe("WARN");
    expect(["WARN", "FAIL"]).toContain(hot.cpu!.verdict);
  });

  it("a leak seen through the metrics: growth over the checkpoints FAILs memory-growth, then the band FAILs memory", async () => {
    // Four checkpoints 5 minutes apart on the monitor's clock; the served RSS grows 30 MB each time.
    const t0 = Date.parse("2026-01-01T03:00:00.000Z");
    const history: HistoryPoint[] = [];
    let last: ProbeResult<ResourcesMeasurement> | undefined;
    for (let i = 0; i < 4; i++) {
      reset({ rssBytes: (150 + 30 * i) * MB, cores: 0.05 });
      let tick = 0;
      last = await probeResources(remote(), { now: () => t0 + i * 300_000 + tick++ * 100 });
      const m = ok(last);
      expect(m.rssMbMax).toBe(150 + 30 * i);
      if (i < 3) {
        history.push({
          timestamp: new Date(t0 + i * 300_000).toISOString(),
          checkpointId: `cp${i}`,
          phase: "stability",
          memory_mb: m.rssMbMax,
          memorySamples: m.samples.map((s) => ({ t: s.at, mb: s.rssMb })),
          kpi_latency_ms: null,
          error_rate_percent: null,
          cpu_percent: m.cpuPercentMean,
          audit_trail_events: null,
          validation_status: null,
          verdict: "PASS",
          pipeline_status: "healthy",
        });
      }
    }
    const leak = judge(["memory", "memory-growth"], last!, { history });
    expect(leak.memory!.verdict).toBe("WARN"); // 240 MB: over 200, under 500
    expect(leak["memory-growth"]!.verdict).toBe("FAIL");
    expect(leak["memory-growth"]!.measured).toMatch(/memory growth \d+(\.\d+)? %\/h \(360\.0 MB\/h/);
    expect(leak["memory-growth"]!.measured).toContain("no pidfile here");

    reset({ rssBytes: 520 * MB, cores: 0.05 });
    const over = judge(["memory"], await probeResources(remote(), { now: Date.now }));
    expect(over.memory!.verdict).toBe("FAIL");
    expect(over.memory!.rules).toContain("memory-critical");
  });

  it("a restart is told by process_start_time_seconds (the metrics carry no pid)", async () => {
    reset({ startTimeSeconds: 1_767_229_200 });
    const previous: ProbeState = { processIdentity: { pid: null, startedAtMs: 1_767_225_600_000, restarts: [] } };
    const r = await probeResources(remote(), { now: Date.now, previous });
    expect(ok(r).restart.restartedSincePrevious).toBe(true);
    const checks = judge(["pipeline-restart"], r);
    expect(checks["pipeline-restart"]!.verdict).toBe("WARN");
    expect(checks["pipeline-restart"]!.measured).toContain("restarted since the previous checkpoint (was the process started 2026-01-01T00:00:00.000Z, now the process started 2026-01-01T01:00:00.000Z");

    // the previous checkpoint read the pidfile (pid known), this one the metrics: the start time decides
    reset({ startTimeSeconds: 1_767_225_601 });
    const same = await probeResources(remote(), { now: Date.now, previous: { processIdentity: { pid: 4242, startedAtMs: 1_767_225_600_300, restarts: [] } } });
    expect(ok(same).restart.restartedSincePrevious).toBe(false);

    // no start time exported: restarts cannot be told; an ERROR that says so, never a PASS
    reset({ startTimeSeconds: null });
    const blind = judge(["pipeline-restart", "memory"], await probeResources(remote(), { now: Date.now, previous }));
    expect(blind["pipeline-restart"]!.verdict).toBe("ERROR");
    expect(blind["pipeline-restart"]!.measured).toContain("has no process_start_time_seconds (metrics.processStartTime)");
    expect(blind.memory!.verdict).toBe("PASS");
  });

  it("the metrics endpoint down: not measured (FAIL, and pipeline-up names it), never a PASS", async () => {
    // a port nobody listens on
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));

    const r = await probeResources(remote({ baseUrl: deadUrl, requestTimeoutMs: 2000 }), { now: Date.now });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.failure).toBe("target");
    expect(r.message).toMatch(new RegExp(`^process metrics not read \\(no pidfile here, process\\.pidFile: null\\): target unreachable: GET ${deadUrl}/metrics: .*ECONNREFUSED`));
    expect(r.message).not.toContain("\n");
    const checks = judge(["memory", "cpu", "memory-growth", "pipeline-restart"], r);
    for (const c of Object.values(checks)) {
      expect(c.verdict, c.id).toBe("FAIL");
      expect(c.notMeasured, c.id).toBe(true);
      expect(c.measured, c.id).toContain(`not measured: process metrics not read`);
    }

    // an HTTP error from the endpoint: the same
    reset({ status: 503, body: "overloaded" });
    const busy = await probeResources(remote(), { now: Date.now });
    expect(busy.ok ? "ok" : `${busy.failure}: ${busy.message}`).toBe(`target: process metrics not read: metrics endpoint answered HTTP 503: GET ${baseUrl}/metrics: overloaded`);
  });

  it("an endpoint that answers without the process metrics, or not Prometheus text, or 404: ERROR naming the metric or key", async () => {
    reset({ omit: ["process_resident_memory_bytes"] });
    const noRss = await probeResources(remote(), { now: Date.now });
    expect(noRss.ok ? "ok" : `${noRss.failure}: ${noRss.message}`).toBe(
      `monitor: process metrics not read: GET ${baseUrl}/metrics has no process_resident_memory_bytes (process.metrics.residentMemoryBytes): the pipeline does not export them, or the config names others`,
    );
    const checks = judge(["memory", "cpu"], noRss);
    expect(checks.memory!.verdict).toBe("ERROR");
    expect(checks.cpu!.verdict).toBe("ERROR");

    // other names by configuration
    reset({ omit: ["process_cpu_seconds_total"] });
    const renamed = await probeResources(remote({ process: { pidFile: null, cpuWindowMs: 200, cpuSampleIntervalMs: 100, metrics: { cpuSecondsTotal: "loan_pipeline_kpi_requests_total" } } }), { now: Date.now });
    expect(ok(renamed).metrics?.cpuSeconds).toBe("loan_pipeline_kpi_requests_total");

    reset({ body: "<html>login</html>" });
    const html = await probeResources(remote(), { now: Date.now });
    expect(html.ok ? "ok" : html.failure).toBe("monitor");
    expect(html.ok ? "" : html.message).toContain("metrics endpoint answered non-Prometheus text");

    reset();
    const wrongPath = await probeResources(remote({ metrics: { path: "/prometheus" } }), { now: Date.now });
    expect(wrongPath.ok ? "ok" : `${wrongPath.failure}: ${wrongPath.message}`).toBe(`monitor: process metrics not read: GET ${baseUrl}/prometheus answered 404: no metrics endpoint there (metrics.path)`);
  });
});

describe("the reference pipeline's /metrics (prom-client) beside its pidfile", () => {
  let pl: StartedPipeline;
  beforeAll(async () => {
    pl = await startPipeline({ version: "v2" });
  });
  afterAll(async () => {
    await pl?.stop();
  });

  it("memory from the metrics matches the pidfile's reading of the same process; a leak shows through the metrics", async () => {
    const viaPidfile = targetSchema.parse({ baseUrl: pl.url, stateDir: pl.dir });
    const viaMetrics = targetSchema.parse({ baseUrl: pl.url, stateDir: pl.dir, process: { pidFile: null } });
    const a = ok(await probeResources(viaPidfile, { now: Date.now }));
    const b = ok(await probeResources(viaMetrics, { now: Date.now }));
    expect(a.source).toBe("pidfile");
    expect(a.pid).toBe(pl.pid);
    expect(b.source).toBe("metrics");
    expect(b.samples.length).toBe(5);
    // the same process's RSS, read two ways a second apart
    expect(Math.abs(b.rssMbMax - a.rssMbMax) / a.rssMbMax).toBeLessThan(0.2);
    expect(b.cpuPercentMean).toBeGreaterThanOrEqual(0);
    // the start time prom-client reports is the process's own (/proc), within the tolerance
    expect(Math.abs(b.process.startedAtMs! - a.process.startedAtMs!)).toBeLessThanOrEqual(2000);
    // one identity, read either way: not a restart
    const again = ok(await probeResources(viaMetrics, { now: Date.now, previous: { processIdentity: { ...a.process, restarts: [] } } }));
    expect(again.restart.restartedSincePrevious).toBe(false);

    // leak:1200 retains 20 MB a second: the metrics' RSS grows by 40 MB (waited for, not slept)
    const before = b.rssMbMax;
    await pl.setFaults(["leak:1200"]);
    const grown = await waitFor(
      async () => {
        const r = ok(await probeResources(targetSchema.parse({ baseUrl: pl.url, stateDir: pl.dir, process: { pidFile: null, cpuWindowMs: 200, cpuSampleIntervalMs: 100 } }), { now: Date.now }));
        return r.rssMbMax >= before + 40 ? r : false;
      },
      30_000,
      "RSS in the metrics to grow by 40 MB",
      200,
    );
    expect(grown.source).toBe("metrics");
    await pl.setFaults([]);
  });
});
