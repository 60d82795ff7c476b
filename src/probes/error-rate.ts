import fs from "node:fs";
import { resolveTargetPath, targetUrl, type TargetConfig } from "../config/target.js";
import { bodySnippet, errorText, httpRequest, measurementWindow, monitorFailure, runProbe, targetFailure } from "./target-io.js";
import { countMatchingLines, findWindowStart, logStateAfter, resumeLog } from "./logs.js";
import { counterSamples, parsePrometheusText, PromParseError, type PromSample } from "./prometheus.js";
import type { CounterReading, LogState, MeasurementWindow, ProbeContext, ProbeResult, RawCounters } from "./probe.js";

export interface ErrorRateWindow {
  /**
   * Start of what was counted (epoch ms): the earlier reading subtracted, the process start, or
   * the window start (log lines). At or before required.fromMs unless the process started
   * inside the window or a cap/offset limited the log read (countedFrom says which); null when
   * counted from a process start of unknown time.
   */
  fromMs: number | null;
  toMs: number;
  requests: number;
  failedRequests: number;
  runs: number;
  failedRuns: number;
  failedRequestsByLabel: Record<string, number>;
  /** The window these counts must cover (from, to, why). */
  required: MeasurementWindow;
  /**
   * "earlier reading": current counters minus the newest reading at or before the window start;
   * "process start": cumulative counters (no reading that old, or a restart);
   * "log timestamps": log lines stamped inside the window;
   * "log offset": log lines since the previous checkpoint's byte offset (no timestamps in the log).
   */
  countedFrom: "earlier reading" | "process start" | "log timestamps" | "log offset";
}

export interface ErrorRateMeasurement {
  /** "metrics" when the metrics endpoint answered; "logs" when there is none (or it answered 404). */
  source: "metrics" | "logs";
  /**
   * Where each kind was counted: the pipeline's counters, its log lines, or (requests only) the
   * monitor's own requests plus the log's failed-request lines, when the pipeline has neither
   * request counters nor request lines. Never two of them for one kind.
   */
  sources: { requests: "metrics" | "logs" | "monitor"; runs: "metrics" | "logs" };
  /** Why the log fallback was used, when it was. */
  fallbackReason?: string;
  window: ErrorRateWindow;
  /** failedRequests + failedRuns in the window. */
  failures: number;
  /** requests + runs in the window. */
  denominator: number;
  /** failures / denominator x 100. */
  errorRatePercent: number;
  /** One-sided 95 % upper bound of the rate (exact Clopper-Pearson), in %. */
  upperBound95Percent: number;
  /** The rate the sample should tell from 0 (target.metrics.errorRateResolutionPercent). */
  resolutionPercent: number;
  /** upperBound95Percent > resolutionPercent: the sample is too small to tell that rate from 0. */
  tooSmallToTell: boolean;
  /** One line saying what the sample can tell (count, denominator, bound, what would be needed). */
  confidence: string;
  /** What limited the count, when something did (log read cap, no timestamps, a process started inside the window). */
  notes?: string[];
  /** The process start time changed since the previous reading (or a counter went back): counted from the new start. */
  restarted: boolean;
  /** No previous counters of the same source. */
  firstReading: boolean;
  /** Persist these: they are ctx.previous.counters next time. */
  counters: RawCounters;
}

/* ------------------------------------------------- the 95 % upper bound */

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
  -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) (Lanczos, g = 7). */
function lnGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lnGamma(1 - x);
  const z = x - 1;
  let a = LANCZOS[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the incomplete beta function (modified Lentz). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const TINY = 1e-300;
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 100_000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return h;
}

/** The regularized incomplete beta function I_x(a, b). */
export function regularizedIncompleteBeta(a: number, b: number, x: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log1p(-x));
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(a, b, x)) / a;
  return 1 - (front * betaContinuedFraction(b, a, 1 - x)) / b;
}

/**
 * One-sided upper confidence bound of a binomial proportion, exact (Clopper-Pearson): the p at
 * which seeing at most `failures` of `n` has probability 1 - confidence, i.e. the `confidence`
 * quantile of Beta(failures + 1, n - failures). Zero failures: 1 - (1 - confidence)^(1/n).
 */
