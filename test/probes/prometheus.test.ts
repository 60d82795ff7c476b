import { describe, expect, it } from "vitest";
import { targetSchema } from "../../src/config/target.js";
import { measurementWindow } from "../../src/probes/target-io.js";
import { countersFromMetrics, windowBetween } from "../../src/probes/error-rate.js";
import { parsePrometheusText } from "../../src/probes/prometheus.js";

const text = `# HELP loan_pipeline_kpi_requests_total KPI requests
# TYPE loan_pipeline_kpi_requests_total counter
loan_pipeline_kpi_requests_total{code="200"} 97
loan_pipeline_kpi_requests_total{code="500"} 3
loan_pipeline_kpi_requests_total{code="400"} 1
loan_pipeline_runs_total{result="success"} 18
loan_pipeline_runs_total{result="failure"} 2
loan_pipeline_kpi_latency_seconds_bucket{le="+Inf"} 101
weird_metric{path="/a,b}",msg="say \\"hi\\"\\n"} 1.5e3 1700000000000
process_start_time_seconds 1700000000
nan_metric NaN
`;

describe("Prometheus exposition parser", () => {
  it("parses names, labels (escapes, commas and braces in values), values and timestamps", () => {
    const s = parsePrometheusText(text);
    expect(s).toHaveLength(9);
    expect(s[0]).toEqual({ name: "loan_pipeline_kpi_requests_total", labels: { code: "200" }, value: 97 });
    expect(s.find((x) => x.name === "weird_metric")).toEqual({ name: "weird_metric", labels: { path: "/a,b}", msg: 'say "hi"\n' }, value: 1500 });
    expect(s.find((x) => x.name.endsWith("_bucket"))?.labels.le).toBe("+Inf");
    expect(Number.isNaN(s.find((x) => x.name === "nan_metric")!.value)).toBe(true);
  });

  it("rejects text that is not an exposition, naming the line", () => {
    expect(() => parsePrometheusText("<html><body>Oops</body></html>")).toThrow(/line 1: expected a metric name/);
    expect(() => parsePrometheusText("ok_metric 1\nbad_metric{code=\"200\" 5\n")).toThrow(/line 2/);
    expect(() => parsePrometheusText("metric abc\n")).toThrow(/line 1: value is not a number/);
  });

  it("sums requests, failures by the configured regex, runs and failed runs", () => {
    const target = targetSchema.parse({});
    const c = countersFromMetrics(target, text, 1000);
    expect(c).toMatchObject({ requests: 101, failedRequests: 3, runs: 20, failedRuns: 2, processStartTimeSeconds: 1700000000 });
    expect(c.failedRequestsByLabel).toEqual({ "500": 3 });
  });

  it("non-Prometheus text is a monitor failure", () => {
    const target = targetSchema.parse({});
    expect(() => countersFromMetrics(target, "{\"json\": true}", 1)).toThrow(/non-Prometheus text/);
    try {
      countersFromMetrics(target, "garbage here !", 1);
    } catch (e) {
      expect((e as { failure: string }).failure).toBe("monitor");
    }
  });

  it("windows: delta against the newest reading at or before the window start; from the process start otherwise; restart from a changed start time or a counter going back", () => {
    const base = { source: "metrics" as const, failedRequestsByLabel: {}, processStartTimeSeconds: 100 };
    const prev = { ...base, at: 1_000, requests: 10, failedRequests: 1, runs: 5, failedRuns: 0 };
    const cur = { ...base, at: 2_000, requests: 40, failedRequests: 2, runs: 7, failedRuns: 1, failedRequestsByLabel: { "500": 2 } };
    // Lookback 0 s: the window is the time since the previous reading.
    const since = measurementWindow(cur.at, prev.at, 0);
    expect(windowBetween(prev, cur, since).window).toMatchObject({ requests: 30, failedRequests: 1, runs: 2, failedRuns: 1, fromMs: 1_000, countedFrom: "earlier reading" });
    // Lookback 600 s: no reading that old, counted from the process start.
    const lookback = measurementWindow(cur.at, prev.at, 600);
    expect(windowBetween(prev, cur, lookback)).toMatchObject({ firstReading: false, restarted: false, window: { requests: 40, fromMs: 100_000, countedFrom: "process start" } });
    expect(windowBetween(prev, cur, lookback).earlier).toEqual([{ at: 1_000, requests: 10, failedRequests: 1, runs: 5, failedRuns: 0, failedRequestsByLabel: {}, processStartTimeSeconds: 100 }]);
    expect(windowBetween(undefined, cur, lookback)).toMatchObject({ firstReading: true, window: { requests: 40, countedFrom: "process start" } });
    const restarted = windowBetween(prev, { ...cur, processStartTimeSeconds: 200 }, since);
    expect(restarted).toMatchObject({ restarted: true, window: { requests: 40, fromMs: 200_000 }, earlier: [] });
    expect(windowBetween(prev, { ...cur, requests: 3 }, since).restarted).toBe(true);
  });
});
