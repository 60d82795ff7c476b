import fs from "node:fs";
import { resolveTargetPath, targetUrl, type TargetConfig } from "../config/target.js";
import { bodySnippet, errorText, httpRequest, monitorFailure, runProbe, targetFailure } from "./common.js";
import { countMatchingLines, resumeOffset } from "./logs.js";
import { counterSamples, parsePrometheusText, PromParseError } from "./prometheus.js";
import type { ErrorRateMeasurement, ErrorRateWindow, ProbeContext, ProbeResult, RawCounters } from "./types.js";

/** Cumulative counters from a parsed exposition, by the configured names and labels. */
export function countersFromMetrics(target: TargetConfig, text: string, at: number): RawCounters {
  const m = target.metrics;
  let samples;
  try {
    samples = parsePrometheusText(text);
  } catch (err) {
    const detail = err instanceof PromParseError ? err.message : errorText(err);
    throw monitorFailure(`metrics endpoint answered non-Prometheus text: ${targetUrl(target, m.path ?? "")}: ${detail}`);
  }
  const failRe = new RegExp(m.requestsFailureRegex);
  const req = counterSamples(samples, m.requestsCounter);
  const runs = counterSamples(samples, m.runsCounter);
  const start = samples.find((s) => s.name === m.processStartTime);
  const failedByLabel: Record<string, number> = {};
  let requests = 0;
  let failedRequests = 0;
  for (const s of req) {
    requests += s.value;
    const label = s.labels[m.requestsLabel] ?? "";
    if (failRe.test(label)) {
      failedRequests += s.value;
      if (s.value > 0) failedByLabel[label] = (failedByLabel[label] ?? 0) + s.value;
    }
  }
  let runCount = 0;
  let failedRuns = 0;
  for (const s of runs) {
    runCount += s.value;
    if (m.runsFailureValues.includes(s.labels[m.runsLabel] ?? "")) failedRuns += s.value;
  }
  return {
    source: "metrics",
    at,
    requests,
    failedRequests,
    runs: runCount,
    failedRuns,
    failedRequestsByLabel: failedByLabel,
    processStartTimeSeconds: start ? start.value : null,
  };
}

/**
 * The window between two readings. A changed process start time, or a counter that went
 * backwards, is a restart: the window is then the current counters (counted from zero).
 */
export function windowBetween(prev: RawCounters | undefined, cur: RawCounters): { window: ErrorRateWindow; restarted: boolean; firstReading: boolean } {
  const usable = prev && prev.source === cur.source ? prev : undefined;
  if (!usable) {
    return { window: { fromMs: null, toMs: cur.at, ...pick(cur) }, restarted: false, firstReading: true };
  }
  if (cur.source === "logs") {
    // Log counters are already the lines since the saved cursor.
    return { window: { fromMs: usable.at, toMs: cur.at, ...pick(cur) }, restarted: false, firstReading: false };
  }
  const startChanged =
    usable.processStartTimeSeconds !== null &&
    cur.processStartTimeSeconds !== null &&
    Math.abs(usable.processStartTimeSeconds - cur.processStartTimeSeconds) > 0.5;
  const wentBack =
    cur.requests < usable.requests ||
    cur.failedRequests < usable.failedRequests ||
    cur.runs < usable.runs ||
    cur.failedRuns < usable.failedRuns;
  if (startChanged || wentBack) {
    return { window: { fromMs: null, toMs: cur.at, ...pick(cur) }, restarted: true, firstReading: false };
  }
  const byLabel: Record<string, number> = {};
  for (const [k, v] of Object.entries(cur.failedRequestsByLabel)) {
    const d = v - (usable.failedRequestsByLabel[k] ?? 0);
    if (d > 0) byLabel[k] = d;
  }
  return {
    window: {
      fromMs: usable.at,
      toMs: cur.at,
      requests: cur.requests - usable.requests,
      failedRequests: cur.failedRequests - usable.failedRequests,
      runs: cur.runs - usable.runs,
      failedRuns: cur.failedRuns - usable.failedRuns,
      failedRequestsByLabel: byLabel,
    },
    restarted: false,
    firstReading: false,
  };
}