export function clopperPearsonUpper(failures: number, n: number, confidence = 0.95): number {
  if (n <= 0) return 1;
  if (failures <= 0) return 1 - (1 - confidence) ** (1 / n);
  if (failures >= n) return 1;
  const a = failures + 1;
  const b = n - failures;
  let lo = failures / n;
  let hi = 1;
  for (let i = 0; i < 200 && hi - lo > 1e-16; i++) {
    const mid = (lo + hi) / 2;
    if (regularizedIncompleteBeta(a, b, mid) < confidence) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Observations needed without a failure for the upper bound to reach `percent`. */
function sampleNeeded(percent: number, confidence = 0.95): number {
  return Math.ceil(Math.log(1 - confidence) / Math.log1p(-percent / 100));
}

const pctText = (v: number) => (v >= 1 ? v.toFixed(2) : v === 0 ? "0" : v.toPrecision(3));

/** What a sample of `failures` out of `n` can tell about the rate, in one line. */
function confidenceText(failures: number, n: number, ubPercent: number, resolution: number, tooSmall: boolean): string {
  const head = `${failures} failure${failures === 1 ? "" : "s"} in ${n}${failures ? ` (${pctText((failures / n) * 100)} %)` : ""}: 95 % upper bound ${pctText(ubPercent)} %`;
  if (failures === 0) {
    return tooSmall
      ? `${head}: too few to tell a ${resolution} % error rate from 0 (that takes at least ${sampleNeeded(resolution)} without a failure)`
      : `${head}: below ${resolution} %, enough to tell a ${resolution} % error rate from 0`;
  }
  return tooSmall ? `${head}: the sample cannot bound the rate below ${resolution} %` : `${head}: the rate is below ${resolution} % with 95 % confidence`;
}

/* ----------------------------------------------------------- counters */

const labelText = (s: PromSample) =>
  Object.entries(s.labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(",") || s.name;

/** Cumulative counters from a parsed exposition, by the configured names and labels (0 for an unconfigured counter). */
export function countersFromMetrics(target: TargetConfig, text: string, at: number): RawCounters {
  const m = target.metrics;
  let samples: PromSample[];
  try {
    samples = parsePrometheusText(text);
  } catch (err) {
    const detail = err instanceof PromParseError ? err.message : errorText(err);
    throw monitorFailure(`metrics endpoint answered non-Prometheus text: ${targetUrl(target, m.path ?? "")}: ${detail}`);
  }
  const sum = (name: string | null) => (name ? counterSamples(samples, name).reduce((n, s) => n + s.value, 0) : 0);
  const failedByLabel: Record<string, number> = {};
  let failedRequests = 0;
  if (m.requestsFailureCounter) {
    for (const s of counterSamples(samples, m.requestsFailureCounter)) {
      failedRequests += s.value;
      if (s.value > 0) failedByLabel[labelText(s)] = (failedByLabel[labelText(s)] ?? 0) + s.value;
    }
  } else if (m.requestsCounter) {
    const failRe = new RegExp(m.requestsFailureRegex);
    for (const s of counterSamples(samples, m.requestsCounter)) {
      const label = s.labels[m.requestsLabel] ?? "";
      if (!failRe.test(label)) continue;
      failedRequests += s.value;
      if (s.value > 0) failedByLabel[label] = (failedByLabel[label] ?? 0) + s.value;
    }
  }
  let failedRuns = 0;
  if (m.runsFailureCounter) failedRuns = sum(m.runsFailureCounter);
  else if (m.runsCounter) {
    for (const s of counterSamples(samples, m.runsCounter)) if (m.runsFailureValues.includes(s.labels[m.runsLabel] ?? "")) failedRuns += s.value;
  }
  const start = samples.find((s) => s.name === m.processStartTime);
  return {
    source: "metrics",
    at,
    requests: sum(m.requestsCounter),
    failedRequests,
    runs: sum(m.runsCounter),
    failedRuns,
    failedRequestsByLabel: failedByLabel,
    processStartTimeSeconds: start ? start.value : null,
  };
}

function readingOf(c: CounterReading): CounterReading {
  return {
    at: c.at,
    requests: c.requests,
    failedRequests: c.failedRequests,
    runs: c.runs,
    failedRuns: c.failedRuns,
    failedRequestsByLabel: { ...c.failedRequestsByLabel },
    processStartTimeSeconds: c.processStartTimeSeconds,
  };
}

const sameProcess = (a: CounterReading, b: CounterReading) =>
  a.processStartTimeSeconds === null || b.processStartTimeSeconds === null || Math.abs(a.processStartTimeSeconds - b.processStartTimeSeconds) <= 0.5;

const notAhead = (base: CounterReading, cur: CounterReading) =>
  base.requests <= cur.requests && base.failedRequests <= cur.failedRequests && base.runs <= cur.runs && base.failedRuns <= cur.failedRuns;

/** Earlier readings kept for the next checkpoint: all younger than the lookback, plus the newest older one. */
const MAX_READINGS = 50;

/**
 * The counters over the required window: the current reading minus the newest earlier reading of
 * the same process at or before the window start; without one (first reading, a history shorter
 * than the window, a restart), the cumulative counters since the process start, which cover at
 * least the window unless the process started inside it. A changed process start time, or a
 * counter that went backwards, is a restart.
 */
export function windowBetween(
  prev: RawCounters | undefined,
  cur: RawCounters,
  required: MeasurementWindow,
): { window: ErrorRateWindow; restarted: boolean; firstReading: boolean; earlier: CounterReading[] } {
  const usable = prev && prev.source === cur.source ? prev : undefined;
  const candidates = usable ? [...(usable.earlier ?? []), readingOf(usable)] : [];
  const valid = candidates.filter((r) => r.at < cur.at && sameProcess(r, cur) && notAhead(r, cur)).sort((a, b) => a.at - b.at);
  const restarted = !!usable && !(sameProcess(usable, cur) && notAhead(usable, cur));
  const base = [...valid].reverse().find((r) => r.at <= required.fromMs);
  let window: ErrorRateWindow;
  if (base) {
    const byLabel: Record<string, number> = {};
    for (const [k, v] of Object.entries(cur.failedRequestsByLabel)) {
      const d = v - (base.failedRequestsByLabel[k] ?? 0);
      if (d > 0) byLabel[k] = d;
    }
    window = {
      fromMs: base.at,
      toMs: cur.at,
      requests: cur.requests - base.requests,
      failedRequests: cur.failedRequests - base.failedRequests,
      runs: cur.runs - base.runs,
      failedRuns: cur.failedRuns - base.failedRuns,
      failedRequestsByLabel: byLabel,
      required,
      countedFrom: "earlier reading",
    };
  } else {
    window = {
      fromMs: cur.processStartTimeSeconds === null ? null : Math.round(cur.processStartTimeSeconds * 1000),
      toMs: cur.at,
      requests: cur.requests,
      failedRequests: cur.failedRequests,
      runs: cur.runs,
      failedRuns: cur.failedRuns,
      failedRequestsByLabel: { ...cur.failedRequestsByLabel },
      required,
      countedFrom: "process start",
    };
  }
  const horizon = cur.at - required.minLookbackSeconds * 1000;
  const older = valid.filter((r) => r.at <= horizon);
  let earlier = [...older.slice(-1), ...valid.filter((r) => r.at > horizon)];
  if (earlier.length > MAX_READINGS) earlier = [earlier[0]!, ...earlier.slice(-(MAX_READINGS - 1))];
  return { window, restarted, firstReading: !usable, earlier };
}

/* ------------------------------------------------------------- logs */

interface LogCounts {
  requestLines: number | null;
  failedRequestLines: number;
  runs: number;
  failedRuns: number;
  countedFrom: "log timestamps" | "log offset";
  fromMs: number | null;
  cursor: LogState;
  note?: string;
}

/**
 * Lines of the pipeline log (metrics.logFallback) over the window: those stamped inside it, found
 * by reading back from the end; without readable timestamps, those since the previous cursor.
 */
async function countLogWindow(target: TargetConfig, required: MeasurementWindow, prev: RawCounters | undefined, why: string): Promise<LogCounts> {
  const lf = target.metrics.logFallback;
  const path = resolveTargetPath(target, lf.path);
  let st: fs.Stats;
  try {
    st = await fs.promises.stat(path);
  } catch (err) {
    throw targetFailure(`${why} and the pipeline log is missing: ${path} (metrics.logFallback.path): ${(err as NodeJS.ErrnoException).code ?? errorText(err)}`);
  }
  try {
    const configKey = lf.linePattern ? "metrics.logFallback.linePattern" : "logs.linePattern";
    const start = await findWindowStart(path, lf.linePattern ?? target.logs.linePattern, required.fromMs, {
      size: st.size,
      capBytes: target.windows.logReadBackBytes,
      configKey,
    });
    let from: number;
    let countedFrom: LogCounts["countedFrom"];
    let fromMs: number | null;
    let note: string | undefined;
    let head: Buffer | null = null;
    if (start.foundBy === "no timestamps") {
      // Rotation and copytruncate detected by inode, first bytes and line boundary (logs.ts).
      const resume = await resumeLog(prev?.logCursor, path, st);
      head = resume.head;
      from = resume.offset;
      countedFrom = "log offset";
      fromMs = resume.offset > 0 && prev ? prev.at : null;
      note = `no readable timestamps in ${path} (${configKey} group ts): counted the lines since the previous checkpoint's offset`;
    } else {
      from = start.offset;
      countedFrom = "log timestamps";
      fromMs = required.fromMs;
      if (start.foundBy === "read cap") note = `read back ${start.readBackBytes} bytes of ${path} (windows.logReadBackBytes) without reaching the window start: only the newest part of the window is counted`;
    }
    const r = await countMatchingLines(
      path,
      from,
      {
        requests: lf.requestLine ? new RegExp(lf.requestLine) : null,
        failedRequests: new RegExp(lf.failedRequestLine),
        failedRuns: new RegExp(lf.failedRunLine),
        successfulRuns: new RegExp(lf.successfulRunLine),
      },
      st.size,
    );
    const c = r.counts;
    return {
      requestLines: lf.requestLine ? (c.requests ?? 0) : null,
      failedRequestLines: c.failedRequests ?? 0,
      runs: (c.failedRuns ?? 0) + (c.successfulRuns ?? 0),
      failedRuns: c.failedRuns ?? 0,
      countedFrom,
      fromMs,
      cursor: head ? logStateAfter(path, st, r.endOffset, head, required.toMs) : { path, inode: st.ino, offset: r.endOffset, size: st.size, at: required.toMs },
      ...(note ? { note } : {}),
    };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code) throw targetFailure(`pipeline log unreadable: ${path} (metrics.logFallback.path): ${errorText(err)}`);
    throw err;
  }
}

/* -------------------------------------------------------------- probe */

/**
 * Error rate over the window (target.windows: the minimum lookback or the time since the previous
 * checkpoint, whichever is longer): (failed requests + failed runs) / (requests + runs) x 100,
 * from the pipeline's own counters (metrics endpoint), from its log lines where it has no
 * counters, and from the monitor's own requests only where it has neither, with the 95 % upper
 * bound of the rate. Must run after the latency probe (collect orders it so). An endpoint that
 * fails is a target failure (not measured, never 0 %); an empty window measured nothing and is a
 * target failure too.
 */
export function probeErrorRate(target: TargetConfig, ctx: ProbeContext): Promise<ProbeResult<ErrorRateMeasurement>> {
  return runProbe(async () => {
    const m = target.metrics;
    const at = ctx.now();
    const prev = ctx.previous?.counters;
    const required = measurementWindow(at, prev?.at, target.windows.minLookbackSeconds, ctx.cutoverStartedAt);
    let metrics: RawCounters | null = null;
    let fallbackReason: string | undefined;
    if (m.path === null) {
      fallbackReason = "no metrics endpoint configured (metrics.path: null)";
    } else {
      const url = targetUrl(target, m.path);
      const res = await httpRequest("GET", url, { timeoutMs: target.requestTimeoutMs, headers: { accept: "text/plain" } });
      if (res.status === 404) fallbackReason = `metrics endpoint answered 404: GET ${url}`;
      else if (res.status < 200 || res.status >= 300) throw targetFailure(`metrics endpoint answered HTTP ${res.status}: GET ${url}: ${bodySnippet(res.text)}`);
      else metrics = countersFromMetrics(target, res.text, at);
    }
    const reqFromMetrics = metrics !== null && m.requestsCounter !== null;
    const runsFromMetrics = metrics !== null && m.runsCounter !== null;
    const sources: ErrorRateMeasurement["sources"] = {
      requests: reqFromMetrics ? "metrics" : m.logFallback.requestLine ? "logs" : "monitor",
      runs: runsFromMetrics ? "metrics" : "logs",
    };
    const mw = metrics ? windowBetween(prev, metrics, required) : null;
    const why = metrics ? `no ${!reqFromMetrics ? "request" : "run"} counter (metrics.${!reqFromMetrics ? "requestsCounter" : "runsCounter"}: null)` : "no metrics endpoint";
    const logs = !reqFromMetrics || !runsFromMetrics ? await countLogWindow(target, required, prev, why) : null;
    const notes: string[] = logs?.note ? [logs.note] : [];

    // The monitor's own requests in the window (only when the pipeline has neither counters nor request lines).
    let monitorRequests: RawCounters["monitorRequests"];
    let monitorOk = 0;
    if (sources.requests === "monitor") {
      // By offset: the lines since the previous reading, which saw that checkpoint's own requests.
      const byOffset = logs!.countedFrom === "log offset";
      const since = byOffset ? (logs!.fromMs ?? Number.NEGATIVE_INFINITY) : required.fromMs;
      const sent = ctx.requestsSentByMonitor ?? 0;
      const own = { at, sent, failed: Math.min(sent, ctx.requestsFailedByMonitor ?? 0) };
      const inWindow = [...(prev?.monitorRequests ?? []).filter((e) => (byOffset ? e.at > since : e.at >= since) && e.at < at), own];
      monitorOk = inWindow.reduce((n, e) => n + Math.max(0, e.sent - e.failed), 0);
      const horizon = at - target.windows.minLookbackSeconds * 1000;
      monitorRequests = [...(prev?.monitorRequests ?? []).filter((e) => e.at >= horizon && e.at < at), own];
    }

    const failedRequests = reqFromMetrics ? mw!.window.failedRequests : logs!.failedRequestLines;
    const window: ErrorRateWindow = {
      fromMs: mw ? mw.window.fromMs : logs!.fromMs,
      toMs: at,
      requests: reqFromMetrics ? mw!.window.requests : sources.requests === "logs" ? logs!.requestLines! : failedRequests + monitorOk,
      failedRequests,
      runs: runsFromMetrics ? mw!.window.runs : logs!.runs,
      failedRuns: runsFromMetrics ? mw!.window.failedRuns : logs!.failedRuns,
      failedRequestsByLabel: reqFromMetrics ? mw!.window.failedRequestsByLabel : failedRequests > 0 ? { log: failedRequests } : {},
      required,
      countedFrom: mw ? mw.window.countedFrom : logs!.countedFrom,
    };
    if (mw && logs) notes.push(`${!reqFromMetrics ? "requests" : "runs"} counted from log lines (${logs.countedFrom}) in ${m.logFallback.path}`);
    if (window.countedFrom === "process start" && window.fromMs !== null && window.fromMs > required.fromMs) {
      notes.push(`the process started inside the window (${new Date(window.fromMs).toISOString()}): counted since its start`);
    }

    const counters: RawCounters = metrics
      ? { ...metrics, earlier: mw!.earlier }
      : {
          source: "logs",
          at,
          requests: window.requests,
          failedRequests: window.failedRequests,
          runs: window.runs,
          failedRuns: window.failedRuns,
          failedRequestsByLabel: window.failedRequestsByLabel,
          processStartTimeSeconds: null,
        };
    if (logs) counters.logCursor = logs.cursor;
    if (monitorRequests) counters.monitorRequests = monitorRequests;

    const denominator = window.requests + window.runs;
    if (denominator <= 0) {
      const names = [
        sources.requests === "metrics" ? `counter ${m.requestsCounter}` : `request lines in ${m.logFallback.path}`,
        sources.runs === "metrics" ? `counter ${m.runsCounter}` : `run lines in ${m.logFallback.path}`,
      ].join(" and ");
      throw targetFailure(`error rate measured nothing: 0 requests and 0 runs in the window ${required.from} - ${required.to} (${names})`);
    }
    const failures = window.failedRequests + window.failedRuns;
    const upper = clopperPearsonUpper(failures, denominator, 0.95) * 100;
    const resolution = m.errorRateResolutionPercent;
    const tooSmallToTell = upper > resolution;
    return {
      source: metrics ? "metrics" : "logs",
      sources,
      ...(fallbackReason ? { fallbackReason } : {}),
      window,
      failures,
      denominator,
      errorRatePercent: Math.round((failures / denominator) * 100 * 1e6) / 1e6,
      upperBound95Percent: upper,
      resolutionPercent: resolution,
      tooSmallToTell,
      confidence: confidenceText(failures, denominator, upper, resolution, tooSmallToTell),
      ...(notes.length ? { notes } : {}),
      restarted: mw ? mw.restarted : false,
      firstReading: mw ? mw.firstReading : prev?.source !== "logs",
      counters,
    };
  });
}