function pick(c: RawCounters) {
  return {
    requests: c.requests,
    failedRequests: c.failedRequests,
    runs: c.runs,
    failedRuns: c.failedRuns,
    failedRequestsByLabel: { ...c.failedRequestsByLabel },
  };
}

/** Counters from the pipeline log, from the previous cursor (when metrics is null or 404). */
async function countersFromLogs(target: TargetConfig, ctx: ProbeContext, at: number): Promise<RawCounters> {
  const lf = target.metrics.logFallback;
  const path = resolveTargetPath(target, lf.path);
  let st: fs.Stats;
  try {
    st = await fs.promises.stat(path);
  } catch (err) {
    throw targetFailure(`no metrics endpoint and the pipeline log is missing: ${path} (metrics.logFallback.path): ${(err as NodeJS.ErrnoException).code ?? errorText(err)}`);
  }
  const prev = ctx.previous?.counters?.source === "logs" ? ctx.previous.counters : undefined;
  const resume = resumeOffset(prev?.logCursor, path, st);
  const r = await countMatchingLines(
    path,
    resume.offset,
    {
      requests: lf.requestLine ? new RegExp(lf.requestLine) : null,
      failedRequests: new RegExp(lf.failedRequestLine),
      failedRuns: new RegExp(lf.failedRunLine),
      successfulRuns: new RegExp(lf.successfulRunLine),
    },
    st.size,
  );
  const c = r.counts;
  const failedRequests = c.failedRequests ?? 0;
  // Without a request line the log only shows failures: add the monitor's own requests.
  const requests = lf.requestLine ? (c.requests ?? 0) : failedRequests + (ctx.requestsSentByMonitor ?? 0);
  const failedRuns = c.failedRuns ?? 0;
  return {
    source: "logs",
    at,
    requests,
    failedRequests,
    runs: failedRuns + (c.successfulRuns ?? 0),
    failedRuns,
    failedRequestsByLabel: failedRequests > 0 ? { log: failedRequests } : {},
    processStartTimeSeconds: null,
    logCursor: { path, inode: st.ino, offset: r.endOffset, size: st.size },
  };
}

/**
 * Error rate over the window since the previous checkpoint (ctx.previous.counters):
 * (failed requests + failed runs) / (requests + runs) x 100. Must run after the latency probe
 * (collect orders it so), so the probe's own requests make the window non-empty; an empty
 * window measured nothing and is a target failure.
 */
export function probeErrorRate(target: TargetConfig, ctx: ProbeContext): Promise<ProbeResult<ErrorRateMeasurement>> {
  return runProbe(async () => {
    const at = ctx.now();
    let counters: RawCounters;
    let fallbackReason: string | undefined;
    const mpath = target.metrics.path;
    if (mpath === null) {
      fallbackReason = "no metrics endpoint configured (metrics.path: null)";
      counters = await countersFromLogs(target, ctx, at);
    } else {
      const url = targetUrl(target, mpath);
      const res = await httpRequest("GET", url, { timeoutMs: target.requestTimeoutMs, headers: { accept: "text/plain" } });
      if (res.status === 404) {
        fallbackReason = `metrics endpoint answered 404: GET ${url}`;
        counters = await countersFromLogs(target, ctx, at);
      } else if (res.status < 200 || res.status >= 300) {
        throw targetFailure(`metrics endpoint answered HTTP ${res.status}: GET ${url}: ${bodySnippet(res.text)}`);
      } else {
        counters = countersFromMetrics(target, res.text, at);
      }
    }
    const { window, restarted, firstReading } = windowBetween(ctx.previous?.counters, counters);
    const total = window.requests + window.runs;
    if (total <= 0) {
      const names =
        counters.source === "metrics"
          ? `counters ${target.metrics.requestsCounter} and ${target.metrics.runsCounter}`
          : `log lines in ${target.metrics.logFallback.path}`;
      throw targetFailure(`error rate measured nothing: 0 requests and 0 runs in the window (${names})`);
    }
    const failed = window.failedRequests + window.failedRuns;
    return {
      source: counters.source,
      ...(fallbackReason ? { fallbackReason } : {}),
      window,
      errorRatePercent: Math.round((failed / total) * 100 * 1e6) / 1e6,
      restarted,
      firstReading,
      counters,
    };
  });
}
